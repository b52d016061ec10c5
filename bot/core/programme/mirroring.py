"""Mirror sessions as the platform's Scheduled Events; the database stays the source of truth.

A mirror failure never blocks a session: the session is already stored when the mirror is tried,
and on failure a facilitator notice explains what happened. A session without an event id is
created again on its next edit.
"""

import logging
from collections.abc import Callable

from bot.core.clock import Clock
from bot.core.delivery.keys import delivery_key
from bot.core.delivery.notices import facilitator_notice
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.errors import DomainError
from bot.core.ports import EventMirror, EventSpec, SendError
from bot.core.programme.domain import LocationKind, Session
from bot.core.programme.repository import SqlSessionRepository
from bot.core.storage.database import UnitOfWork
from bot.core.text import clean_text

log = logging.getLogger(__name__)

EVENT_NAME_LIMIT = 100
EVENT_DESCRIPTION_LIMIT = 1000


def event_spec(session: Session) -> EventSpec:
    """Describe a session as a Scheduled Event (plain text, within Discord's limits)."""
    name = clean_text(f"Session {session.number}: {session.title}", keep_newlines=False)
    parts = [clean_text(session.description)] if session.description else []
    if session.speaker:
        parts.append("Speaker: " + clean_text(session.speaker, keep_newlines=False))
    description = "\n\n".join(parts)
    if len(description) > EVENT_DESCRIPTION_LIMIT:
        description = description[: EVENT_DESCRIPTION_LIMIT - 1] + "…"
    return EventSpec(
        name=name if len(name) <= EVENT_NAME_LIMIT else name[: EVENT_NAME_LIMIT - 1] + "…",
        description=description,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        location_url=session.location_url if session.location_kind == LocationKind.URL else None,
        channel_id=session.location_channel_id,
        is_stage=session.location_kind == LocationKind.STAGE,
    )


class EventMirroring:
    """Create, update or cancel a session's Scheduled Event, telling the facilitators when it fails."""

    def __init__(
        self,
        mirror: EventMirror | None,
        uow_factory: Callable[[], UnitOfWork],
        dispatcher: DeliveryScheduler,
        clock: Clock,
    ) -> None:
        self._mirror = mirror
        self._uow_factory = uow_factory
        self._dispatcher = dispatcher
        self._clock = clock

    async def sync(self, session: Session, *, cancel: bool = False) -> tuple[Session, tuple[str, ...]]:
        """Mirror a stored session; return it (with its event id) and notes for the facilitator."""
        if self._mirror is None:
            return session, ()
        verb = "cancelled" if cancel else "updated" if session.event_id is not None else "created"
        try:
            if cancel:
                if session.event_id is not None:
                    await self._mirror.cancel(session.guild_id, session.event_id)
                return session, ()
            spec = event_spec(session)
            if session.event_id is not None:
                await self._mirror.update(session.guild_id, session.event_id, spec)
                return session, ()
            event_id = await self._mirror.create(session.guild_id, spec)
        except Exception as error:  # a mirror failure never blocks the session
            if isinstance(error, SendError | DomainError):
                reason = error.reason if isinstance(error, SendError) else str(error)
                log.warning("Scheduled Event for session %s could not be %s: %s", session.id, verb, reason)
            else:
                reason = f"unexpected error ({type(error).__name__})"
                log.exception("Scheduled Event for session %s could not be %s", session.id, verb)
            return session, (await self._report(session, verb, reason),)
        async with self._uow_factory() as uow:
            session = await uow.repo(SqlSessionRepository).set_event_id(session.id, event_id)
            await uow.commit()
        return session, ()

    async def _report(self, session: Session, verb: str, reason: str) -> str:
        now = self._clock.now()
        title = clean_text(session.title, keep_newlines=False)
        retry = (
            "" if verb == "cancelled" else " Blether tries again the next time the session is edited (/session edit)."
        )
        text = (
            f"Session {session.number} ({title}) is saved, but its Discord Scheduled Event could not be {verb}: "
            f"{reason.rstrip('.')}.{retry}"
        )
        key = delivery_key("notice", "mirror", session.id, session.sequence, verb)
        async with self._uow_factory() as uow:
            await self._dispatcher.schedule(uow, facilitator_notice(session.guild_id, key, text, now=now))
            await uow.commit()
        self._dispatcher.wake(now)
        return text
