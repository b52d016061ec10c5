"""Delivery handlers of the programme: session reminders (channel and DM), cancellations, facilitator notices.

Register them once at start-up with register_programme_handlers(dispatcher, ...). Each handler
renders from the database at send time (so an edited title shows its new text) and posts through
post_once/dm_once, which makes a retry after a crash a no-op on the platform.

Delivery guarantees (at least once from the engine, at most once on the platform):

* session_reminder: one post in the announcements channel per (session, offset, start); skipped when
  the session was cancelled or moved since it was scheduled, or when a closer reminder is already due
  (after downtime only the latest goes out); useless (expired) after the start.
  After posting it schedules one session_reminder_dm per opted-in person (idempotent dedupe keys,
  so a retried reminder never doubles the DMs).
* session_reminder_dm: one DM per (session, offset, start, person); skipped when the person opted
  out or the session changed; the engine paces DMs at ≤ 1 a second.
* session_cancelled: one announcement per cancellation.
* facilitator_notice: the notice's text (delivery.domain.notice_text) in the facilitator channel.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock
from bot.core.delivery.domain import (
    FACILITATOR_NOTICE,
    Delivery,
    DeliveryHandler,
    DeliverySkipped,
    NewDelivery,
    notice_text,
)
from bot.core.delivery.idempotent import dm_once, post_once
from bot.core.messages import OutboundMessage
from bot.core.ports import PermanentSendError, Sender
from bot.core.programme.domain import Programme, Session
from bot.core.programme.render import cancellation_message, reminder_message
from bot.core.programme.repository import SqlProgrammeRepository, SqlReminderPreferenceRepository, SqlSessionRepository
from bot.core.programme.scheduling import (
    SESSION_CANCELLED,
    SESSION_REMINDER,
    SESSION_REMINDER_DM,
    DeliveryScheduler,
    reminder_dm_key,
    session_dm_target,
)
from bot.core.storage.database import UnitOfWork

log = logging.getLogger(__name__)

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
    if int(session.starts_at.timestamp()) != int(delivery.payload["starts_at"]):
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


class RegisteringDispatcher(DeliveryScheduler, Protocol):
    """The dispatcher as register_programme_handlers uses it (bot.core.delivery.dispatcher.Dispatcher)."""

    def register(self, kind: str, handler: DeliveryHandler, *, dm: bool = False) -> None:
        """Use handler for every delivery of kind (dm=True: one direct message per row, paced)."""
        ...


def register_programme_handlers(
    dispatcher: RegisteringDispatcher,
    uow_factory: Callable[[], UnitOfWork],
    sender: Sender,
    clock: Clock,
    *,
    facilitator_notices: bool = True,
) -> None:
    """Register the four programme delivery kinds on the dispatcher (facilitator_notice optional).

    Pass facilitator_notices=False when another module already registers the facilitator_notice handler.
    """
    register = dispatcher.register
    register(SESSION_REMINDER, ReminderHandler(uow_factory, sender, dispatcher, clock))
    register(SESSION_REMINDER_DM, ReminderDmHandler(uow_factory, sender), dm=True)
    register(SESSION_CANCELLED, SessionCancelledHandler(uow_factory, sender))
    if facilitator_notices:
        register(FACILITATOR_NOTICE, FacilitatorNoticeHandler(uow_factory, sender))


__all__ = [
    "FACILITATOR_NOTICE",
    "SESSION_CANCELLED",
    "SESSION_REMINDER",
    "SESSION_REMINDER_DM",
    "FacilitatorNoticeHandler",
    "ReminderDmHandler",
    "ReminderHandler",
    "SessionCancelledHandler",
    "register_programme_handlers",
]
