"""What the evaluation reads, erases and redacts in other features' storage: small Protocols and SQL adapters.

Every method takes the caller's UnitOfWork, so one export or one report is a single consistent read across
features and one erasure is a single transaction. Where a feature's repository already offers the query, the
adapter calls it; where it does not (yet), the adapter runs a plain statement on that feature's own table and
the gap is listed in MISSING_APIS, so the owning feature can take the method over and the adapter shrinks to a
call. The Flash Report's own ``erase_user`` (which also amends published issues) is used as it is, through
FlashEraser, in its own transaction.
"""

import dataclasses
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update

from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.flash.content import STORY_REDACTED, IssueContent, Snapshot
from bot.core.flash.domain import IssueStatus, ItemKind, ItemState
from bot.core.flash.render import render_issue
from bot.core.flash.repository import SqlFlashIssueRepository
from bot.core.participants.domain import ConsentEvent, Participant
from bot.core.participants.repository import SqlConsentRepository, SqlParticipantRepository
from bot.core.programme.domain import Programme, Session
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.reflections.attendance import settle_voice
from bot.core.reflections.domain import AttendanceRecord, ResponseRecord
from bot.core.reflections.repository import SqlAttendanceRepository, SqlReflectionRepository
from bot.core.storage.database import UnitOfWork
from bot.core.storage.models.flash import FlashIssueRow, FlashItemRow
from bot.core.storage.models.participants import CommunityRow, ConsentEventRow, ParticipantRow
from bot.core.storage.models.programme import ProgrammeRow, ReminderPreferenceRow, RsvpRow
from bot.core.storage.models.reflections import AttendanceRow, ResponseRow, VoicePresenceRow

MISSING_APIS = (
    "programme: SqlProgrammeRepository.guild_ids(); SqlRsvpRepository.of_user(guild_id, user_id) and "
    "delete_user(guild_id, user_id); SqlReminderPreferenceRepository.get(guild_id, user_id) (with updated_at) "
    "and delete(guild_id, user_id)",
    "participants: SqlParticipantRepository.delete(guild_id, user_id) (dropping a community nobody else names); "
    "SqlConsentRepository.delete_user(guild_id, user_id)",
    "reflections: SqlReflectionRepository.delete_user(guild_id, user_id) and redact_text(guild_id, before); "
    "SqlAttendanceRepository.delete_user(guild_id, user_id) and stays_of(guild_id, user_id) (voice presence)",
    "flash: SqlFlashItemRepository.list_all(guild_id) (every item, with its issue number); "
    "FlashService.redact_free_text(guild_id, before) (items and published snapshots)",
    "delivery: SqlDeliveryRepository.cancel_addressed_to(guild_id, user_id) (payload user_id / user:<id> target)",
)
"""Read-only queries and deletions the adapters below do on other features' tables until those features own them."""

TEXT_KINDS = frozenset({"short_text", "long_text"})


# -- values the adapters return --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RsvpView:
    """Someone said "I'll be there" for a session."""

    session_id: int
    said_at: datetime


@dataclass(frozen=True, slots=True)
class ReminderPreferenceView:
    """Someone's DM reminder choice."""

    dm_enabled: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class VoiceStay:
    """One stay in a voice or stage channel (used to count voice attendance)."""

    channel_id: int
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class FlashRecord:
    """A collected Flash Report item as the evaluation sees it (text as stored, not escaped).

    note is a resource's or nomination's note; text is a story's words; issue_number is the Flash Report the
    item went out with (None while it waits, or if it was left out before any issue).
    """

    id: int
    kind: ItemKind
    author_id: int | None
    author_name: str
    nominated_by_id: int | None
    url: str | None
    title: str
    note: str
    text: str
    excerpt: str
    tags: tuple[str, ...]
    jump_url: str | None
    credit_by_name: bool
    included: bool
    issue_number: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FlashRedaction:
    """What a retention sweep removed from the Flash Report side: items whose text went, by kind, and the
    published issues whose snapshot changed (issue_ids: their posted messages are to be amended)."""

    resource_notes: int = 0
    stories: int = 0
    nominations: int = 0
    issues: int = 0
    issue_ids: tuple[int, ...] = ()


class FlashErasure(Protocol):
    """What the Flash Report's erase_user reports (bot.core.flash.domain.ErasureResult fits)."""

    @property
    def items_removed(self) -> int: ...

    @property
    def snapshot_items_removed(self) -> int: ...

    @property
    def issues_marked(self) -> tuple[int, ...]: ...


# -- the Protocols ---------------------------------------------------------------------------------------------


class ProgrammeData(Protocol):
    """The programme, its sessions and what a person told it (RSVPs, DM reminder choice)."""

    async def programme(self, uow: UnitOfWork, guild_id: int) -> Programme | None: ...

    async def sessions(self, uow: UnitOfWork, guild_id: int) -> list[Session]: ...

    async def guild_ids(self, uow: UnitOfWork) -> list[int]: ...

    async def rsvps(self, uow: UnitOfWork, guild_id: int, user_id: int) -> list[RsvpView]: ...

    async def reminder_preference(
        self, uow: UnitOfWork, guild_id: int, user_id: int
    ) -> ReminderPreferenceView | None: ...

    async def erase_person(self, uow: UnitOfWork, guild_id: int, user_id: int) -> dict[str, int]: ...


class ParticipantData(Protocol):
    """Participants and the consent log."""

    async def participants(self, uow: UnitOfWork, guild_id: int) -> list[Participant]: ...

    async def consent_history(
        self, uow: UnitOfWork, guild_id: int, user_id: int | None = None
    ) -> list[ConsentEvent]: ...

    async def erase_person(self, uow: UnitOfWork, guild_id: int, user_id: int) -> dict[str, int]: ...


class ReflectionData(Protocol):
    """Reflection responses, attendance and voice presence."""

    async def settle_attendance(self, uow: UnitOfWork, sessions: Iterable[Session], now: datetime) -> None: ...

    async def responses(self, uow: UnitOfWork, guild_id: int) -> list[ResponseRecord]: ...

    async def attendance(self, uow: UnitOfWork, guild_id: int) -> list[AttendanceRecord]: ...

    async def voice_stays(self, uow: UnitOfWork, guild_id: int, user_id: int) -> list[VoiceStay]: ...

    async def erase_person(self, uow: UnitOfWork, guild_id: int, user_id: int) -> dict[str, int]: ...

    async def redact_text(self, uow: UnitOfWork, guild_id: int, before: datetime, now: datetime) -> int: ...


class FlashData(Protocol):
    """Flash Report items and issues (read and redact; erasure goes through FlashEraser)."""

    async def items(self, uow: UnitOfWork, guild_id: int) -> list[FlashRecord]: ...

    async def published_count(self, uow: UnitOfWork, guild_id: int) -> int: ...

    async def redact_text(self, uow: UnitOfWork, guild_id: int, before: datetime, now: datetime) -> FlashRedaction: ...


class FlashEraser(Protocol):
    """The Flash Report's erasure (bot.core.flash.service.FlashService fits): its own transaction."""

    async def erase_user(self, guild_id: int, user_id: int) -> FlashErasure: ...


class OutboxData(Protocol):
    """Deliveries addressed to one person."""

    async def pending_for(self, uow: UnitOfWork, guild_id: int, user_id: int) -> list[Delivery]: ...

    async def cancel_for(self, uow: UnitOfWork, guild_id: int, user_id: int, now: datetime) -> int: ...


# -- SQL adapters ----------------------------------------------------------------------------------------------


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


class SqlProgrammeData:
    """ProgrammeData over the programme feature's repositories and tables."""

    async def programme(self, uow: UnitOfWork, guild_id: int) -> Programme | None:
        """Return the server's programme, or None before setup."""
        return await uow.repo(SqlProgrammeRepository).get(guild_id)

    async def sessions(self, uow: UnitOfWork, guild_id: int) -> list[Session]:
        """Return every session (cancelled ones too) in start order."""
        return await uow.repo(SqlSessionRepository).list(guild_id)

    async def guild_ids(self, uow: UnitOfWork) -> list[int]:
        """Return the servers that have a programme."""
        rows = await uow.session.scalars(select(ProgrammeRow.guild_id).order_by(ProgrammeRow.guild_id))
        return [int(g) for g in rows.all()]

    async def rsvps(self, uow: UnitOfWork, guild_id: int, user_id: int) -> list[RsvpView]:
        """Return someone's RSVPs, oldest first."""
        stmt = (
            select(RsvpRow.session_id, RsvpRow.created_at)
            .where(RsvpRow.guild_id == guild_id, RsvpRow.user_id == user_id)
            .order_by(RsvpRow.id)
        )
        return [RsvpView(int(r.session_id), r.created_at) for r in await uow.session.execute(stmt)]

    async def reminder_preference(self, uow: UnitOfWork, guild_id: int, user_id: int) -> ReminderPreferenceView | None:
        """Return someone's DM reminder choice, or None when they never made one."""
        row = await uow.session.get(ReminderPreferenceRow, (guild_id, user_id))
        return None if row is None else ReminderPreferenceView(bool(row.dm_enabled), row.updated_at)

    async def erase_person(self, uow: UnitOfWork, guild_id: int, user_id: int) -> dict[str, int]:
        """Delete someone's RSVPs and DM reminder choice."""
        rsvps = await uow.session.execute(
            delete(RsvpRow).where(RsvpRow.guild_id == guild_id, RsvpRow.user_id == user_id)
        )
        preference = await uow.session.execute(
            delete(ReminderPreferenceRow).where(
                ReminderPreferenceRow.guild_id == guild_id, ReminderPreferenceRow.user_id == user_id
            )
        )
        return {"rsvps": _count(rsvps), "reminder_preference": _count(preference)}


class SqlParticipantData:
    """ParticipantData over the participants feature's repositories and tables."""

    async def participants(self, uow: UnitOfWork, guild_id: int) -> list[Participant]:
        """Return every participant (active or not) in joining order."""
        return await uow.repo(SqlParticipantRepository).list_all(guild_id)

    async def consent_history(self, uow: UnitOfWork, guild_id: int, user_id: int | None = None) -> list[ConsentEvent]:
        """Return the consent log of the server (or one person), oldest first."""
        return await uow.repo(SqlConsentRepository).history(guild_id, user_id)

    async def erase_person(self, uow: UnitOfWork, guild_id: int, user_id: int) -> dict[str, int]:
        """Delete someone's profile and consent answers, and their community if nobody else names it."""
        community_id = await uow.session.scalar(
            select(ParticipantRow.community_id).where(
                ParticipantRow.guild_id == guild_id, ParticipantRow.user_id == user_id
            )
        )
        consent = await uow.session.execute(
            delete(ConsentEventRow).where(ConsentEventRow.guild_id == guild_id, ConsentEventRow.user_id == user_id)
        )
        profile = await uow.session.execute(
            delete(ParticipantRow).where(ParticipantRow.guild_id == guild_id, ParticipantRow.user_id == user_id)
        )
        communities = 0
        if community_id is not None:
            others = await uow.session.scalar(
                select(func.count(ParticipantRow.id)).where(ParticipantRow.community_id == community_id)
            )
            if not others:  # the name was typed by this person alone
                communities = _count(
                    await uow.session.execute(delete(CommunityRow).where(CommunityRow.id == community_id))
                )
        return {"profile": _count(profile), "consent_answers": _count(consent), "community_names": communities}


class SqlReflectionData:
    """ReflectionData over the reflections feature's repositories and tables."""

    async def settle_attendance(self, uow: UnitOfWork, sessions: Iterable[Session], now: datetime) -> None:
        """Record voice attendance reached so far (as /reflection results does), so counts agree everywhere."""
        for session in sessions:
            await settle_voice(uow, session, now)

    async def responses(self, uow: UnitOfWork, guild_id: int) -> list[ResponseRecord]:
        """Return every response with its answers and questions."""
        return await uow.repo(SqlReflectionRepository).responses(guild_id=guild_id)

    async def attendance(self, uow: UnitOfWork, guild_id: int) -> list[AttendanceRecord]:
        """Return every attendance row (one per person, session and source)."""
        return await uow.repo(SqlAttendanceRepository).rows(guild_id=guild_id)

    async def voice_stays(self, uow: UnitOfWork, guild_id: int, user_id: int) -> list[VoiceStay]:
        """Return someone's voice channel stays, oldest first."""
        stmt = (
            select(VoicePresenceRow.channel_id, VoicePresenceRow.joined_at, VoicePresenceRow.left_at)
            .where(VoicePresenceRow.guild_id == guild_id, VoicePresenceRow.user_id == user_id)
            .order_by(VoicePresenceRow.id)
        )
        return [VoiceStay(int(r.channel_id), r.joined_at, r.left_at) for r in await uow.session.execute(stmt)]

    async def erase_person(self, uow: UnitOfWork, guild_id: int, user_id: int) -> dict[str, int]:
        """Delete someone's reflections, attendance and voice presence."""
        responses = await uow.session.execute(
            delete(ResponseRow).where(ResponseRow.guild_id == guild_id, ResponseRow.user_id == user_id)
        )
        attendance = await uow.session.execute(
            delete(AttendanceRow).where(AttendanceRow.guild_id == guild_id, AttendanceRow.user_id == user_id)
        )
        voice = await uow.session.execute(
            delete(VoicePresenceRow).where(VoicePresenceRow.guild_id == guild_id, VoicePresenceRow.user_id == user_id)
        )
        return {"reflections": _count(responses), "attendance": _count(attendance), "voice_stays": _count(voice)}

    async def redact_text(self, uow: UnitOfWork, guild_id: int, before: datetime, now: datetime) -> int:
        """Blank the free-text answers of responses last changed at or before before; return how many answers.

        Ratings, choices and ticks stay (they are what the evaluation counts); updated_at is left alone so the
        export still says when the reflection was given.
        """
        removed = 0
        for record in await uow.repo(SqlReflectionRepository).responses(guild_id=guild_id):
            if record.updated_at > before:
                continue
            text_fields = {a.field_id for a in record.answers if a.kind.value in TEXT_KINDS and a.value}
            if not text_fields:
                continue
            stored = await uow.session.scalar(select(ResponseRow.answers).where(ResponseRow.id == record.id))
            answers = dict(stored or {})
            for field_id in text_fields:
                answers[field_id] = None
            await uow.session.execute(update(ResponseRow).where(ResponseRow.id == record.id).values(answers=answers))
            removed += len(text_fields)
        return removed


class SqlFlashData:
    """FlashData over the Flash Report's repositories and tables."""

    async def items(self, uow: UnitOfWork, guild_id: int) -> list[FlashRecord]:
        """Return every collected item (waiting, published or left out), oldest first."""
        stmt = (
            select(FlashItemRow, FlashIssueRow.number, FlashIssueRow.status)
            .outerjoin(FlashIssueRow, FlashIssueRow.id == FlashItemRow.issue_id)
            .where(FlashItemRow.guild_id == guild_id)
            .order_by(FlashItemRow.id)
        )
        records = []
        for row, number, status in (await uow.session.execute(stmt)).all():
            kind = ItemKind(row.kind)
            out = number is not None and status != IssueStatus.DRAFT.value
            records.append(
                FlashRecord(
                    id=row.id,
                    kind=kind,
                    author_id=row.author_id,
                    author_name=row.author_name or "",
                    nominated_by_id=row.nominated_by_id,
                    url=row.url,
                    title=row.title or "",
                    note=(row.body or "") if kind is not ItemKind.STORY else "",
                    text=(row.body or "") if kind is ItemKind.STORY else "",
                    excerpt=row.excerpt or "",
                    tags=tuple(row.tags or ()),
                    jump_url=row.jump_url,
                    credit_by_name=bool(row.credit_by_name),
                    included=row.state == ItemState.INCLUDED.value,
                    issue_number=int(number) if out else None,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                )
            )
        return records

    async def published_count(self, uow: UnitOfWork, guild_id: int) -> int:
        """Count the Flash Reports that have gone out (or are going out)."""
        return await uow.repo(SqlFlashIssueRepository).count_published(guild_id)

    async def redact_text(self, uow: UnitOfWork, guild_id: int, before: datetime, now: datetime) -> FlashRedaction:
        """Blank every free-text field of items created at or before before — resource titles and notes, stories,
        nominated excerpts, titles and notes, and the display names kept for credits — in the items and in the
        published snapshots (whose stored messages are re-rendered; the caller amends the posted ones)."""
        where = (FlashItemRow.guild_id == guild_id) & (FlashItemRow.created_at <= before)
        has_text = (
            (FlashItemRow.title != "")
            | (FlashItemRow.body != "")
            | (FlashItemRow.excerpt != "")
            | (FlashItemRow.author_name != "")
        )
        blank = {"title": "", "body": "", "excerpt": "", "author_name": "", "updated_at": now}
        counts = {}
        for kind in (ItemKind.RESOURCE, ItemKind.STORY, ItemKind.NOMINATION):
            result = await uow.session.execute(
                update(FlashItemRow).where(where, FlashItemRow.kind == kind.value, has_text).values(**blank)
            )
            counts[kind] = _count(result)
        old_ids = set((await uow.session.scalars(select(FlashItemRow.id).where(where))).all())
        issues = await self._redact_snapshots(uow, guild_id, old_ids, before, now)
        return FlashRedaction(
            counts[ItemKind.RESOURCE], counts[ItemKind.STORY], counts[ItemKind.NOMINATION], len(issues), tuple(issues)
        )

    @staticmethod
    async def _redact_snapshots(
        uow: UnitOfWork, guild_id: int, old_ids: set[int], before: datetime, now: datetime
    ) -> list[int]:
        repo = uow.repo(SqlFlashIssueRepository)
        changed = []
        for issue in await repo.published(guild_id):
            snapshot = await repo.snapshot(issue.id)
            if snapshot is None:
                continue
            quotes_too = issue.published_at is not None and issue.published_at <= before
            content = redact_content(snapshot.content, old_ids, quotes_too=quotes_too)
            if content != snapshot.content:
                await repo.replace_snapshot(issue.id, Snapshot(content, tuple(render_issue(content))), now=now)
                changed.append(issue.id)
        return changed


def redact_content(content: IssueContent, old_ids: set[int], *, quotes_too: bool) -> IssueContent:
    """Return issue content without the free text of the items in old_ids (titles, notes, excerpts, stories and
    the names credited) and its recap quotes if quotes_too."""
    resources = tuple(
        dataclasses.replace(r, title="", note="", credit="") if r.item_id in old_ids else r for r in content.resources
    )
    nominations = tuple(
        dataclasses.replace(n, title="", note="", excerpt="") if n.item_id in old_ids else n
        for n in content.nominations
    )
    stories = tuple(
        dataclasses.replace(s, text=STORY_REDACTED, credit=None) if s.item_id in old_ids else s for s in content.stories
    )
    recap = content.recap
    if recap is not None and quotes_too and recap.quotes:
        recap = dataclasses.replace(recap, quotes=())
    return dataclasses.replace(content, resources=resources, nominations=nominations, stories=stories, recap=recap)


class SqlOutboxData:
    """OutboxData over the delivery repository: rows whose payload user_id or target names the person."""

    @staticmethod
    def addressed_to(delivery: Delivery, user_id: int) -> bool:
        """Tell whether a delivery is addressed to user_id (payload "user_id", or a "user:<id>" target part)."""
        payload: Mapping[str, Any] = delivery.payload if isinstance(delivery.payload, Mapping) else {}
        value = payload.get("user_id")
        if isinstance(value, int) and not isinstance(value, bool) and value == user_id:
            return True
        if isinstance(value, str) and value.isdigit() and int(value) == user_id:
            return True
        parts = delivery.target.split(":")
        return any(a == "user" and b == str(user_id) for a, b in itertools.pairwise(parts))

    async def pending_for(self, uow: UnitOfWork, guild_id: int, user_id: int) -> list[Delivery]:
        """Return the pending deliveries addressed to someone."""
        rows = await uow.repo(SqlDeliveryRepository).list(guild_id=guild_id, status=DeliveryStatus.PENDING)
        return [d for d in rows if self.addressed_to(d, user_id)]

    async def cancel_for(self, uow: UnitOfWork, guild_id: int, user_id: int, now: datetime) -> int:
        """Cancel the pending deliveries addressed to someone (in-flight ones finish); return how many."""
        repo = uow.repo(SqlDeliveryRepository)
        cancelled = 0
        for delivery in await self.pending_for(uow, guild_id, user_id):
            cancelled += await repo.cancel(delivery.dedupe_key, now=now)
        return cancelled


@dataclass(frozen=True, slots=True)
class EvaluationSources:
    """Everything the evaluation reads from other features; the defaults are the SQL adapters above."""

    programme: ProgrammeData = field(default_factory=SqlProgrammeData)
    participants: ParticipantData = field(default_factory=SqlParticipantData)
    reflections: ReflectionData = field(default_factory=SqlReflectionData)
    flash: FlashData = field(default_factory=SqlFlashData)
    outbox: OutboxData = field(default_factory=SqlOutboxData)
