"""The issue in preparation: keep one draft per server, schedule its deliveries, compile its content.

Shared by the service (facilitator commands) and the delivery handlers (draft and publication), so both
follow the same rules. Every method works inside the caller's unit of work; the caller commits and wakes
the dispatcher. The deliveries' kinds, keys and handlers are in bot.core.flash.deliveries.
"""

import dataclasses
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.core.delivery.domain import NewDelivery
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.errors import NotFoundError
from bot.core.flash.cadence import Cadence, parse_cadence
from bot.core.flash.content import (
    MAX_QUOTES,
    IssueContent,
    NextSession,
    NominationEntry,
    Recap,
    ResourceEntry,
    StoryEntry,
    recap_from_reflections,
)
from bot.core.flash.deliveries import (
    draft_delivery,
    issue_target,
    publication_delivery,
    publish_key,
    publish_now_key,
    publish_now_prefix,
)
from bot.core.flash.domain import DEFAULT_ISSUE_SIZE, DEFAULT_PER_PERSON_PER_DAY, FlashItem, Issue, ItemKind, ItemState
from bot.core.flash.repository import SqlFlashIssueRepository, SqlFlashItemRepository, SqlFlashSettingsRepository
from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import DEFAULT_TIMEZONE, Programme, Session
from bot.core.programme.service import ProgrammeService
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import UnitOfWork

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """When an issue's draft and publication are due."""

    issue: Issue
    cadence: Cadence
    draft_at: datetime
    publish_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Compiled:
    """An issue's content as it stands, the items it consumes when frozen, and what waits.

    withheld: stories waiting for their author's quote consent; held: items of people who left the server,
    waiting for a facilitator's review; withheld_nominations: messages nominated from restricted channels,
    waiting for their author's quote consent. None of them is consumed.
    """

    content: IssueContent
    consumed_ids: tuple[int, ...]
    withheld: int
    held: int = 0
    withheld_nominations: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """A server's flood limits in force (defaults filled in)."""

    per_person_per_day: int
    issue_size: int


class IssuePlanner:
    """Keep one draft issue per server, plan its dates from the cadence and compile what it contains."""

    def __init__(
        self,
        *,
        programmes: ProgrammeService,
        reflections: ReflectionService,
        participants: ParticipantService,
        deliveries: DeliveryScheduler,
    ) -> None:
        self._programmes = programmes
        self._reflections = reflections
        self._participants = participants
        self._deliveries = deliveries

    @staticmethod
    def limits_from(stored: tuple[int | None, int | None]) -> Limits:
        """Fill Blether's defaults into the limits a server stored (None: default)."""
        per_person, issue_size = stored
        return Limits(
            per_person_per_day=DEFAULT_PER_PERSON_PER_DAY if per_person is None else per_person,
            issue_size=DEFAULT_ISSUE_SIZE if issue_size is None else issue_size,
        )

    async def limits(self, uow: UnitOfWork, guild_id: int) -> Limits:
        """Return the server's flood limits in force."""
        return self.limits_from(await uow.repo(SqlFlashSettingsRepository).limits(guild_id))

    # -- what other features know, read through their services ----------------------------------------------

    async def programme(self, guild_id: int) -> Programme | None:
        """Return the server's programme (time zone, channels, facilitator role), or None before setup."""
        return await self._programmes.get_programme(guild_id)

    async def _sessions(self, guild_id: int) -> list[Session]:
        # A programme has a dozen sessions: filtering them in memory is fine.
        return [
            s for s in await self._programmes.list_sessions(guild_id, include_cancelled=False) if not s.is_cancelled
        ]

    async def last_session(self, guild_id: int, before: datetime) -> Session | None:
        """Return the latest session that is not cancelled and ended at or before before, or None."""
        done = [s for s in await self._sessions(guild_id) if s.ends_at <= before]
        return max(done, key=lambda s: s.ends_at, default=None)

    async def next_session(self, guild_id: int, after: datetime) -> Session | None:
        """Return the earliest session that is not cancelled and starts after after, or None."""
        later = [s for s in await self._sessions(guild_id) if s.starts_at > after]
        return min(later, key=lambda s: s.starts_at, default=None)

    async def session_recap(self, guild_id: int, session_id: int) -> Recap | None:
        """Return a session's figures and consented quotes from the reflections feature (None: unknown session)."""
        try:
            found = await self._reflections.session_recap(guild_id, session_id)
        except NotFoundError:
            return None
        return recap_from_reflections(found)

    async def quotable(self, guild_id: int) -> frozenset[int]:
        """Return who agreed to be quoted in digests."""
        return frozenset(await self._participants.consenting_users(guild_id, ConsentPurpose.QUOTE))

    async def has_left(self, guild_id: int, user_id: int) -> bool:
        """Tell whether user_id is a participant marked inactive: they left the server (False when unknown)."""
        found = await self._participants.get_participant(guild_id, user_id)
        return found is not None and not found.active

    async def zone(self, guild_id: int, programme: Programme | None = None) -> ZoneInfo:
        """Return the programme's time zone (Europe/London before the programme is set up)."""
        programme = programme or await self.programme(guild_id)
        return programme.zone if programme is not None else ZoneInfo(DEFAULT_TIMEZONE)

    # -- the draft issue -----------------------------------------------------------------------------------------

    async def ensure_draft(self, uow: UnitOfWork, guild_id: int, *, now: datetime) -> Issue:
        """Return the server's draft issue, starting the next one when there is none."""
        issues = uow.repo(SqlFlashIssueRepository)
        found = await issues.draft(guild_id)
        if found is not None:
            return found
        newest = await issues.newest(guild_id)
        number = 1 if newest is None else newest.number + 1
        period_start = None if newest is None else newest.published_at
        try:
            async with uow.session.begin_nested():
                return await issues.create(guild_id, number, period_start=period_start, scheduled_for=None, now=now)
        except IntegrityError:  # another request started it at the same moment
            found = await issues.draft(guild_id)
            if found is None:
                raise
            return found

    async def cadence(self, uow: UnitOfWork, guild_id: int) -> tuple[Cadence, timedelta] | None:
        """Return the server's cadence and draft lead time, or None when publication is by hand only."""
        stored = await uow.repo(SqlFlashSettingsRepository).schedule(guild_id)
        if stored is None:
            return None
        rule, lead_minutes = stored
        return parse_cadence(rule), timedelta(minutes=lead_minutes)

    async def plan(
        self, uow: UnitOfWork, issue: Issue, *, now: datetime, not_before: datetime | None = None
    ) -> Plan | None:
        """Schedule the issue's draft and publication at the cadence's next date after now (and not_before).

        Pending deliveries of earlier dates are cancelled; a pending "publish now" is kept (it was promised to a
        facilitator, and once it has published the issue the new date's deliveries skip themselves). Returns
        None (and clears the date) without a cadence.
        """
        issues = uow.repo(SqlFlashIssueRepository)
        await issues.lock(issue.id)  # the issue's row before its deliveries' rows, as publish_now: no deadlock
        await uow.repo(SqlDeliveryRepository).cancel_target(
            issue_target(issue.id), now=now, sparing=publish_now_prefix(issue.id)
        )
        found = await self.cadence(uow, issue.guild_id)
        if found is None:
            await issues.update_draft(issue.id, {"scheduled_for": None}, now=now)
            return None
        cadence, lead = found
        zone = await self.zone(issue.guild_id)
        slot = cadence.next_after(max(now, not_before or now), zone)
        updated = await issues.update_draft(issue.id, {"scheduled_for": slot}, now=now)
        if updated is None:
            return None
        draft_at = max(now, slot - lead)
        await self._deliveries.schedule(uow, draft_delivery(issue, slot, draft_at))
        await self._deliveries.schedule(uow, publication_delivery(issue, publish_key(issue.id, slot), slot, slot=slot))
        log.info(
            "Planned Flash Report #%s of guild %s: draft %s, publication %s",
            issue.number,
            issue.guild_id,
            draft_at,
            slot,
        )
        return Plan(updated, cadence, draft_at, slot)

    async def schedule_publish_now(self, uow: UnitOfWork, issue: Issue, *, now: datetime) -> None:
        """Schedule the issue's publication for now (the scheduled one is cancelled; the status guard holds)."""
        await uow.repo(SqlDeliveryRepository).cancel_target(issue_target(issue.id), now=now)
        await self._deliveries.schedule(
            uow, publication_delivery(issue, publish_now_key(issue.id, now), now, slot=None)
        )

    def wake(self, at: datetime | None = None) -> None:
        """Wake the dispatcher (after the caller committed)."""
        self._deliveries.wake(at)

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> None:
        """Schedule any other flash delivery in the caller's unit of work."""
        await self._deliveries.schedule(uow, new)

    async def compile(self, uow: UnitOfWork, issue: Issue, *, now: datetime) -> Compiled:
        """Build the issue's content from what waits for it now, plus the programme's figures and sessions.

        Stories appear only when their author consents to be quoted (else they wait); nominated excerpts
        are shown only with their author's consent, and a message nominated from a restricted channel waits for
        that consent altogether. Excluded items are consumed by the issue without showing; held items (their
        author left the server) wait for a facilitator. The content records the server's issue size, so the
        posted messages show at most that many entries (the rest: /flash archive).
        """
        guild_id = issue.guild_id
        programme = await self.programme(guild_id)
        zone = await self.zone(guild_id, programme)
        items = await uow.repo(SqlFlashItemRepository).pending(guild_id)
        quotable = await self.quotable(guild_id)
        resources: list[ResourceEntry] = []
        nominations: list[NominationEntry] = []
        stories: list[StoryEntry] = []
        consumed: list[int] = []
        withheld = held = withheld_nominations = 0
        for item in items:
            if item.state is ItemState.EXCLUDED:
                consumed.append(item.id)
            elif item.state is ItemState.HELD:
                held += 1
            elif item.kind is ItemKind.STORY and item.author_id not in quotable:
                withheld += 1
            elif item.kind is ItemKind.NOMINATION and item.restricted and item.author_id not in quotable:
                withheld_nominations += 1
            else:
                consumed.append(item.id)
                self._add_entry(item, quotable, resources, nominations, stories)
        recap = None
        last = await self.last_session(guild_id, now)
        if last is not None and (issue.period_start is None or last.ends_at > issue.period_start):
            found = await self.session_recap(guild_id, last.id)
            if found is not None:
                quotes = tuple(q for q in found.quotes if q.text.strip())[:MAX_QUOTES]
                recap = dataclasses.replace(found, session_number=last.number, session_title=last.title, quotes=quotes)
        upcoming = await self.next_session(guild_id, now)
        next_session = None
        if upcoming is not None:
            next_session = NextSession(
                number=upcoming.number,
                title=upcoming.title,
                starts_at=upcoming.starts_at,
                location_kind=upcoming.location_kind.value,
                location_url=upcoming.location_url,
                location_channel_id=upcoming.location_channel_id,
            )
        welcome = await self._participants.count_joined(guild_id, issue.period_start, now)
        content = IssueContent(
            guild_id=guild_id,
            number=issue.number,
            timezone=zone.key,
            compiled_at=now,
            intro=issue.intro_text,
            recap=recap,
            next_session=next_session,
            resources=tuple(resources),
            nominations=tuple(nominations),
            stories=tuple(stories),
            welcome_count=max(0, welcome),
            posted_limit=(await self.limits(uow, guild_id)).issue_size,
        )
        return Compiled(content, tuple(consumed), withheld, held, withheld_nominations)

    @staticmethod
    def _add_entry(
        item: FlashItem,
        quotable: frozenset[int],
        resources: list[ResourceEntry],
        nominations: list[NominationEntry],
        stories: list[StoryEntry],
    ) -> None:
        if item.kind is ItemKind.RESOURCE and item.url:
            resources.append(
                ResourceEntry(item.id, item.url, item.title, item.body, item.tags, item.author_name, item.author_id)
            )
        elif item.kind is ItemKind.NOMINATION and item.jump_url:
            excerpt = item.excerpt if item.author_id in quotable else ""
            nominations.append(
                NominationEntry(
                    item.id, item.jump_url, item.url, item.title, excerpt, item.body, item.tags, item.author_id
                )
            )
        elif item.kind is ItemKind.STORY:
            credit = item.author_name if item.credit_by_name else None
            stories.append(StoryEntry(item.id, item.body, credit, item.author_id))
