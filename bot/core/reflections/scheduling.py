"""Plan a session's reflection poll: its times, and the card, nudge and close deliveries that carry it out.

The programme service calls these inside its own unit of work when sessions are added, edited or
cancelled, commits, then wakes the dispatcher::

    plan = await poll_scheduler.schedule_poll(uow, session)   # or reschedule_poll / cancel_poll
    await uow.commit()
    if plan.wake_at is not None:
        dispatcher.wake(plan.wake_at)

Delivery kinds (all with target "session:<id>:reflection"):

* ``reflection_card`` — due at session end + the programme's reflection delay (default 15 minutes);
  dedupe key ``reflection_card:<session id>:<end time>``, so moving a session plans a new card and
  cancels the old one; useful until the poll closes.
* ``reflection_nudge`` — due nudge_before_close_days (default 2) before closing; no nudge when that
  would come before the card. Key ``reflection_nudge:<session id>:<nudge time>``.
* ``reflection_close`` — due poll_close_days (default 7) after the session ends. Key
  ``reflection_close:<session id>:<closing time>``; closing by hand or reopening plans a new one.
* ``reflection_nudge_dm`` — one per person, planned by the nudge handler when it runs.

The target is not the bare "session:<id>": the programme cancels that whole target whenever it
re-plans a session's reminders (bot.core.programme.scheduling.sync_reminders), which would silently
cancel an open poll's nudge and close. Cancelling everything about a session still works by prefix.

Payloads carry the session id and the time the row was planned for; a handler whose time no longer
matches the poll skips (the row was superseded by a later plan).
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliveryStatus, NewDelivery
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.programme.domain import (
    DEFAULT_NUDGE_BEFORE_CLOSE_DAYS,
    DEFAULT_POLL_CLOSE_DAYS,
    DEFAULT_REFLECTION_DELAY_MINUTES,
    Programme,
    Session,
)
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.reflections.domain import Poll, PollPlan, PollStatus
from bot.core.reflections.repository import SqlReflectionRepository
from bot.core.storage.database import UnitOfWork

log = logging.getLogger(__name__)

REFLECTION_CARD = "reflection_card"
REFLECTION_NUDGE = "reflection_nudge"
REFLECTION_NUDGE_DM = "reflection_nudge_dm"
REFLECTION_CLOSE = "reflection_close"
POLL_KINDS = (REFLECTION_CARD, REFLECTION_NUDGE, REFLECTION_NUDGE_DM, REFLECTION_CLOSE)
CLOSE_GRACE = timedelta(days=3)
"""How long after closing time a late close (disable buttons, post the summary) is still worth sending."""


class DeliveryScheduler(Protocol):
    """The part of the Dispatcher that features use: add a delivery in a unit of work, wake after commit."""

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> Delivery: ...

    def wake(self, at: datetime | None = None) -> None: ...


def stamp(when: datetime) -> str:
    """Return a compact UTC timestamp for dedupe keys and payloads (20260105T120000Z)."""
    return f"{when:%Y%m%dT%H%M%SZ}"


def session_target(session_id: int) -> str:
    """Return the delivery target of a session's reflection poll ("session:<id>:reflection")."""
    return f"session:{session_id}:reflection"


def card_key(session_id: int, ends_at: datetime) -> str:
    """Return the dedupe key of a session's reflection card."""
    return f"{REFLECTION_CARD}:{session_id}:{stamp(ends_at)}"


def nudge_key(session_id: int, nudge_at: datetime) -> str:
    """Return the dedupe key of a session's reflection nudge."""
    return f"{REFLECTION_NUDGE}:{session_id}:{stamp(nudge_at)}"


def close_key(session_id: int, closes_at: datetime) -> str:
    """Return the dedupe key of a session's poll closing."""
    return f"{REFLECTION_CLOSE}:{session_id}:{stamp(closes_at)}"


def nudge_dm_key(session_id: int, nudge_at: datetime, user_id: int) -> str:
    """Return the dedupe key of one person's reflection reminder DM."""
    return f"{REFLECTION_NUDGE_DM}:{session_id}:{stamp(nudge_at)}:{user_id}"


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
            card = self.card_delivery(poll)
            await self.replace_delivery(uow, session.id, REFLECTION_CARD, card)
            due.append(card.due_at)
        nudge = self.nudge_delivery(poll)
        await self.replace_delivery(uow, session.id, REFLECTION_NUDGE, nudge)
        if nudge is not None:
            due.append(nudge.due_at)
        close = self.close_delivery(poll)
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

    # -- the deliveries ------------------------------------------------------------------------------

    @staticmethod
    def card_delivery(poll: Poll, *, due_at: datetime | None = None, again_at: datetime | None = None) -> NewDelivery:
        """Return the card delivery of a poll (due when the poll opens unless due_at says otherwise).

        again_at gives the row a key of its own, for posting a card again after an earlier row ended.
        """
        due = due_at or poll.opens_at
        key = card_key(poll.session_id, poll.session_ends_at)
        if again_at is not None:
            key = f"{key}:again:{stamp(again_at)}"
        return NewDelivery(
            guild_id=poll.guild_id,
            kind=REFLECTION_CARD,
            target=session_target(poll.session_id),
            dedupe_key=key,
            due_at=due,
            deliver_before=max(poll.closes_at, due + timedelta(hours=1)),
            payload={
                "session_id": poll.session_id,
                "ends_at": stamp(poll.session_ends_at),
                "summary": f"reflection card of session {poll.session_id}",
            },
        )

    @staticmethod
    def nudge_delivery(poll: Poll) -> NewDelivery | None:
        """Return the nudge delivery of a poll, or None when it has no nudge."""
        if poll.nudge_at is None:
            return None
        return NewDelivery(
            guild_id=poll.guild_id,
            kind=REFLECTION_NUDGE,
            target=session_target(poll.session_id),
            dedupe_key=nudge_key(poll.session_id, poll.nudge_at),
            due_at=poll.nudge_at,
            deliver_before=poll.closes_at,
            payload={
                "session_id": poll.session_id,
                "nudge_at": stamp(poll.nudge_at),
                "summary": f"reflection reminder of session {poll.session_id}",
            },
        )

    @staticmethod
    def close_delivery(poll: Poll) -> NewDelivery:
        """Return the close delivery of a poll (disables the card, posts the facilitators' summary)."""
        return NewDelivery(
            guild_id=poll.guild_id,
            kind=REFLECTION_CLOSE,
            target=session_target(poll.session_id),
            dedupe_key=close_key(poll.session_id, poll.closes_at),
            due_at=poll.closes_at,
            deliver_before=poll.closes_at + CLOSE_GRACE,
            payload={
                "session_id": poll.session_id,
                "closes_at": stamp(poll.closes_at),
                "summary": f"reflection summary of session {poll.session_id}",
            },
        )

    @staticmethod
    def nudge_dm_delivery(poll: Poll, user_id: int, now: datetime) -> NewDelivery:
        """Return one person's reflection reminder DM (due now, useful until the poll closes)."""
        nudge_at = poll.nudge_at or now
        return NewDelivery(
            guild_id=poll.guild_id,
            kind=REFLECTION_NUDGE_DM,
            target=session_target(poll.session_id),
            dedupe_key=nudge_dm_key(poll.session_id, nudge_at, user_id),
            due_at=now,
            deliver_before=max(poll.closes_at, now + timedelta(minutes=5)),
            payload={"session_id": poll.session_id, "user_id": user_id, "summary": "reflection reminder DM"},
        )

    def wake(self, plan: PollPlan) -> None:
        """Wake the dispatcher for a committed plan (no-op without a dispatcher or when nothing is due)."""
        if plan.wake_at is not None:
            self.wake_at(plan.wake_at)

    def wake_at(self, at: datetime) -> None:
        """Wake the dispatcher at a time (after the caller committed); no-op without a dispatcher."""
        if self._dispatcher is not None:
            self._dispatcher.wake(at)
