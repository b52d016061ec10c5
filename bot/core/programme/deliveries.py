"""The programme's deliveries: kinds, targets, dedupe keys, scheduling a session's reminders, and the handlers.

Register the handlers once at start-up with register(dispatcher, ...). Each handler renders from the
database at send time (so an edited title shows its new text) and posts through post_once/dm_once,
which makes a retry after a crash a no-op on the platform.

A reminder's dedupe key holds the session id, the offset and the session's start, so moving a
session makes new reminders while the old pending ones are cancelled through the session's target.
Reminder DMs have a target of their own, so moving a session does not cut short DMs already being
paced out; their handler skips any whose session moved.

Delivery guarantees (at least once from the engine, at most once on the platform):

* session_reminder: one post in the announcements channel per (session, offset, start); skipped when
  the session was cancelled or moved since it was scheduled, or when a closer reminder is already due
  (after downtime only the latest goes out); useless (expired) after the start.
  After posting it schedules one session_reminder_dm per opted-in person (idempotent dedupe keys,
  so a retried reminder never doubles the DMs).
* session_reminder_dm: one DM per (session, offset, start, person); skipped when the person opted
  out or the session changed; the engine paces DMs at ≤ 1 a second.
* session_cancelled: one announcement per cancellation.
* facilitator_notice: the notice's text (delivery.notices.notice_text) in the facilitator channel.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.delivery.domain import (
    Delivery,
    DeliverySkipped,
    DeliveryStatus,
    NewDelivery,
)
from bot.core.delivery.idempotent import dm_once, post_once
from bot.core.delivery.keys import delivery_key, key_time
from bot.core.delivery.notices import FACILITATOR_NOTICE, notice_text
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import OutboundMessage
from bot.core.ports import PermanentSendError, Sender
from bot.core.programme.domain import Programme, Session
from bot.core.programme.render import cancellation_message, reminder_message
from bot.core.programme.repository import SqlProgrammeRepository, SqlReminderPreferenceRepository, SqlSessionRepository
from bot.core.programme.times import describe_offset
from bot.core.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)

SESSION_REMINDER = "session_reminder"
SESSION_REMINDER_DM = "session_reminder_dm"
SESSION_CANCELLED = "session_cancelled"
CANCELLATION_GRACE = timedelta(hours=1)


def session_target(session_id: int) -> str:
    """Return the delivery target of a session's reminders."""
    return f"session:{session_id}"


def session_dm_target(session_id: int) -> str:
    """Return the delivery target of a session's reminder DMs."""
    return f"session:{session_id}:dm"


def reminder_key(session: Session, offset_minutes: int) -> str:
    """Return the dedupe key of a reminder: session, offset and start."""
    return delivery_key(SESSION_REMINDER, session.id, offset_minutes, session.starts_at)


def reminder_dm_key(session_id: int, offset_minutes: int, starts_unix: int, user_id: int) -> str:
    """Return the dedupe key of one person's reminder DM."""
    return delivery_key(SESSION_REMINDER_DM, session_id, offset_minutes, starts_unix, user_id)


def cancellation_delivery(session: Session, *, now: datetime) -> NewDelivery:
    """Build the announcement of a cancelled session (one per cancellation, useful until the start)."""
    return NewDelivery(
        guild_id=session.guild_id,
        kind=SESSION_CANCELLED,
        target=f"session:{session.id}:cancelled",
        dedupe_key=delivery_key(SESSION_CANCELLED, session.id, session.sequence),
        due_at=now,
        deliver_before=max(session.starts_at, now + CANCELLATION_GRACE),
        payload={"session_id": session.id, "summary": f"cancellation of session {session.number}"},
    )


async def sync_reminders(
    uow: UnitOfWork, dispatcher: DeliveryScheduler, programme: Programme, session: Session, now: datetime
) -> tuple[list[datetime], list[int]]:
    """Cancel a session's pending reminders and schedule one per offset that is not yet past.

    Returns the due times scheduled and the offsets skipped because they were already past. A
    reminder with the same key that was already sent stays sent (the delivery engine never resends).
    """
    await uow.repo(SqlDeliveryRepository).cancel_target(session_target(session.id), now=now)
    if session.is_cancelled or session.starts_at <= now:
        return [], []
    scheduled: list[datetime] = []
    skipped: list[int] = []
    for offset in programme.reminder_offsets:
        due = session.starts_at - timedelta(minutes=offset)
        if due < now:
            skipped.append(offset)
            continue
        delivery = await dispatcher.schedule(
            uow,
            NewDelivery(
                guild_id=session.guild_id,
                kind=SESSION_REMINDER,
                target=session_target(session.id),
                dedupe_key=reminder_key(session, offset),
                due_at=due,
                deliver_before=session.starts_at,
                payload={
                    "session_id": session.id,
                    "offset_minutes": offset,
                    "starts_at": key_time(session.starts_at),
                    "summary": f"reminder {describe_offset(offset)} before session {session.number}",
                },
            ),
        )
        if delivery.status == DeliveryStatus.PENDING:
            scheduled.append(due)
    return scheduled, skipped


async def pending_reminder_times(uow: UnitOfWork, session_id: int) -> list[datetime]:
    """Return the due times of a session's pending reminders."""
    rows = await uow.repo(SqlDeliveryRepository).list(
        target=session_target(session_id), kind=SESSION_REMINDER, status=DeliveryStatus.PENDING
    )
    return [d.due_at for d in rows]


def skipped_note(session: Session, offsets: Sequence[int]) -> str:
    """Explain to the facilitator which reminders were skipped because they were already past."""
    which = ", ".join(describe_offset(m) for m in offsets)
    plural = len(offsets) != 1
    return (
        f"Session {session.number}: the reminder{'s' if plural else ''} {which} before "
        f"{'are' if plural else 'is'} already past, so {'they were' if plural else 'it was'} skipped."
    )


NO_ANNOUNCEMENTS = "set an announcements channel with /programme setup announcements"
NO_FACILITATOR_CHANNEL = "set a facilitator channel with /programme setup facilitator_channel"


async def _load(uow: UnitOfWork, delivery: Delivery) -> tuple[Programme, Session]:
    session_id = int(delivery.payload["session_id"])
    session = await uow.repo(SqlSessionRepository).get(session_id)
    if session is None:
        raise DeliverySkipped(f"session {session_id} no longer exists")
    programme = await uow.repo(SqlProgrammeRepository).get(session.guild_id)
    if programme is None:
        raise DeliverySkipped(f"the programme of session {session_id} no longer exists")
    return programme, session


def _check_current(session: Session, delivery: Delivery) -> None:
    """Skip a reminder whose session was cancelled or moved since it was scheduled."""
    if session.is_cancelled:
        raise DeliverySkipped(f"session {session.id} was cancelled")
    if key_time(session.starts_at) != int(delivery.payload["starts_at"]):
        raise DeliverySkipped(f"session {session.id} was moved")


def _check_not_superseded(programme: Programme, session: Session, offset: int, now: datetime) -> None:
    """Skip a late reminder when a closer one is already due (after downtime, post only the latest)."""
    for closer in programme.reminder_offsets:
        if closer < offset and now >= session.starts_at - timedelta(minutes=closer):
            raise DeliverySkipped(f"the {closer}-minute reminder of session {session.id} is already due")


class ReminderHandler:
    """Post a session reminder in the announcements channel, then queue the opted-in DMs."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], sender: Sender, dispatcher: DeliveryScheduler, clock: Clock
    ) -> None:
        self._uow_factory = uow_factory
        self._sender = sender
        self._dispatcher = dispatcher
        self._clock = clock

    async def __call__(self, delivery: Delivery) -> int | None:
        """Deliver one session_reminder row; return the posted message's id."""
        async with self._uow_factory() as uow:
            programme, session = await _load(uow, delivery)
            _check_current(session, delivery)
            active = await uow.repo(SqlSessionRepository).count_active(session.guild_id)
            recipients = await uow.repo(SqlReminderPreferenceRepository).opted_in(session.guild_id)
        offset = int(delivery.payload["offset_minutes"])
        _check_not_superseded(programme, session, offset, self._clock.now())
        if programme.announcements_channel_id is None:
            raise PermanentSendError(NO_ANNOUNCEMENTS)
        message = reminder_message(programme, session, active_count=active, offset_minutes=offset)
        message_id = await post_once(self._sender, programme.announcements_channel_id, message, delivery)
        if recipients:
            await self._queue_dms(session, delivery, recipients)
        return message_id

    async def _queue_dms(self, session: Session, delivery: Delivery, recipients: list[int]) -> None:
        now = self._clock.now()
        offset = int(delivery.payload["offset_minutes"])
        starts_unix = int(delivery.payload["starts_at"])
        async with self._uow_factory() as uow:
            for user_id in recipients:
                await self._dispatcher.schedule(
                    uow,
                    NewDelivery(
                        guild_id=session.guild_id,
                        kind=SESSION_REMINDER_DM,
                        target=session_dm_target(session.id),
                        dedupe_key=reminder_dm_key(session.id, offset, starts_unix, user_id),
                        due_at=now,
                        deliver_before=session.starts_at,
                        payload={
                            "session_id": session.id,
                            "offset_minutes": offset,
                            "starts_at": starts_unix,
                            "user_id": user_id,
                            "summary": f"reminder DM for session {session.number}",
                        },
                    ),
                )
            await uow.commit()
        self._dispatcher.wake(now)
        log.info("Queued %d reminder DMs for session %s", len(recipients), session.id)


class ReminderDmHandler:
    """Send one person the reminder by direct message (if they still want it)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], sender: Sender) -> None:
        self._uow_factory = uow_factory
        self._sender = sender

    async def __call__(self, delivery: Delivery) -> int | None:
        """Deliver one session_reminder_dm row; return the DM's message id."""
        user_id = int(delivery.payload["user_id"])
        async with self._uow_factory() as uow:
            programme, session = await _load(uow, delivery)
            _check_current(session, delivery)
            if not await uow.repo(SqlReminderPreferenceRepository).dm_enabled(session.guild_id, user_id):
                raise DeliverySkipped(f"user {user_id} turned reminder DMs off")
            active = await uow.repo(SqlSessionRepository).count_active(session.guild_id)
        offset = int(delivery.payload["offset_minutes"])
        message = reminder_message(programme, session, active_count=active, offset_minutes=offset, direct=True)
        return await dm_once(self._sender, user_id, message, delivery)


class SessionCancelledHandler:
    """Announce a cancelled session in the announcements channel."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], sender: Sender) -> None:
        self._uow_factory = uow_factory
        self._sender = sender

    async def __call__(self, delivery: Delivery) -> int | None:
        """Deliver one session_cancelled row; return the posted message's id."""
        async with self._uow_factory() as uow:
            programme, session = await _load(uow, delivery)
        if not session.is_cancelled:
            raise DeliverySkipped(f"session {session.id} is no longer cancelled")
        if programme.announcements_channel_id is None:
            raise PermanentSendError(NO_ANNOUNCEMENTS)
        message = cancellation_message(programme, session)
        return await post_once(self._sender, programme.announcements_channel_id, message, delivery)


class FacilitatorNoticeHandler:
    """Post a notice's text in the programme's facilitator channel (no pings)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], sender: Sender) -> None:
        self._uow_factory = uow_factory
        self._sender = sender

    async def __call__(self, delivery: Delivery) -> int | None:
        """Deliver one facilitator_notice row; return the posted message's id."""
        async with self._uow_factory() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(delivery.guild_id)
        if programme is None or programme.facilitator_channel_id is None:
            raise PermanentSendError(NO_FACILITATOR_CHANNEL)
        message = OutboundMessage(content=notice_text(delivery.payload))
        return await post_once(self._sender, programme.facilitator_channel_id, message, delivery)


def register(
    dispatcher: DeliveryScheduler,
    *,
    database: Database,
    clock: Clock,
    sender: Sender,
    facilitator_notices: bool = True,
) -> None:
    """Register the programme's delivery kinds on the dispatcher (facilitator_notice optional).

    Pass facilitator_notices=False when another module already registers the facilitator_notice handler.
    """
    uow_factory = database.unit_of_work
    dispatcher.register(SESSION_REMINDER, ReminderHandler(uow_factory, sender, dispatcher, clock))
    dispatcher.register(SESSION_REMINDER_DM, ReminderDmHandler(uow_factory, sender), dm=True)
    dispatcher.register(SESSION_CANCELLED, SessionCancelledHandler(uow_factory, sender))
    if facilitator_notices:
        dispatcher.register(FACILITATOR_NOTICE, FacilitatorNoticeHandler(uow_factory, sender))
