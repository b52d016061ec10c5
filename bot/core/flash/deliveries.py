"""The Flash Report's deliveries: kinds, targets, dedupe keys, and the handlers that post the facilitators'
draft, the publication and the amendment after an erasure.

Register the handlers once at start-up with ``register(dispatcher, database=..., clock=..., sender=..., planner=...)``.

Delivery keys (unique for all time, see bot.core.delivery):

* ``flash:draft:<issue_id>:<slot unix>`` — the draft for one scheduled date of an issue;
* ``flash:publish:<issue_id>:<slot unix>`` — its publication at that date;
* ``flash:publish:<issue_id>:now:<unix>`` — a facilitator's "publish now" (re-planning never cancels it);
* ``flash:amend:<issue_id>:<removals>`` — editing the posted messages after an erasure;
* ``flash:amend:<issue_id>:retention:<unix>`` — editing them after a retention sweep blanked text in the issue;
* ``posted:<posting id>:edit:<n>`` — rendering a posted draft again (bot.core.delivery.posted).

An issue's draft and publication deliveries share the target ``flash:issue:<issue_id>``, so re-planning
cancels the pending ones in one statement before scheduling the new date (a cancelled key re-opens when
scheduled again; a sent one never goes out twice). Amendments use ``flash:issue:<issue_id>:amend``.

Guarantees (on top of the dispatcher's at-least-once with nonce + marker, see bot.core.delivery.dispatcher):

* ``flash_draft`` — at most once per issue and date in practice: each part is posted through ``post_once``
  under its own key (``<dedupe_key>#<part>``), and a retry looks for parts already there before posting.
  A draft whose issue was published or moved meanwhile is skipped (cancelled), never posted.
* ``flash_publish`` — exactly once per issue. The first delivery to run freezes the issue
  (draft -> publishing, compare-and-set) with its snapshot and becomes its only publisher; every other
  delivery for that issue (a scheduled one after "publish now", a double click, a stale date) is skipped.
  The publisher records each part's message id as soon as it is posted, so a retry after a crash or restart
  posts only the parts still missing (and looks for them first). After the last part the issue becomes
  published and the next issue is planned from the cadence.
* ``flash_amend`` — edits the posted messages to the amended snapshot after an erasure or a retention sweep
  (idempotent).
* ``flash_draft_edit`` — renders a posted draft again after an erasure or a retention sweep (bot.core.flash.redraft;
  every posted draft is recorded with whose words it carries, bot.core.delivery.posted).
"""

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliverySkipped, NewDelivery
from bot.core.delivery.idempotent import post_once
from bot.core.delivery.keys import delivery_key
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.posted import PostedEditor, record_posting
from bot.core.flash.content import Snapshot
from bot.core.flash.domain import PUBLISH_GRACE, Issue, IssueStatus
from bot.core.flash.redraft import DRAFT_OVERFLOW, DraftRenderer, draft_rendering
from bot.core.flash.render import render_issue
from bot.core.flash.repository import SqlFlashIssueRepository, SqlFlashItemRepository
from bot.core.messages import Embed, OutboundMessage
from bot.core.ports import PermanentSendError, Sender, TransientSendError
from bot.core.storage.database import Database, UnitOfWork

if TYPE_CHECKING:  # the planner schedules these deliveries, so it imports this module
    from bot.core.flash.planning import IssuePlanner

log = logging.getLogger(__name__)

DRAFT_KIND = "flash_draft"
PUBLISH_KIND = "flash_publish"
AMEND_KIND = "flash_amend"
DRAFT_EDIT_KIND = "flash_draft_edit"


def issue_target(issue_id: int) -> str:
    """Return the delivery target shared by all of an issue's deliveries."""
    return f"flash:issue:{issue_id}"


def draft_key(issue_id: int, slot: datetime) -> str:
    """Return the dedupe key of an issue's draft for one scheduled date."""
    return delivery_key("flash", "draft", issue_id, slot)


def publish_key(issue_id: int, slot: datetime) -> str:
    """Return the dedupe key of an issue's publication at one scheduled date."""
    return delivery_key("flash", "publish", issue_id, slot)


def publish_now_prefix(issue_id: int) -> str:
    """Return the start of every "publish now" key of an issue."""
    return delivery_key("flash", "publish", issue_id, "now") + ":"


def publish_now_key(issue_id: int, now: datetime) -> str:
    """Return the dedupe key of a "publish now" made at now (a double click in one second is one request)."""
    return delivery_key("flash", "publish", issue_id, "now", now)


def draft_delivery(issue: Issue, slot: datetime, draft_at: datetime) -> NewDelivery:
    """Build the delivery that posts an issue's draft to the facilitators at draft_at (for the date slot)."""
    return NewDelivery(
        guild_id=issue.guild_id,
        kind=DRAFT_KIND,
        target=issue_target(issue.id),
        dedupe_key=draft_key(issue.id, slot),
        due_at=draft_at,
        deliver_before=slot,
        payload={"issue_id": issue.id, "slot": slot.isoformat(), "summary": f"draft of Flash Report #{issue.number}"},
    )


def publication_delivery(issue: Issue, dedupe_key: str, due_at: datetime, *, slot: datetime | None) -> NewDelivery:
    """Build the delivery that publishes an issue at due_at (slot: its scheduled date, None when "now")."""
    return NewDelivery(
        guild_id=issue.guild_id,
        kind=PUBLISH_KIND,
        target=issue_target(issue.id),
        dedupe_key=dedupe_key,
        due_at=due_at,
        deliver_before=due_at + PUBLISH_GRACE,
        payload={
            "issue_id": issue.id,
            "slot": slot.isoformat() if slot is not None else None,
            "summary": f"Flash Report #{issue.number}",
        },
    )


def amend_delivery(issue: Issue, removals: int, now: datetime) -> NewDelivery:
    """Build the delivery that edits a published issue's messages after its removals-th erasure."""
    return NewDelivery(
        guild_id=issue.guild_id,
        kind=AMEND_KIND,
        target=f"{issue_target(issue.id)}:amend",  # never cancelled by re-planning
        dedupe_key=delivery_key("flash", "amend", issue.id, removals),
        due_at=now,
        deliver_before=now + PUBLISH_GRACE,
        payload={"issue_id": issue.id, "summary": f"update of Flash Report #{issue.number}"},
    )


def retention_amend_delivery(guild_id: int, issue_id: int, now: datetime) -> NewDelivery:
    """Build the delivery that edits a published issue's messages after a retention sweep changed its snapshot."""
    return NewDelivery(
        guild_id=guild_id,
        kind=AMEND_KIND,
        target=f"{issue_target(issue_id)}:amend",  # never cancelled by re-planning
        dedupe_key=delivery_key("flash", "amend", issue_id, "retention", now),
        due_at=now,
        deliver_before=now + PUBLISH_GRACE,
        payload={"issue_id": issue_id, "summary": "update of a Flash Report after the retention period"},
    )


REMOVED_PART = OutboundMessage(
    embeds=(
        Embed(
            description="This part of the Flash Report was removed (at a participant's request, or after the "
            "programme's data retention period)."
        ),
    )
)


def _slot(delivery: Delivery) -> datetime | None:
    value = delivery.payload.get("slot")
    return datetime.fromisoformat(value) if value else None


class FlashDeliveries:
    """Post drafts and publications, and amend published issues, for the delivery dispatcher."""

    def __init__(self, database: Database, clock: Clock, sender: Sender, planner: "IssuePlanner") -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._planner = planner

    async def _issue(self, issues: SqlFlashIssueRepository, delivery: Delivery) -> Issue:
        issue = await issues.get(int(delivery.payload["issue_id"]))
        if issue is None or issue.guild_id != delivery.guild_id:
            raise DeliverySkipped("the Flash Report issue no longer exists")
        return issue

    def _recorder(self, issue_id: int) -> Callable[[list[int]], Awaitable[None]]:
        """Return a callback that stores the ids of the parts posted so far (each in its own commit)."""

        async def record(posted: list[int]) -> None:
            async with self._database.unit_of_work() as uow:
                await uow.repo(SqlFlashIssueRepository).record_parts(issue_id, posted, now=self._clock.now())
                await uow.commit()

        return record

    async def _post_parts(
        self,
        channel_id: int,
        messages: Sequence[OutboundMessage],
        delivery: Delivery,
        *,
        already: Sequence[int] = (),
        record: Callable[[list[int]], Awaitable[None]] | None = None,
    ) -> list[int]:
        """Post the parts not yet posted, each once (its own nonce and marker); return all part ids."""
        posted = list(already)
        # A retry may follow an attempt that posted a part without recording it: look before posting again.
        careful = delivery.recovered or delivery.attempts > 1
        for index in range(len(posted), len(messages)):
            part = dataclasses.replace(delivery, dedupe_key=f"{delivery.dedupe_key}#{index + 1}", recovered=careful)
            posted.append(await post_once(self._sender, channel_id, messages[index], part))
            if record is not None:
                await record(posted)
        return posted

    async def deliver_draft(self, delivery: Delivery) -> int | None:
        """Post the draft of the issue to the facilitator channel, with Publish now / Edit intro / Skip buttons."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            issue = await self._issue(uow.repo(SqlFlashIssueRepository), delivery)
            if issue.status is not IssueStatus.DRAFT:
                raise DeliverySkipped(f"{issue.title} is already {issue.status.value}")
            if (slot := _slot(delivery)) is not None and issue.scheduled_for != slot:
                raise DeliverySkipped(f"{issue.title} was moved to another date")
            programme = await self._planner.programme(issue.guild_id)
            channel_id = programme.facilitator_channel_id if programme is not None else None
            if channel_id is None:
                raise PermanentSendError(
                    f"No facilitator channel is set, so the draft of {issue.title} could not be posted. Choose one "
                    "with /programme setup; the issue is still published on time (/flash draft shows it now)."
                )
            compiled = await self._planner.compile(uow, issue, now=now)
        rendering = draft_rendering(issue, compiled)
        posted = await self._post_parts(channel_id, rendering.messages, delivery)
        await record_posting(  # erasure and retention edit it later (whose words it carries)
            self._database,
            guild_id=issue.guild_id,
            edit_kind=DRAFT_EDIT_KIND,
            ref=delivery.dedupe_key,
            subject_id=issue.id,
            channel_id=channel_id,
            message_ids=posted,
            rendering=rendering,
            now=self._clock.now(),
        )
        log.info("Posted the draft of %s (guild %s) in %d parts", issue.title, issue.guild_id, len(posted))
        return posted[0]

    async def deliver_publication(self, delivery: Delivery) -> int | None:
        """Freeze the issue (first time only), post its parts once each, then mark it published and plan the next."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            issues = uow.repo(SqlFlashIssueRepository)
            issue = await self._issue(issues, delivery)
            if issue.status is IssueStatus.DRAFT:
                issue = await self._freeze(uow, issue, delivery, now)
            elif issue.publisher_key != delivery.dedupe_key:
                raise DeliverySkipped(f"{issue.title} is already {issue.status.value} by another request")
            elif issue.status is IssueStatus.PUBLISHED:
                return issue.message_ids[0] if issue.message_ids else None
            snapshot = await issues.snapshot(issue.id)
        if snapshot is None or issue.channel_id is None:  # frozen issues always have both
            raise DeliverySkipped(f"{issue.title} has no snapshot to publish")
        posted = await self._post_parts(
            issue.channel_id, snapshot.messages, delivery, already=issue.message_ids, record=self._recorder(issue.id)
        )
        await self._finish(issue, now)
        log.info("Published %s (guild %s) in %d parts", issue.title, issue.guild_id, len(posted))
        return posted[0] if posted else None

    async def _freeze(self, uow: UnitOfWork, issue: Issue, delivery: Delivery, now: datetime) -> Issue:
        if (slot := _slot(delivery)) is not None and issue.scheduled_for != slot:
            raise DeliverySkipped(f"{issue.title} was moved to another date")
        programme = await self._planner.programme(issue.guild_id)
        channel_id = programme.flash_reports_channel_id if programme is not None else None
        if channel_id is None:
            raise PermanentSendError(
                f"No Flash Reports channel is set, so {issue.title} was not published. Choose one with "
                "/programme setup, then use /flash publish."
            )
        compiled = await self._planner.compile(uow, issue, now=now)
        snapshot = Snapshot(compiled.content, tuple(render_issue(compiled.content)))
        issues = uow.repo(SqlFlashIssueRepository)
        frozen = await issues.freeze(
            issue.id, snapshot, channel_id=channel_id, publisher_key=delivery.dedupe_key, now=now
        )
        if not frozen:
            raise DeliverySkipped(f"{issue.title} is already being published by another request")
        await uow.repo(SqlFlashItemRepository).attach(issue.guild_id, compiled.consumed_ids, issue.id, now=now)
        await uow.commit()
        frozen_issue = await issues.get(issue.id)
        if frozen_issue is None:
            raise DeliverySkipped(f"{issue.title} vanished while being published")
        return frozen_issue

    async def _finish(self, issue: Issue, now: datetime) -> None:
        plan = None
        async with self._database.unit_of_work() as uow:
            if await uow.repo(SqlFlashIssueRepository).finish(issue.id, now=self._clock.now()):
                following = await self._planner.ensure_draft(uow, issue.guild_id, now=self._clock.now())
                plan = await self._planner.plan(uow, following, now=self._clock.now(), not_before=issue.scheduled_for)
            await uow.commit()
        if plan is not None:
            self._planner.wake(plan.draft_at)

    async def deliver_amendment(self, delivery: Delivery) -> int | None:
        """Edit a published issue's messages to its amended snapshot (parts no longer needed say so)."""
        async with self._database.unit_of_work() as uow:
            issues = uow.repo(SqlFlashIssueRepository)
            issue = await self._issue(issues, delivery)
            if issue.status is IssueStatus.PUBLISHING:
                raise TransientSendError(f"{issue.title} is still being published; amending it afterwards")
            if issue.status is not IssueStatus.PUBLISHED or issue.channel_id is None:
                raise DeliverySkipped(f"{issue.title} was never published")
            snapshot = await issues.snapshot(issue.id)
        if snapshot is None or not issue.message_ids:
            raise DeliverySkipped(f"{issue.title} has nothing posted to amend")
        for index, message_id in enumerate(issue.message_ids):
            message = snapshot.messages[index] if index < len(snapshot.messages) else REMOVED_PART
            await self._sender.edit(issue.channel_id, message_id, message)
        if len(snapshot.messages) > len(issue.message_ids):  # rare: the removal note needed one more part
            await self._post_parts(
                issue.channel_id,
                snapshot.messages,
                delivery,
                already=issue.message_ids,
                record=self._recorder(issue.id),
            )
        return issue.message_ids[0]


def register(
    dispatcher: DeliveryScheduler, *, database: Database, clock: Clock, sender: Sender, planner: "IssuePlanner"
) -> FlashDeliveries:
    """Register the handlers (kinds flash_draft, flash_publish, flash_amend, flash_draft_edit); return the
    handlers' owner."""
    deliveries = FlashDeliveries(database, clock, sender, planner)
    dispatcher.register(DRAFT_KIND, deliveries.deliver_draft)
    dispatcher.register(PUBLISH_KIND, deliveries.deliver_publication)
    dispatcher.register(AMEND_KIND, deliveries.deliver_amendment)
    redraw = PostedEditor(database, clock, sender, DraftRenderer(planner), overflow=DRAFT_OVERFLOW)
    dispatcher.register(DRAFT_EDIT_KIND, redraw)
    return deliveries
