"""The programme's deliveries: kinds, targets, dedupe keys, and (re)scheduling a session's reminders.

A reminder's dedupe key holds the session id, the offset and the session's start, so moving a
session makes new reminders while the old pending ones are cancelled through the session's target.
Reminder DMs have a target of their own, so moving a session does not cut short DMs already being
paced out; their handler skips any whose session moved.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.delivery.domain import FACILITATOR_NOTICE, Delivery, DeliveryStatus, NewDelivery, notice_payload
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import RichText
from bot.core.programme.domain import Programme, Session
from bot.core.programme.times import describe_offset
from bot.core.storage.database import UnitOfWork

SESSION_REMINDER = "session_reminder"
SESSION_REMINDER_DM = "session_reminder_dm"
SESSION_CANCELLED = "session_cancelled"
NOTICE_LIFETIME = timedelta(days=7)
CANCELLATION_GRACE = timedelta(hours=1)

__all__ = [
    "CANCELLATION_GRACE",
    "FACILITATOR_NOTICE",
    "NOTICE_LIFETIME",
    "SESSION_CANCELLED",
    "SESSION_REMINDER",
    "SESSION_REMINDER_DM",
    "DeliveryScheduler",
    "cancellation_delivery",
    "facilitator_notice",
    "pending_reminder_times",
    "reminder_dm_key",
    "reminder_key",
    "session_dm_target",
    "session_target",
    "skipped_note",
    "sync_reminders",
]


class DeliveryScheduler(Protocol):
    """What the programme needs from the delivery dispatcher (bot.core.delivery.dispatcher.Dispatcher)."""

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> Delivery:
        """Add a delivery inside the caller's unit of work."""
        ...

    def wake(self, at: datetime | None = None) -> None:
        """Make sure the dispatcher runs at (or soon after) at."""
        ...


def session_target(session_id: int) -> str:
    """Return the delivery target of a session's reminders."""
    return f"session:{session_id}"


def session_dm_target(session_id: int) -> str:
    """Return the delivery target of a session's reminder DMs."""
    return f"session:{session_id}:dm"


def reminder_key(session: Session, offset_minutes: int) -> str:
    """Return the dedupe key of a reminder: session, offset and start."""
    return f"{SESSION_REMINDER}:{session.id}:{offset_minutes}:{int(session.starts_at.timestamp())}"


def reminder_dm_key(session_id: int, offset_minutes: int, starts_unix: int, user_id: int) -> str:
    """Return the dedupe key of one person's reminder DM."""
    return f"{SESSION_REMINDER_DM}:{session_id}:{offset_minutes}:{starts_unix}:{user_id}"


def facilitator_notice(guild_id: int, key: str, message: RichText, *, now: datetime) -> NewDelivery:
    """Build a facilitator notice (posted in the facilitator channel by FacilitatorNoticeHandler)."""
    return NewDelivery(
        guild_id=guild_id,
        kind=FACILITATOR_NOTICE,
        target=f"guild:{guild_id}:notices",
        dedupe_key=key,
        due_at=now,
        deliver_before=now + NOTICE_LIFETIME,
        payload=notice_payload(message),
    )


def cancellation_delivery(session: Session, *, now: datetime) -> NewDelivery:
    """Build the announcement of a cancelled session (one per cancellation, useful until the start)."""
    return NewDelivery(
        guild_id=session.guild_id,
        kind=SESSION_CANCELLED,
        target=f"session:{session.id}:cancelled",
        dedupe_key=f"{SESSION_CANCELLED}:{session.id}:{session.sequence}",
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
                    "starts_at": int(session.starts_at.timestamp()),
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
