"""Keep each session's reflection poll in step with the session (a programme SessionFollower)."""

from datetime import datetime

from bot.core.clock import Clock
from bot.core.programme.domain import Programme, Session
from bot.core.reflections.repository import SqlReflectionRepository
from bot.core.reflections.scheduling import PollScheduler, poll_times
from bot.core.storage.database import UnitOfWork


class ReflectionPollFollower:
    """Plan, move and cancel reflection polls inside the programme service's unit of work."""

    def __init__(self, scheduler: PollScheduler, clock: Clock) -> None:
        self._scheduler = scheduler
        self._clock = clock

    async def session_saved(self, uow: UnitOfWork, programme: Programme, session: Session) -> datetime | None:
        """Plan or re-plan the poll of a new or edited session (never one that would already be closed)."""
        already_closed = poll_times(programme, session)[2] <= self._clock.now()
        if already_closed and await uow.repo(SqlReflectionRepository).poll(session.id) is None:
            return None
        return (await self._scheduler.reschedule_poll(uow, session, programme)).wake_at

    async def session_cancelled(self, uow: UnitOfWork, programme: Programme, session: Session) -> datetime | None:
        """Cancel the poll of a cancelled session."""
        await self._scheduler.cancel_poll(uow, session.id)
        return None
