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
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.flash.cadence import Cadence, parse_cadence
from bot.core.flash.content import MAX_QUOTES, IssueContent, NextSession, NominationEntry, ResourceEntry, StoryEntry
from bot.core.flash.deliveries import (
    draft_delivery,
    issue_target,
    publication_delivery,
    publish_key,
    publish_now_key,
    publish_now_prefix,
)
from bot.core.flash.domain import FlashItem, Issue, ItemKind, ItemState
from bot.core.flash.ports import (
    QUOTE_PURPOSE,
    ConsentSource,
    DeliveryScheduler,
    ParticipantSource,
    ProgrammeSource,
    RecapSource,
)
from bot.core.flash.repository import SqlFlashIssueRepository, SqlFlashItemRepository, SqlFlashSettingsRepository
from bot.core.programme.domain import DEFAULT_TIMEZONE, Programme
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
    """An issue's content as it stands, the items it consumes when frozen, and stories held back for consent."""

    content: IssueContent
    consumed_ids: tuple[int, ...]
    withheld: int


class IssuePlanner:
    """Keep one draft issue per server, plan its dates from the cadence and compile what it contains."""

    def __init__(
        self,
        *,
        programmes: ProgrammeSource,
        recaps: RecapSource,
        consent: ConsentSource,
        participants: ParticipantSource,
        deliveries: DeliveryScheduler,
    ) -> None:
        self.programmes = programmes
        self._recaps = recaps
        self._consent = consent
        self._participants = participants
        self._deliveries = deliveries

    async def zone(self, guild_id: int, programme: Programme | None = None) -> ZoneInfo:
        """Return the programme's time zone (Europe/London before the programme is set up)."""
        programme = programme or await self.programmes.programme(guild_id)
        return programme.zone if programme is not None else ZoneInfo(DEFAULT_TIMEZONE)

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

    async def quotable(self, guild_id: int) -> frozenset[int]:
        """Return who agreed to be quoted in digests."""
        return frozenset(await self._consent.consenting_users(guild_id, QUOTE_PURPOSE))

    async def compile(self, uow: UnitOfWork, issue: Issue, *, now: datetime) -> Compiled:
        """Build the issue's content from what waits for it now, plus the programme's figures and sessions.

        Stories appear only when their author consents to be quoted (else they wait); nominated excerpts
        are shown only with their author's consent. Excluded items are consumed by the issue without showing.
        """
        guild_id = issue.guild_id
        programme = await self.programmes.programme(guild_id)
        zone = await self.zone(guild_id, programme)
        items = await uow.repo(SqlFlashItemRepository).pending(guild_id)
        quotable = await self.quotable(guild_id)
        resources: list[ResourceEntry] = []
        nominations: list[NominationEntry] = []
        stories: list[StoryEntry] = []
        consumed: list[int] = []
        withheld = 0
        for item in items:
            if item.state is ItemState.EXCLUDED:
                consumed.append(item.id)
            elif item.kind is ItemKind.STORY and item.author_id not in quotable:
                withheld += 1
            else:
                consumed.append(item.id)
                self._add_entry(item, quotable, resources, nominations, stories)
        recap = None
        last = await self.programmes.last_session(guild_id, now)
        if last is not None and (issue.period_start is None or last.ends_at > issue.period_start):
            found = await self._recaps.session_recap(guild_id, last.id)
            if found is not None:
                quotes = tuple(q for q in found.quotes if q.text.strip())[:MAX_QUOTES]
                recap = dataclasses.replace(found, session_number=last.number, session_title=last.title, quotes=quotes)
        upcoming = await self.programmes.next_session(guild_id, now)
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
        )
        return Compiled(content, tuple(consumed), withheld)

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
