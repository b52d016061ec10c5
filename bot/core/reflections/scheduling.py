"""Plan a session's reflection poll: its times, and which card, nudge and close deliveries carry it out.

The programme service calls these inside its own unit of work when sessions are added, edited or
cancelled, commits, then wakes the dispatcher::

    plan = await poll_scheduler.schedule_poll(uow, session)   # or reschedule_poll / cancel_poll
    await uow.commit()
    if plan.wake_at is not None:
        dispatcher.wake(plan.wake_at)

The delivery kinds, their keys and their handlers are in bot.core.reflections.deliveries.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.delivery.domain import DeliveryStatus, NewDelivery
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.programme.domain import (
    DEFAULT_NUDGE_BEFORE_CLOSE_DAYS,
    DEFAULT_POLL_CLOSE_DAYS,
    DEFAULT_REFLECTION_DELAY_MINUTES,
    Programme,
    Session,
)
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.reflections.deliveries import (
    POLL_KINDS,
    REFLECTION_CARD,
    REFLECTION_CLOSE,
    REFLECTION_NUDGE,
    card_delivery,
    close_delivery,
    nudge_delivery,
    session_target,
)
from bot.core.reflections.domain import PollPlan, PollStatus
from bot.core.reflections.repository import SqlReflectionRepository
from bot.core.storage.database import UnitOfWork

log = logging.getLogger(__name__)


def poll_times(programme: Programme | None, session: Session) -> tuple[datetime, datetime | None, datetime]:
    """Return (opens_at, nudge_at or None, closes_at) of a session's poll under the programme's settings."""
    delay = programme.reflection_delay_minutes if programme else DEFAULT_REFLECTION_DELAY_MINUTES
    close_days = programme.poll_close_days if programme else DEFAULT_POLL_CLOSE_DAYS
    nudge_days = programme.nudge_before_close_days if programme else DEFAULT_NUDGE_BEFORE_CLOSE_DAYS
    opens_at = session.ends_at + timedelta(minutes=max(0, delay))
    closes_at = max(session.ends_at + timedelta(days=close_days), opens_at + timedelta(hours=1))
    nudge_at: datetime | None = closes_at - timedelta(days=nudge_days) if nudge_days > 0 else None
    if nudge_at is not None and nudge_at <= opens_at:
        nudge_at = None
    return opens_at, nudge_at, closes_at


class PollScheduler:
    """Create, move and cancel reflection polls and their deliveries inside a caller's unit of work."""

    def __init__(self, clock: Clock, dispatcher: DeliveryScheduler | None = None) -> None:
        self._clock = clock
        self._dispatcher = dispatcher

    async def add(self, uow: UnitOfWork, new: NewDelivery) -> None:
        """Schedule one delivery in the caller's unit of work (through the dispatcher when there is one)."""
        if self._dispatcher is not None:
            await self._dispatcher.schedule(uow, new)
        else:
            await uow.repo(SqlDeliveryRepository).add(new, now=self._clock.now())

    async def replace_delivery(self, uow: UnitOfWork, session_id: int, kind: str, new: NewDelivery | None) -> None:
        """Cancel pending deliveries of kind for the session other than new, then schedule new."""
        repo = uow.repo(SqlDeliveryRepository)
        now = self._clock.now()
        pending = await repo.list(target=session_target(session_id), kind=kind, status=DeliveryStatus.PENDING)
        for delivery in pending:
            if new is None or delivery.dedupe_key != new.dedupe_key:
                await repo.cancel(delivery.dedupe_key, now=now)
        if new is not None:
            await self.add(uow, new)

    async def cancel_deliveries(self, uow: UnitOfWork, session_id: int, kinds: Iterable[str] = POLL_KINDS) -> None:
        """Cancel the session's pending poll deliveries of the given kinds (other features' rows stay)."""
        for kind in kinds:
            await self.replace_delivery(uow, session_id, kind, None)

    async def schedule_poll(self, uow: UnitOfWork, session: Session, programme: Programme | None = None) -> PollPlan:
        """Plan (or re-plan) a session's poll and its card, nudge and close deliveries.

        A cancelled session's poll is cancelled instead. A poll whose card is out keeps its card and gets
        new nudge and close times; a closed poll is left alone (reopen it with ReflectionService.open_poll).
        """
        if session.is_cancelled:
            return await self.cancel_poll(uow, session.id)
        if programme is None:
            programme = await uow.repo(SqlProgrammeRepository).get(session.guild_id)
        repo = uow.repo(SqlReflectionRepository)
        existing = await repo.poll(session.id)
        if existing is not None and existing.status is PollStatus.CLOSED:
            return PollPlan(existing)
        opens_at, nudge_at, closes_at = poll_times(programme, session)
        now = self._clock.now()
        card_out = existing is not None and existing.status is PollStatus.OPEN
        if card_out and existing is not None:
            # An open poll keeps its opening, and never closes earlier than planned (it may have been reopened).
            opens_at = existing.opens_at
            if existing.closes_at > closes_at:
                closes_at = existing.closes_at
                nudge_at = existing.nudge_at
        status = PollStatus.OPEN if card_out else PollStatus.SCHEDULED
        poll = await repo.upsert_poll(
            guild_id=session.guild_id,
            session_id=session.id,
            session_ends_at=session.ends_at,
            opens_at=opens_at,
            nudge_at=nudge_at,
            closes_at=closes_at,
            status=status,
            now=now,
        )
        due: list[datetime] = []
        if not card_out:
            card = card_delivery(poll)
            await self.replace_delivery(uow, session.id, REFLECTION_CARD, card)
            due.append(card.due_at)
        nudge = nudge_delivery(poll)
        await self.replace_delivery(uow, session.id, REFLECTION_NUDGE, nudge)
        if nudge is not None:
            due.append(nudge.due_at)
        close = close_delivery(poll)
        await self.replace_delivery(uow, session.id, REFLECTION_CLOSE, close)
        due.append(close.due_at)
        log.debug("Planned reflection poll of session %s: opens %s, closes %s", session.id, opens_at, closes_at)
        return PollPlan(poll, tuple(due))

    async def reschedule_poll(self, uow: UnitOfWork, session: Session, programme: Programme | None = None) -> PollPlan:
        """Re-plan a session's poll after the session was edited (same as schedule_poll)."""
        return await self.schedule_poll(uow, session, programme)

    async def cancel_poll(self, uow: UnitOfWork, session_id: int) -> PollPlan:
        """Cancel a session's poll and its pending deliveries (a closed poll keeps its results)."""
        repo = uow.repo(SqlReflectionRepository)
        poll = await repo.poll(session_id)
        await self.cancel_deliveries(uow, session_id)
        if poll is not None and poll.status is not PollStatus.CLOSED:
            await repo.update_poll(poll.id, {"status": PollStatus.CANCELLED}, now=self._clock.now())
            poll = await repo.poll(session_id)
        return PollPlan(poll)

    def wake(self, plan: PollPlan) -> None:
        """Wake the dispatcher for a committed plan (no-op without a dispatcher or when nothing is due)."""
        if plan.wake_at is not None:
            self.wake_at(plan.wake_at)

    def wake_at(self, at: datetime) -> None:
        """Wake the dispatcher at a time (after the caller committed); no-op without a dispatcher."""
        if self._dispatcher is not None:
            self._dispatcher.wake(at)
