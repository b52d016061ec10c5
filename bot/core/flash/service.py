"""Flash Report use-cases: collect resources, nominations and stories; curate, schedule, publish and read issues.

Every method where a person acts takes their Actor; every refusal is a DomainError with a message for them.
Posting is the delivery handlers' job (bot.core.flash.deliveries): this service only schedules deliveries,
inside the same transaction as the change that needs them, and wakes the dispatcher after committing.
"""

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.domain import OPEN_STATUSES
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.errors import PermissionDeniedError
from bot.core.flash.cadence import parse_cadence
from bot.core.flash.content import ResourceEntry, Snapshot
from bot.core.flash.deliveries import PUBLISH_KIND, amend_delivery, issue_target, publish_now_key
from bot.core.flash.domain import (
    DEFAULT_LEAD,
    EXCERPT_LIMIT,
    INTRO_LIMIT,
    JUMP_URL_LIMIT,
    MAX_ISSUE_SIZE,
    MAX_ITEM_ID,
    MAX_LEAD_HOURS,
    MAX_PER_PERSON_PER_DAY,
    MIN_ISSUE_SIZE,
    MIN_LEAD_HOURS,
    MIN_PER_PERSON_PER_DAY,
    NAME_LIMIT,
    NOTE_LIMIT,
    PAGE_SIZE,
    STORY_LIMIT,
    TITLE_LIMIT,
    ArchivePage,
    BulkResult,
    DraftPreview,
    ErasureResult,
    FlashItem,
    FlashLimits,
    FlashRedaction,
    Issue,
    IssueArchivePage,
    IssueStatus,
    IssueSummary,
    ItemKind,
    ItemsPage,
    ItemState,
    MessageRef,
    NominationResult,
    PublishedIssue,
    PublishOutcome,
    PublishRequest,
    ScheduleResult,
    ShareResult,
    SkipResult,
    StoryResult,
)
from bot.core.flash.errors import (
    DailyLimitError,
    DuplicateResourceError,
    FlashChannelMissingError,
    InvalidLeadTimeError,
    InvalidLimitError,
    InvalidUrlError,
    IssueNotDraftError,
    IssueNotFoundError,
    ItemAlreadyPublishedError,
    ItemNotFoundError,
    MissingValueError,
    NothingPublishedError,
    NotScheduledError,
    PageChangedError,
    StoryNotEditableError,
    TextTooLongError,
)
from bot.core.flash.ids import PageAction, PageButton
from bot.core.flash.planning import IssuePlanner, Limits
from bot.core.flash.render import archive_pages, render_draft, render_issue, render_share_preview
from bot.core.flash.repository import (
    NewItem,
    SqlFlashIssueRepository,
    SqlFlashItemRepository,
    SqlFlashSettingsRepository,
)
from bot.core.flash.safetext import plain_text, shorten, tidy
from bot.core.flash.tags import parse_tags, suggest, vocabulary
from bot.core.flash.urls import first_link, normalise_url
from bot.core.messages import Text
from bot.core.programme.domain import Programme
from bot.core.programme.errors import ProgrammeNotSetUpError
from bot.core.programme.permissions import is_facilitator, require_facilitator
from bot.core.storage.database import Database, UnitOfWork
from bot.core.text import one_line

log = logging.getLogger(__name__)

_JUMP_URL = re.compile(r"^https://[^\s()<>\[\]\"']+$")


def _text(value: str | None, field: str, limit: int, *, block: bool = False, required: bool = False) -> str:
    """Tidy user text and check it against its limit (counted as the person typed it, hidden characters aside)."""
    text = tidy(value, block=block)
    if required and not text:
        raise MissingValueError(field)
    if len(text) > limit:
        raise TextTooLongError(field, len(text), limit)
    return text


def _name(actor_or_name: Actor | str) -> str:
    name = actor_or_name.display_name if isinstance(actor_or_name, Actor) else actor_or_name
    return tidy(name)[:NAME_LIMIT]


def local_day(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the start of now's day in zone and the start of the next one, in UTC (midnight to midnight local)."""
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    following = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), following.astimezone(UTC)


def _limit_value(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidLimitError(what, value, low, high)
    return value


@dataclass(frozen=True, slots=True)
class _Quota:
    """Whom the daily limit applies to, and how the day is counted (computed before the transaction)."""

    user_id: int
    zone: ZoneInfo


class FlashService:
    """The Flash Report: collecting, curating, scheduling, publishing, reading and erasing."""

    def __init__(self, database: Database, clock: Clock, planner: IssuePlanner) -> None:
        self._database = database
        self._clock = clock
        self._planner = planner

    # -- helpers ---------------------------------------------------------------------------------------------

    async def _programme(self, guild_id: int) -> Programme | None:
        return await self._planner.programme(guild_id)

    async def _facilitator(self, actor: Actor, action: str) -> Programme | None:
        programme = await self._programme(actor.guild_id)
        require_facilitator(programme, actor, action)
        return programme

    async def _issue(self, uow: UnitOfWork, actor: Actor, issue_id: int) -> Issue:
        issue = await uow.repo(SqlFlashIssueRepository).get(issue_id)
        if issue is None or issue.guild_id != actor.guild_id:
            raise IssueNotFoundError()
        return issue

    async def _item(self, uow: UnitOfWork, actor: Actor, item_id: int) -> FlashItem:
        if not 0 < item_id <= MAX_ITEM_ID:
            raise ItemNotFoundError(item_id)
        item = await uow.repo(SqlFlashItemRepository).get(actor.guild_id, item_id)
        if item is None:
            raise ItemNotFoundError(item_id)
        if item.issue_id is not None:
            issue = await uow.repo(SqlFlashIssueRepository).get(item.issue_id)
            raise ItemAlreadyPublishedError(item_id, issue.number if issue is not None else None)
        return item

    # -- collecting ------------------------------------------------------------------------------------------

    async def _quota(self, actor: Actor) -> _Quota | None:
        """Return how actor's daily limit is counted, or None for facilitators (they are not limited)."""
        programme = await self._programme(actor.guild_id)
        if is_facilitator(programme, actor):
            return None
        return _Quota(actor.user_id, await self._planner.zone(actor.guild_id, programme))

    async def _add(self, uow: UnitOfWork, new: NewItem, quota: _Quota | None) -> tuple[FlashItem, bool]:
        """Add an item unless one with its dedupe key exists; return the stored one and whether it is new.

        The server's limits row is locked first, so adds take turns: the count of what a person added today
        always includes an add that committed a moment ago. A known item is returned without counting.

        Raises:
            DailyLimitError: quota's person already added the day's allowance (nothing is stored).
        """
        now = self._clock.now()
        items = uow.repo(SqlFlashItemRepository)
        stored = await uow.repo(SqlFlashSettingsRepository).lock_limits(new.guild_id, now=now)
        if new.dedupe_key is not None:
            existing = await items.get_by_key(new.guild_id, new.dedupe_key)
            if existing is not None:
                return existing, False
        if quota is not None:
            await self._check_quota(uow, new.guild_id, quota, self._planner.limits_from(stored), now)
        try:
            async with uow.session.begin_nested():
                return await items.add(new, now=now), True
        except IntegrityError:  # someone added the same a moment ago
            existing = await items.get_by_key(new.guild_id, new.dedupe_key) if new.dedupe_key else None
            if existing is None:
                raise
            return existing, False

    async def _check_quota(self, uow: UnitOfWork, guild_id: int, quota: _Quota, limits: Limits, now: datetime) -> None:
        start, following = local_day(now, quota.zone)
        added = await uow.repo(SqlFlashItemRepository).count_added_by(guild_id, quota.user_id, since=start)
        if added >= limits.per_person_per_day:
            log.info("Daily Flash Report limit reached in guild %s (%d items)", guild_id, added)
            raise DailyLimitError(limits.per_person_per_day, quota.zone.key, following)

    async def share_resource(
        self, actor: Actor, url: str, title: str = "", note: str = "", tags: str | Sequence[str] | None = None
    ) -> ShareResult:
        """Register a resource for the next issue and return how it will appear.

        Raises:
            InvalidUrlError, TextTooLongError, InvalidTagError, TooManyTagsError: bad input (nothing stored).
            DuplicateResourceError: the link was shared before in this server (names who and when).
            DailyLimitError: the person already added the day's allowance (nothing stored).
        """
        normal = normalise_url(url)
        clean_title = _text(title, "title", TITLE_LIMIT)
        clean_note = _text(note, "note", NOTE_LIMIT)
        clean_tags = parse_tags(tags)
        quota = await self._quota(actor)
        now = self._clock.now()
        new = NewItem(
            guild_id=actor.guild_id,
            kind=ItemKind.RESOURCE,
            author_id=actor.user_id,
            author_name=_name(actor),
            dedupe_key=f"url:{normal}",
            url=normal,
            title=clean_title,
            body=clean_note,
            tags=clean_tags,
        )
        async with self._database.unit_of_work() as uow:
            item, created = await self._add(uow, new, quota)
            if not created:
                raise await self._duplicate(uow, item)
            await uow.repo(SqlFlashSettingsRepository).use_tags(actor.guild_id, clean_tags, now=now)
            await uow.commit()
        log.info("Resource %s shared in guild %s", item.id, actor.guild_id)
        entry = ResourceEntry(item.id, normal, clean_title, clean_note, clean_tags, item.author_name, actor.user_id)
        return ShareResult(item, render_share_preview(entry))

    async def _duplicate(self, uow: UnitOfWork, first: FlashItem) -> DuplicateResourceError:
        number = None
        if first.issue_id is not None:
            issue = await uow.repo(SqlFlashIssueRepository).get(first.issue_id)
            number = issue.number if issue is not None else None
        sharer = one_line(first.author_name, NAME_LIMIT) or "someone"
        return DuplicateResourceError(first.url or "", sharer, first.created_at, number)

    async def suggest_tags(self, guild_id: int, text: str) -> list[str]:
        """Return up to 25 autocomplete values for a tags option ("toolkit, gu" -> "toolkit, guide")."""
        async with self._database.unit_of_work() as uow:
            used = await uow.repo(SqlFlashSettingsRepository).tag_uses(guild_id)
        return suggest(text, vocabulary(used))

    async def nominate_message(self, actor: Actor, message: MessageRef) -> NominationResult:
        """Add a chat message to the next issue ("Add to Flash Report"); the same message twice is one item.

        A message from a channel that neither @everyone nor the participant role can see is marked restricted:
        it goes out only once its author agrees to be quoted (its author expected a small audience). A message
        whose author has left the server is held for a facilitator's review. Nominations count towards the
        nominator's daily limit (facilitators have none).
        """
        if message.guild_id != actor.guild_id:
            raise PermissionDeniedError("Only messages from this server can go into its Flash Report.")
        jump = (message.jump_url or "").strip()
        if len(jump) > JUMP_URL_LIMIT or not _JUMP_URL.match(jump):
            raise InvalidUrlError("I couldn't make a link back to that message, so it was not added.")
        content = plain_text(message.content)
        programme = await self._programme(actor.guild_id)
        restricted = message.is_restricted(programme.participant_role_id if programme is not None else None)
        left = await self._planner.has_left(actor.guild_id, message.author_id)
        new = NewItem(
            guild_id=actor.guild_id,
            kind=ItemKind.NOMINATION,
            author_id=message.author_id,
            author_name=_name(message.author_name),
            dedupe_key=f"message:{message.message_id}",
            url=first_link(message.content or ""),
            excerpt=shorten(content, EXCERPT_LIMIT),
            nominated_by_id=actor.user_id,
            source_channel_id=message.channel_id,
            source_message_id=message.message_id,
            jump_url=jump,
            restricted=restricted,
            state=ItemState.HELD if left else ItemState.INCLUDED,
        )
        quota = await self._quota(actor)
        async with self._database.unit_of_work() as uow:
            item, created = await self._add(uow, new, quota)
            await uow.commit()
        return NominationResult(item, created)

    async def nominate_by_reaction(self, actor: Actor, message: MessageRef) -> NominationResult | None:
        """Nominate a message a facilitator reacted to with 📌; anyone else's 📌 does nothing (None)."""
        if not is_facilitator(await self._programme(actor.guild_id), actor):
            return None
        return await self.nominate_message(actor, message)

    async def share_story(self, actor: Actor, text: str, *, credit_by_name: bool = False) -> StoryResult:
        """Keep a story of change for the next issue (it counts towards the daily limit).

        It appears only while its author consents to being quoted, and with their name only if credit_by_name.
        """
        story = _text(text, "story", STORY_LIMIT, block=True, required=True)
        new = NewItem(
            guild_id=actor.guild_id,
            kind=ItemKind.STORY,
            author_id=actor.user_id,
            author_name=_name(actor),
            body=story,
            credit_by_name=credit_by_name,
        )
        quota = await self._quota(actor)
        async with self._database.unit_of_work() as uow:
            item, _ = await self._add(uow, new, quota)
            await uow.commit()
        will_appear = actor.user_id in await self._planner.quotable(actor.guild_id)
        return StoryResult(item, will_appear)

    async def member_left(self, guild_id: int, user_id: int) -> int:
        """Hold the waiting items of someone who left the server (theirs, or nominated by them); return how many.

        Held items are not published and not consumed by an issue until a facilitator includes or excludes them.
        """
        async with self._database.unit_of_work() as uow:
            held = await uow.repo(SqlFlashItemRepository).set_state_of_person(
                guild_id, user_id, ItemState.HELD, only=(ItemState.INCLUDED,), now=self._clock.now()
            )
            await uow.commit()
        if held:
            log.info("Held %d Flash Report items in guild %s: their author left the server", held, guild_id)
        return held

    # -- limits ------------------------------------------------------------------------------------------------

    async def limits(self, actor: Actor) -> FlashLimits:
        """Return the server's flood limits (facilitators)."""
        programme = await self._facilitator(actor, "see the Flash Report limits")
        async with self._database.unit_of_work() as uow:
            stored = await uow.repo(SqlFlashSettingsRepository).limits(actor.guild_id)
        return await self._limits_view(actor.guild_id, stored, programme)

    async def set_limits(
        self, actor: Actor, *, per_person_per_day: int | None = None, issue_size: int | None = None
    ) -> FlashLimits:
        """Change how many items one person may add per day and how many a posted issue shows (facilitators).

        None keeps a value. The day runs from midnight to midnight in the programme's time zone.

        Raises:
            InvalidLimitError: a value out of range (nothing is changed).
        """
        programme = await self._facilitator(actor, "change the Flash Report limits")
        changes: dict[str, int | None] = {}
        if per_person_per_day is not None:
            changes["per_person_per_day"] = _limit_value(
                per_person_per_day, "Items per person per day", MIN_PER_PERSON_PER_DAY, MAX_PER_PERSON_PER_DAY
            )
        if issue_size is not None:
            changes["issue_size"] = _limit_value(issue_size, "Items per issue", MIN_ISSUE_SIZE, MAX_ISSUE_SIZE)
        async with self._database.unit_of_work() as uow:
            settings = uow.repo(SqlFlashSettingsRepository)
            if changes:
                await settings.set_limits(actor.guild_id, changes, now=self._clock.now())
            stored = await settings.limits(actor.guild_id)
            await uow.commit()
        if changes:
            log.info("Flash Report limits of guild %s changed: %s", actor.guild_id, sorted(changes))
        return await self._limits_view(actor.guild_id, stored, programme)

    async def _limits_view(
        self, guild_id: int, stored: tuple[int | None, int | None], programme: Programme | None
    ) -> FlashLimits:
        limits = self._planner.limits_from(stored)
        zone = await self._planner.zone(guild_id, programme)
        return FlashLimits(limits.per_person_per_day, limits.issue_size, zone.key, stored[0] is None, stored[1] is None)

    # -- curating --------------------------------------------------------------------------------------------

    async def list_items(self, actor: Actor, page: int = 1, *, kind: ItemKind | None = None) -> ItemsPage:
        """Return a page of what is collected for the next issue (facilitators)."""
        await self._facilitator(actor, "see what is collected for the Flash Report")
        async with self._database.unit_of_work() as uow:
            return await self._page(uow, actor.guild_id, page, kind)

    async def _page(self, uow: UnitOfWork, guild_id: int, page: int, kind: ItemKind | None) -> ItemsPage:
        items_repo = uow.repo(SqlFlashItemRepository)
        total = await items_repo.count_pending(guild_id, kind=kind)
        held = await items_repo.count_pending(guild_id, kind=kind, state=ItemState.HELD)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(1, page), pages)
        items = await items_repo.pending(guild_id, kind=kind, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        quotable = await self._planner.quotable(guild_id)
        unquotable = frozenset(
            i.id
            for i in items
            if i.author_id not in quotable
            and (i.kind is ItemKind.STORY or (i.kind is ItemKind.NOMINATION and (i.excerpt or i.restricted)))
        )
        return ItemsPage(tuple(items), page, pages, total, unquotable, kind, held)

    async def _set_person_state(self, actor: Actor, user_id: int, state: ItemState) -> BulkResult:
        await self._facilitator(actor, "choose what goes into the Flash Report")
        async with self._database.unit_of_work() as uow:
            changed = await uow.repo(SqlFlashItemRepository).set_state_of_person(
                actor.guild_id, user_id, state, now=self._clock.now()
            )
            await uow.commit()
        log.info("%d Flash Report items of one person set to %s in guild %s", changed, state, actor.guild_id)
        return BulkResult(state, changed)

    async def include_by(self, actor: Actor, user_id: int) -> BulkResult:
        """Put every waiting item of a person back into the next issue, held ones too (facilitators).

        A person's items are those they shared, told or nominated, and their messages that others nominated.
        """
        return await self._set_person_state(actor, user_id, ItemState.INCLUDED)

    async def exclude_by(self, actor: Actor, user_id: int) -> BulkResult:
        """Leave every waiting item of a person out of the next issue (facilitators); see include_by."""
        return await self._set_person_state(actor, user_id, ItemState.EXCLUDED)

    async def set_page_state(self, actor: Actor, button: PageButton) -> BulkResult:
        """Include or exclude every item of a /flash items page at once, and return the page refreshed (facilitators).

        The button names the first and last item shown; the items waiting in that range are exactly the page,
        since items are listed in id order. A range holding more than a page (a stale or forged button) is refused.

        Raises:
            PageChangedError: the range holds more items than one page (nothing is changed).
        """
        await self._facilitator(actor, "choose what goes into the Flash Report")
        state = ItemState.INCLUDED if button.action is PageAction.INCLUDE else ItemState.EXCLUDED
        kind = ItemKind(button.kind) if button.kind is not None else None
        first, last = max(1, button.first_id), min(button.last_id, MAX_ITEM_ID)
        async with self._database.unit_of_work() as uow:
            items = uow.repo(SqlFlashItemRepository)
            if await items.count_in_range(actor.guild_id, first, last, kind) > PAGE_SIZE:
                raise PageChangedError()
            changed = await items.set_state_in_range(actor.guild_id, first, last, kind, state, now=self._clock.now())
            await uow.commit()
            page = await self._page(uow, actor.guild_id, button.page, kind)
        return BulkResult(state, changed, page)

    async def _set_state(self, actor: Actor, item_id: int, state: ItemState) -> FlashItem:
        await self._facilitator(actor, "choose what goes into the Flash Report")
        async with self._database.unit_of_work() as uow:
            await self._item(uow, actor, item_id)
            item = await uow.repo(SqlFlashItemRepository).update(
                actor.guild_id, item_id, {"state": state}, now=self._clock.now()
            )
            await uow.commit()
        return item

    async def include_item(self, actor: Actor, item_id: int) -> FlashItem:
        """Put an item back into the next issue (facilitators)."""
        return await self._set_state(actor, item_id, ItemState.INCLUDED)

    async def exclude_item(self, actor: Actor, item_id: int) -> FlashItem:
        """Leave an item out of the next issue (facilitators); it is not offered again after that issue."""
        return await self._set_state(actor, item_id, ItemState.EXCLUDED)

    async def edit_item(
        self,
        actor: Actor,
        item_id: int,
        *,
        title: str | None = None,
        note: str | None = None,
        tags: str | Sequence[str] | None = None,
    ) -> FlashItem:
        """Change a resource's or nomination's title, note or tags (None keeps a value; "" clears it)."""
        await self._facilitator(actor, "edit Flash Report items")
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = _text(title, "title", TITLE_LIMIT)
        if note is not None:
            changes["body"] = _text(note, "note", NOTE_LIMIT)
        new_tags: tuple[str, ...] = ()
        if tags is not None:
            changes["tags"] = new_tags = parse_tags(tags)
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            item = await self._item(uow, actor, item_id)
            if item.kind is ItemKind.STORY:
                raise StoryNotEditableError(item_id)
            if not changes:
                return item
            added = [t for t in new_tags if t not in item.tags]
            item = await uow.repo(SqlFlashItemRepository).update(actor.guild_id, item_id, changes, now=now)
            await uow.repo(SqlFlashSettingsRepository).use_tags(actor.guild_id, added, now=now)
            await uow.commit()
        return item

    # -- scheduling and publishing -------------------------------------------------------------------------------

    async def set_schedule(self, actor: Actor, rule: str, *, lead_hours: int | None = None) -> ScheduleResult:
        """Set the cadence (e.g. "first Monday of the month at 09:00") and plan the next issue (facilitators).

        The draft goes to the facilitator channel lead_hours before (48 by default).
        """
        programme = await self._facilitator(actor, "schedule the Flash Report")
        if programme is None:
            raise ProgrammeNotSetUpError()
        cadence = parse_cadence(rule)
        hours = int(DEFAULT_LEAD / timedelta(hours=1)) if lead_hours is None else lead_hours
        if not MIN_LEAD_HOURS <= hours <= MAX_LEAD_HOURS:
            raise InvalidLeadTimeError(hours, MIN_LEAD_HOURS, MAX_LEAD_HOURS)
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await uow.repo(SqlFlashSettingsRepository).set_schedule(actor.guild_id, cadence.text, hours * 60, now=now)
            issue = await self._planner.ensure_draft(uow, actor.guild_id, now=now)
            plan = await self._planner.plan(uow, issue, now=now)
            await uow.commit()
        assert plan is not None  # a cadence was just stored
        self._planner.wake(plan.draft_at)
        following = cadence.upcoming(plan.publish_at, programme.zone, 2)
        return ScheduleResult(cadence.text, programme.timezone, plan.issue, plan.draft_at, plan.publish_at, following)

    async def clear_schedule(self, actor: Actor) -> bool:
        """Stop publishing on a cadence (facilitators); tell whether there was one. /flash publish still works."""
        await self._facilitator(actor, "change the Flash Report schedule")
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            had = await uow.repo(SqlFlashSettingsRepository).clear_schedule(actor.guild_id)
            issue = await uow.repo(SqlFlashIssueRepository).draft(actor.guild_id)
            if issue is not None:
                await self._planner.plan(uow, issue, now=now)
            await uow.commit()
        return had

    async def build_draft(self, actor: Actor) -> DraftPreview:
        """Show the next issue as it would go out now, with the draft buttons (facilitators)."""
        await self._facilitator(actor, "prepare the Flash Report")
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            issue = await self._planner.ensure_draft(uow, actor.guild_id, now=now)
            await uow.commit()
            compiled = await self._planner.compile(uow, issue, now=now)
        messages = render_draft(
            compiled.content,
            issue_id=issue.id,
            publish_at=issue.scheduled_for,
            withheld=compiled.withheld,
            held=compiled.held,
            withheld_nominations=compiled.withheld_nominations,
        )
        return DraftPreview(issue, tuple(messages))

    async def publish_now(self, actor: Actor, issue_id: int | None = None) -> PublishRequest:
        """Publish the next issue (or issue_id) straight away (facilitators); idempotent.

        Publishing twice posts once: requests about one issue take turns (its row is locked), so a second one,
        even at the same moment, finds the issue going out or out already. An issue
        whose publication stopped part-way (the publisher gave up) resumes with the parts still missing.
        """
        programme = await self._facilitator(actor, "publish the Flash Report")
        if programme is None or programme.flash_reports_channel_id is None:
            raise FlashChannelMissingError("Flash Reports")
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            if issue_id is None:
                issue = await self._planner.ensure_draft(uow, actor.guild_id, now=now)
                previous = await self._previous_if_nothing_new(uow, issue)
                if previous is not None:  # "/flash publish" again after it went out: the same request
                    published = previous.status is IssueStatus.PUBLISHED
                    outcome = PublishOutcome.ALREADY_PUBLISHED if published else PublishOutcome.ALREADY_GOING_OUT
                    return PublishRequest(previous, outcome)
            else:
                issue = await self._issue(uow, actor, issue_id)
            issue = await uow.repo(SqlFlashIssueRepository).lock(issue.id) or issue  # concurrent requests queue
            if issue.status is IssueStatus.PUBLISHED:
                return PublishRequest(issue, PublishOutcome.ALREADY_PUBLISHED)
            open_publications = [
                d
                for d in await uow.repo(SqlDeliveryRepository).list(
                    target=issue_target(issue.id), kind=PUBLISH_KIND, status=OPEN_STATUSES
                )
                if d.due_at <= now
            ]
            if open_publications:
                return PublishRequest(issue, PublishOutcome.ALREADY_GOING_OUT)
            outcome = PublishOutcome.STARTED
            if issue.status is IssueStatus.PUBLISHING:
                key = publish_now_key(issue.id, now)
                issues = uow.repo(SqlFlashIssueRepository)
                if not await issues.take_over(issue.id, issue.publisher_key, key, now=now):
                    return PublishRequest(issue, PublishOutcome.ALREADY_GOING_OUT)
                outcome = PublishOutcome.RESUMED
            await self._planner.schedule_publish_now(uow, issue, now=now)
            await uow.commit()
        self._planner.wake(now)
        log.info("Publication of Flash Report #%s requested in guild %s (%s)", issue.number, actor.guild_id, outcome)
        return PublishRequest(issue, outcome)

    async def _previous_if_nothing_new(self, uow: UnitOfWork, draft: Issue) -> Issue | None:
        """Return the last issue out when nothing was collected since it (so a repeated publish is idempotent)."""
        if draft.number == 1:
            return None
        previous = await uow.repo(SqlFlashIssueRepository).get_by_number(draft.guild_id, draft.number - 1)
        if previous is None or previous.status is IssueStatus.DRAFT:
            return None
        items = uow.repo(SqlFlashItemRepository)
        if await items.count_pending(draft.guild_id, created_after=previous.published_at):
            return None
        return previous

    async def skip_issue(self, actor: Actor, issue_id: int) -> SkipResult:
        """Move the issue to the cadence's following date ("Skip this month"); its items wait for it (facilitators)."""
        await self._facilitator(actor, "skip a Flash Report")
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            issue = await self._issue(uow, actor, issue_id)
            if issue.status is not IssueStatus.DRAFT:
                raise IssueNotDraftError(issue.number, issue.published_at)
            if issue.scheduled_for is None or await self._planner.cadence(uow, actor.guild_id) is None:
                raise NotScheduledError()
            skipped = issue.scheduled_for
            plan = await self._planner.plan(uow, issue, now=now, not_before=skipped)
            if plan is None:
                raise IssueNotDraftError(issue.number, issue.published_at)
            await uow.commit()
        self._planner.wake(plan.draft_at)
        return SkipResult(plan.issue, skipped, plan.publish_at)

    async def get_intro(self, actor: Actor, issue_id: int) -> str:
        """Return the issue's intro, to prefill the "Edit intro" form (facilitators)."""
        await self._facilitator(actor, "edit the Flash Report intro")
        async with self._database.unit_of_work() as uow:
            return (await self._issue(uow, actor, issue_id)).intro_text

    async def set_intro(self, actor: Actor, issue_id: int, text: str) -> Issue:
        """Replace a draft's intro; empty text restores the default (facilitators)."""
        await self._facilitator(actor, "edit the Flash Report intro")
        intro = _text(text, "intro", INTRO_LIMIT, block=True)
        async with self._database.unit_of_work() as uow:
            issue = await self._issue(uow, actor, issue_id)
            updated = await uow.repo(SqlFlashIssueRepository).update_draft(
                issue.id, {"intro": intro or None}, now=self._clock.now()
            )
            if updated is None:
                raise IssueNotDraftError(issue.number, issue.published_at)
            await uow.commit()
        return updated

    # -- reading -----------------------------------------------------------------------------------------------

    async def latest(self, actor: Actor) -> PublishedIssue:
        """Return the latest published issue with its frozen messages (everyone)."""
        async with self._database.unit_of_work() as uow:
            issues = uow.repo(SqlFlashIssueRepository)
            found = await issues.published(actor.guild_id, limit=1)
            snapshot = await issues.snapshot(found[0].id) if found else None
        if not found or snapshot is None:
            raise NothingPublishedError()
        return PublishedIssue(found[0], snapshot)

    async def issue(self, actor: Actor, number: int) -> PublishedIssue:
        """Return a published issue by its number (everyone)."""
        return await published_issue(self._database, actor.guild_id, number)

    async def archive(self, actor: Actor, page: int = 1) -> ArchivePage:
        """Return a page of published issues, newest first (everyone)."""
        async with self._database.unit_of_work() as uow:
            issues = uow.repo(SqlFlashIssueRepository)
            total = await issues.count_published(actor.guild_id)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(1, page), pages)
            found = await issues.published(actor.guild_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
            summaries = []
            for issue in found:
                snapshot = await issues.snapshot(issue.id)
                if snapshot is None or issue.published_at is None:
                    continue
                content = snapshot.content
                summaries.append(
                    IssueSummary(
                        issue.id,
                        issue.number,
                        issue.published_at,
                        issue.channel_id,
                        issue.message_ids,
                        len(content.resources),
                        len(content.nominations),
                        len(content.stories),
                        sum(r.count for r in content.removals),
                        content.archive_only_count,
                    )
                )
        return ArchivePage(tuple(summaries), page, pages, total)

    async def archive_issue(self, actor: Actor, number: int, page: int = 1) -> IssueArchivePage:
        """Return a page of what a published issue holds beyond its posted messages (everyone).

        An issue posts at most the server's issue size (/flash limits); its other entries are listed here.
        """
        found = await published_issue(self._database, actor.guild_id, number)
        content = found.snapshot.content
        pages = archive_pages(content)
        page = min(max(1, page), max(1, len(pages)))
        text = pages[page - 1] if pages else Text()
        posted = len(content.posted_ids())
        return IssueArchivePage(found.issue, text, page, max(1, len(pages)), content.archive_only_count, posted)

    # -- data rights --------------------------------------------------------------------------------------------

    async def erase_user(self, guild_id: int, user_id: int) -> ErasureResult:
        """Remove a person's resources, nominated messages, stories and quotes from the Flash Report.

        Items waiting for an issue are deleted. Published snapshots drop the person's entries and record
        "n items removed at the person's request on <date>"; their posted messages are edited to match
        (a flash_amend delivery). Being the nominator of someone else's message is forgotten too.
        """
        now = self._clock.now()
        marked: list[int] = []
        removed_from_snapshots = 0
        async with self._database.unit_of_work() as uow:
            items = uow.repo(SqlFlashItemRepository)
            issues = uow.repo(SqlFlashIssueRepository)
            deleted = await items.delete_by_author(guild_id, user_id)
            await items.forget_nominator(guild_id, user_id, now=now)
            for issue in await issues.published(guild_id):
                snapshot = await issues.snapshot(issue.id)
                if snapshot is None:
                    continue
                content, removed = snapshot.content.without_author(user_id, now)
                if not removed:
                    continue
                await issues.replace_snapshot(issue.id, Snapshot(content, tuple(render_issue(content))), now=now)
                marked.append(issue.number)
                removed_from_snapshots += removed
                if issue.message_ids or issue.status is IssueStatus.PUBLISHING:
                    await self._planner.schedule(uow, amend_delivery(issue, len(content.removals), now))
            await uow.commit()
        if marked:
            self._planner.wake(now)
        log.info(
            "Erased user from Flash Reports of guild %s: %d items deleted, %d entries removed from issues %s",
            guild_id,
            deleted,
            removed_from_snapshots,
            marked,
        )
        return ErasureResult(deleted, removed_from_snapshots, tuple(sorted(marked)))


async def published_issue(database: Database, guild_id: int, number: int) -> PublishedIssue:
    """Return a server's published issue by number with its snapshot.

    Raises:
        IssueNotFoundError: when there is no such issue, or it has not gone out.
    """
    if not 0 < number <= MAX_ITEM_ID:
        raise IssueNotFoundError(f"Flash Report #{number}")
    async with database.unit_of_work() as uow:
        issues = uow.repo(SqlFlashIssueRepository)
        issue = await issues.get_by_number(guild_id, number)
        snapshot = await issues.snapshot(issue.id) if issue is not None else None
    if issue is None or snapshot is None or issue.status is IssueStatus.DRAFT:
        raise IssueNotFoundError(f"Flash Report #{number}")
    return PublishedIssue(issue, snapshot)


async def redact_free_text(uow: UnitOfWork, guild_id: int, *, before: datetime, now: datetime) -> FlashRedaction:
    """Blank the free text of items created at or before before, in the items and the published snapshots.

    Runs in the caller's unit of work (the retention sweep's). Snapshots' stored messages are re-rendered; the
    caller amends the messages already posted of the issues returned in issue_ids.
    """
    resource_notes, stories, nominations, old_ids = await uow.repo(SqlFlashItemRepository).redact_text(
        guild_id, before, now=now
    )
    issues = uow.repo(SqlFlashIssueRepository)
    changed: list[int] = []
    for issue in await issues.published(guild_id):
        snapshot = await issues.snapshot(issue.id)
        if snapshot is None:
            continue
        quotes_too = issue.published_at is not None and issue.published_at <= before
        content = snapshot.content.without_text_of(old_ids, quotes_too=quotes_too)
        if content != snapshot.content:
            await issues.replace_snapshot(issue.id, Snapshot(content, tuple(render_issue(content))), now=now)
            changed.append(issue.id)
    return FlashRedaction(resource_notes, stories, nominations, len(changed), tuple(changed))
