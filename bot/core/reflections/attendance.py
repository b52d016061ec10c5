"""Attendance (separate from RSVP): check-in, presence in the session's voice channel, facilitator marks
and imports of Zoom/Teams attendance files.

Voice presence is kept as intervals (joined_at, left_at) in the database, so an open stay survives a
restart. Ten minutes in the session's voice or stage channel within the attendance window (15 minutes
before the start to 2 hours after the end), added up across leaving and rejoining, counts as attended.
Only participants' stays are recorded.
"""

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.participants.errors import NotRegisteredError
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.programme.domain import LocationKind, Session
from bot.core.programme.errors import SessionCancelledError, SessionNotFoundError
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.reflections.csv_import import match_names, read_names
from bot.core.reflections.domain import (
    CHECK_IN_AFTER_END,
    CHECK_IN_BEFORE_START,
    VOICE_MINIMUM,
    AttendanceList,
    AttendanceSource,
    CheckInResult,
    ImportResult,
    MarkResult,
    MemberName,
)
from bot.core.reflections.errors import OutsideCheckInWindowError
from bot.core.reflections.repository import SqlAttendanceRepository
from bot.core.storage.database import Database, UnitOfWork
from bot.core.storage.state import SqlAuditRepository

log = logging.getLogger(__name__)

SETTLE_HORIZON = timedelta(days=2)
"""A stay that ends this long after a session's window can no longer be part of it (bounds the work)."""


def attendance_window(session: Session) -> tuple[datetime, datetime]:
    """Return (from, to) of a session's attendance window: 15 minutes before the start to 2 hours after the end."""
    return session.starts_at - CHECK_IN_BEFORE_START, session.ends_at + CHECK_IN_AFTER_END


def _in_voice(session: Session) -> bool:
    return session.location_kind in (LocationKind.VOICE, LocationKind.STAGE) and session.location_channel_id is not None


def presence(
    stays: Sequence[tuple[datetime, datetime | None]], start: datetime, end: datetime, now: datetime
) -> timedelta:
    """Return the time covered by stays within [start, min(end, now)], overlaps counted once."""
    stop = min(end, now)
    clipped = sorted(
        (max(joined, start), min(left if left is not None else now, stop))
        for joined, left in stays
        if max(joined, start) < min(left if left is not None else now, stop)
    )
    total = timedelta(0)
    current_start: datetime | None = None
    current_end: datetime | None = None
    for a, b in clipped:
        if current_end is None or a > current_end:
            if current_start is not None and current_end is not None:
                total += current_end - current_start
            current_start, current_end = a, b
        else:
            current_end = max(current_end, b)
    if current_start is not None and current_end is not None:
        total += current_end - current_start
    return total


async def settle_voice(uow: UnitOfWork, session: Session, now: datetime, *, user_id: int | None = None) -> set[int]:
    """Record voice attendance for everyone (or one person) with ten minutes in the session's channel so far.

    Returns who was newly recorded. Does nothing for sessions that are not in a voice or stage channel.
    """
    if not _in_voice(session) or session.is_cancelled:
        return set()
    assert session.location_channel_id is not None
    start, end = attendance_window(session)
    if now <= start:
        return set()
    stays = await uow.repo(SqlAttendanceRepository).stays(session.location_channel_id, start, end, user_id=user_id)
    by_user: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for uid, joined, left in stays:
        by_user[uid].append((joined, left))
    present = {uid for uid, user_stays in by_user.items() if presence(user_stays, start, end, now) >= VOICE_MINIMUM}
    if not present:
        return set()
    return await uow.repo(SqlAttendanceRepository).record(
        guild_id=session.guild_id, session_id=session.id, user_ids=present, source=AttendanceSource.VOICE, now=now
    )


async def load_session(uow: UnitOfWork, guild_id: int, session_id: int, *, from_dm: bool = False) -> Session:
    """Return the server's session with this id, or raise SessionNotFoundError (also for other servers' ids).

    With from_dm, guild_id 0 (a button pressed in a direct message) accepts the session's own server;
    only participant actions allow that, and they check membership of that server themselves.
    """
    session = await uow.repo(SqlSessionRepository).get(session_id)
    if session is None or (session.guild_id != guild_id and not (from_dm and guild_id == 0)):
        raise SessionNotFoundError()
    return session


class AttendanceService:
    """Record who attended each session, from every source; facilitators see and import the lists."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def _facilitator(self, uow: UnitOfWork, actor: Actor, action: str) -> None:
        programme = await uow.repo(SqlProgrammeRepository).get(actor.guild_id)
        require_facilitator(programme, actor, action)

    async def check_in(self, actor: Actor, session_id: int) -> CheckInResult:
        """Record that the caller attended ("I attended" / /checkin); a second check-in changes nothing.

        Raises:
            NotRegisteredError: the caller has not joined.
            SessionNotFoundError / SessionCancelledError: no such session, or it was cancelled.
            OutsideCheckInWindowError: before 15 minutes ahead of the start or after 2 hours past the end.
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            session = await load_session(uow, actor.guild_id, session_id, from_dm=True)
            if session.is_cancelled:
                raise SessionCancelledError(session.number, "check in")
            opens, closes = attendance_window(session)
            if not opens <= now <= closes:
                raise OutsideCheckInWindowError(session.number, opens, closes)
            if await uow.repo(SqlParticipantRepository).get(session.guild_id, actor.user_id) is None:
                raise NotRegisteredError("check in")
            added = await uow.repo(SqlAttendanceRepository).record(
                guild_id=session.guild_id,
                session_id=session.id,
                user_ids=[actor.user_id],
                source=AttendanceSource.CHECK_IN,
                now=now,
            )
            await uow.commit()
        return CheckInResult(session.id, session.number, session.title, already=not added)

    async def voice_update(self, guild_id: int, user_id: int, channel_id: int | None, at: datetime) -> set[int]:
        """Follow someone's voice state: channel_id is where they are now (None after leaving voice).

        Closes their previous stay, opens a new one (participants only), and records voice attendance for
        sessions in the channel they left once they reach ten minutes. Returns the ids of sessions newly
        attended. Mute/deafen updates (same channel) change nothing.
        """
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlAttendanceRepository)
            current = await repo.open_interval(guild_id, user_id)
            if current is not None and channel_id is not None and current[1] == channel_id:
                return set()
            left = await repo.close_open(guild_id, user_id, at) if current is not None else []
            if channel_id is not None and await uow.repo(SqlParticipantRepository).get(guild_id, user_id):
                await repo.open(guild_id, user_id, channel_id, at)
            attended: set[int] = set()
            if left:
                for session in await self._voice_sessions(uow, guild_id, set(left), at):
                    if await settle_voice(uow, session, at, user_id=user_id):
                        attended.add(session.id)
            await uow.commit()
        if attended:
            log.info("User %s attended sessions %s by voice", user_id, sorted(attended))
        return attended

    async def voice_resync(self, guild_id: int, present: Mapping[int, int], at: datetime) -> None:
        """Reconcile stays with who is in voice now (call on start-up, after a reconnect).

        present maps user id → voice channel id. Stays of people no longer there are closed at `at`
        (the moment they left while Blether was away is unknown, so presence may be overstated by
        the downtime, but only within a session's window); people in voice without an open stay get one.
        """
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlAttendanceRepository)
            participants = await uow.repo(SqlParticipantRepository).user_ids(guild_id)
            open_stays = dict(await repo.open_stays(guild_id))
            touched: set[int] = set()
            for user_id, channel_id in open_stays.items():
                if present.get(user_id) != channel_id:
                    await repo.close_open(guild_id, user_id, at)
                    touched.add(channel_id)
            for user_id, channel_id in present.items():
                if user_id in participants and open_stays.get(user_id) != channel_id:
                    await repo.open(guild_id, user_id, channel_id, at)
            for session in await self._voice_sessions(uow, guild_id, touched, at):
                await settle_voice(uow, session, at)
            await uow.commit()

    async def _voice_sessions(self, uow: UnitOfWork, guild_id: int, channels: set[int], at: datetime) -> list[Session]:
        if not channels:
            return []
        sessions = await uow.repo(SqlSessionRepository).list(guild_id, include_cancelled=False)
        found = []
        for session in sessions:
            if not _in_voice(session) or session.location_channel_id not in channels:
                continue
            start, end = attendance_window(session)
            if start <= at <= end + SETTLE_HORIZON:
                found.append(session)
        return found

    async def mark_attendance(self, actor: Actor, session_id: int, user_id: int) -> MarkResult:
        """Mark someone as present (facilitators only); marking twice changes nothing.

        Raises:
            PermissionDeniedError, SessionNotFoundError, SessionCancelledError.
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "mark attendance")
            session = await load_session(uow, actor.guild_id, session_id)
            if session.is_cancelled:
                raise SessionCancelledError(session.number, "mark attendance")
            added = await uow.repo(SqlAttendanceRepository).record(
                guild_id=session.guild_id,
                session_id=session.id,
                user_ids=[user_id],
                source=AttendanceSource.FACILITATOR,
                now=now,
                by=actor.user_id,
            )
            await uow.repo(SqlAuditRepository).record(
                action="attendance_marked",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"session {session.id}",
            )
            await uow.commit()
        return MarkResult(session.id, user_id, already=not added)

    async def import_attendance(
        self, actor: Actor, session_id: int, csv_bytes: bytes, members: Sequence[MemberName]
    ) -> ImportResult:
        """Import a Zoom/Teams attendance CSV: all rows or nothing (facilitators only).

        members are the server's members as the adapter knows them. Rows are matched case-insensitively
        to a username, display name or global name; duplicates of one person count once.

        Raises:
            AttendanceImportError: listing every unmatched or ambiguous row with its line number
                (nothing is imported), or a file without a name column.
            PermissionDeniedError, SessionNotFoundError, SessionCancelledError.
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "import attendance")
            session = await load_session(uow, actor.guild_id, session_id)
            if session.is_cancelled:
                raise SessionCancelledError(session.number, "import attendance")
            rows = read_names(csv_bytes)
            matched = match_names(rows, members)
            users = set(matched.values())
            added = await uow.repo(SqlAttendanceRepository).record(
                guild_id=session.guild_id,
                session_id=session.id,
                user_ids=users,
                source=AttendanceSource.IMPORT,
                now=now,
                by=actor.user_id,
            )
            await uow.repo(SqlAuditRepository).record(
                action="attendance_imported",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"session {session.id}: {len(rows)} rows, {len(users)} people",
            )
            await uow.commit()
        log.info("Imported attendance for session %s: %d rows, %d people", session.id, len(rows), len(users))
        return ImportResult(session.id, len(rows), len(users), len(added), tuple(sorted(users)))

    async def attendance(self, actor: Actor, session_id: int) -> AttendanceList:
        """Return who attended a session and how it is known (facilitators only; voice is counted up to now)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "see attendance")
            session = await load_session(uow, actor.guild_id, session_id)
            await settle_voice(uow, session, now)
            rows = await uow.repo(SqlAttendanceRepository).rows(guild_id=session.guild_id, session_id=session.id)
            await uow.commit()
        sources: dict[int, list[AttendanceSource]] = defaultdict(list)
        for row in rows:
            sources[row.user_id].append(row.source)
        users = tuple(sorted(sources))
        return AttendanceList(
            session_id=session.id,
            session_number=session.number,
            count=len(users),
            user_ids=users,
            sources={u: tuple(s) for u, s in sources.items()},
        )
