"""Storage for programmes, sessions, RSVPs and DM opt-ins; repositories return frozen domain values.

The unit of work owns the transaction: repositories only add, flush and read.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.programme.domain import (
    Location,
    LocationKind,
    NewSession,
    Outcome,
    Programme,
    ReminderPreference,
    RsvpRecord,
    Session,
    SessionStatus,
)
from bot.core.storage.database import rowcount
from bot.core.storage.models.programme import OutcomeRow, ProgrammeRow, ReminderPreferenceRow, RsvpRow, SessionRow

PROGRAMME_SETTINGS = (
    "timezone",
    "announcements_channel_id",
    "reflections_channel_id",
    "flash_reports_channel_id",
    "facilitator_channel_id",
    "facilitator_role_id",
    "participant_role_id",
    "reminder_offsets",
    "reflection_delay_minutes",
    "poll_close_days",
    "nudge_before_close_days",
    "retention_months",
    "groups_channel_id",
    "peer_coach_role_id",
    "groups_before_minutes",
    "group_archive_hours",
    "connect_every_days",
    "groups_voice_category_id",
)
SESSION_FIELDS = (
    "number",
    "title",
    "description",
    "speaker",
    "starts_at",
    "duration_minutes",
    "location",
    "status",
    "cancel_reason",
    "prompt",
)


def _offsets_to_text(offsets: tuple[int, ...]) -> str:
    return ",".join(str(m) for m in offsets)


def _offsets_from_text(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _programme(row: ProgrammeRow) -> Programme:
    return Programme(
        id=row.id,
        guild_id=row.guild_id,
        timezone=row.timezone,
        announcements_channel_id=row.announcements_channel_id,
        reflections_channel_id=row.reflections_channel_id,
        flash_reports_channel_id=row.flash_reports_channel_id,
        facilitator_channel_id=row.facilitator_channel_id,
        facilitator_role_id=row.facilitator_role_id,
        participant_role_id=row.participant_role_id,
        reminder_offsets=_offsets_from_text(row.reminder_offsets),
        reflection_delay_minutes=row.reflection_delay_minutes,
        poll_close_days=row.poll_close_days,
        nudge_before_close_days=row.nudge_before_close_days,
        retention_months=row.retention_months,
        groups_channel_id=row.groups_channel_id,
        peer_coach_role_id=row.peer_coach_role_id,
        groups_before_minutes=row.groups_before_minutes,
        group_archive_hours=row.group_archive_hours,
        connect_every_days=row.connect_every_days,
        groups_voice_category_id=row.groups_voice_category_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _session(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        guild_id=row.guild_id,
        number=row.number,
        title=row.title,
        description=row.description,
        speaker=row.speaker,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        duration_minutes=row.duration_minutes,
        location_url=row.location_url,
        location_channel_id=row.location_channel_id,
        location_kind=LocationKind(row.location_kind),
        status=SessionStatus(row.status),
        sequence=row.sequence,
        event_id=row.event_id,
        cancel_reason=row.cancel_reason,
        prompt=row.prompt,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlProgrammeRepository:
    """Read and write the one programme row of each server."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _row(self, guild_id: int) -> ProgrammeRow | None:
        return await self._session.scalar(select(ProgrammeRow).where(ProgrammeRow.guild_id == guild_id))

    async def get(self, guild_id: int) -> Programme | None:
        """Return the server's programme, or None before /programme setup."""
        row = await self._row(guild_id)
        return None if row is None else _programme(row)

    async def create(self, programme: Programme, *, now: datetime) -> Programme:
        """Store a new programme (its id is ignored and assigned)."""
        values = {name: getattr(programme, name) for name in PROGRAMME_SETTINGS}
        values["reminder_offsets"] = _offsets_to_text(programme.reminder_offsets)
        row = ProgrammeRow(guild_id=programme.guild_id, created_at=now, updated_at=now, **values)
        self._session.add(row)
        await self._session.flush()
        return _programme(row)

    async def update(self, guild_id: int, changes: Mapping[str, Any], *, now: datetime) -> Programme:
        """Apply setting changes (names from PROGRAMME_SETTINGS; reminder_offsets as a tuple of minutes)."""
        row = await self._row(guild_id)
        if row is None:
            raise LookupError(f"no programme for guild {guild_id}")
        for name, value in changes.items():
            if name not in PROGRAMME_SETTINGS:
                raise KeyError(name)
            setattr(row, name, _offsets_to_text(value) if name == "reminder_offsets" else value)
        row.updated_at = now
        await self._session.flush()
        return _programme(row)

    async def guild_ids(self) -> list[int]:
        """Return the servers that have a programme."""
        rows = await self._session.scalars(select(ProgrammeRow.guild_id).order_by(ProgrammeRow.guild_id))
        return [int(g) for g in rows.all()]


class SqlSessionRepository:
    """Read and write sessions."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, new: NewSession, *, now: datetime) -> Session:
        """Store a validated session (status scheduled, sequence 0)."""
        row = SessionRow(
            guild_id=new.guild_id,
            number=new.number,
            title=new.title,
            description=new.description,
            speaker=new.speaker,
            starts_at=new.starts_at,
            ends_at=new.starts_at + timedelta(minutes=new.duration_minutes),
            duration_minutes=new.duration_minutes,
            location_kind=new.location.kind.value,
            location_url=new.location.url,
            location_channel_id=new.location.channel_id,
            status=SessionStatus.SCHEDULED.value,
            sequence=0,
            event_id=None,
            cancel_reason=None,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _session(row)

    async def get(self, session_id: int) -> Session | None:
        """Return a session by id."""
        row = await self._session.get(SessionRow, session_id)
        return None if row is None else _session(row)

    async def get_by_number(self, guild_id: int, number: int) -> Session | None:
        """Return the server's session with that number."""
        row = await self._session.scalar(
            select(SessionRow).where(SessionRow.guild_id == guild_id, SessionRow.number == number)
        )
        return None if row is None else _session(row)

    async def numbers(self, guild_id: int) -> dict[int, Session]:
        """Return every session of the server by number."""
        return {s.number: s for s in await self.list(guild_id)}

    async def update(self, session_id: int, changes: Mapping[str, Any], *, now: datetime) -> Session:
        """Change session fields (names from SESSION_FIELDS; location as a Location) and bump sequence."""
        row = await self._session.get(SessionRow, session_id)
        if row is None:
            raise LookupError(f"no session {session_id}")
        for name, value in changes.items():
            if name not in SESSION_FIELDS:
                raise KeyError(name)
            if name == "location":
                location: Location = value
                row.location_kind = location.kind.value
                row.location_url = location.url
                row.location_channel_id = location.channel_id
            elif name == "status":
                row.status = SessionStatus(value).value
            else:
                setattr(row, name, value)
        row.ends_at = row.starts_at + timedelta(minutes=row.duration_minutes)
        row.sequence += 1
        row.updated_at = now
        await self._session.flush()
        return _session(row)

    async def set_event_id(self, session_id: int, event_id: int | None) -> Session:
        """Record the platform's scheduled event id (not an edit: sequence stays)."""
        row = await self._session.get(SessionRow, session_id)
        if row is None:
            raise LookupError(f"no session {session_id}")
        row.event_id = event_id
        await self._session.flush()
        return _session(row)

    def _listing(self, guild_id: int) -> Select[SessionRow]:
        return (
            select(SessionRow).where(SessionRow.guild_id == guild_id).order_by(SessionRow.starts_at, SessionRow.number)
        )

    async def count_active(self, guild_id: int) -> int:
        """Count the server's sessions that are not cancelled ("Session 3 of <this>")."""
        stmt = select(func.count(SessionRow.id)).where(
            SessionRow.guild_id == guild_id, SessionRow.status == SessionStatus.SCHEDULED.value
        )
        return int(await self._session.scalar(stmt) or 0)

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[Session]:
        """Find sessions whose number starts with text's digits or whose title contains text."""
        query = text.strip().lstrip("#").strip()
        stmt = self._listing(guild_id)
        if query:
            words = query.lower()
            conditions = [func.lower(SessionRow.title).contains(words, autoescape=True)]
            if query.isdigit():
                conditions.append(SessionRow.number == int(query))
                conditions.append(cast(SessionRow.number, String).startswith(query, autoescape=True))
            stmt = stmt.where(or_(*conditions))
        rows = (await self._session.scalars(stmt)).all()
        if query.isdigit():  # exact number first, then the rest in start order
            rows = sorted(rows, key=lambda r: r.number != int(query))
        return [_session(row) for row in rows[:limit]]

    # -- listing (last: the method name shadows the builtin in the class body) --------------------------

    async def list(
        self,
        guild_id: int,
        *,
        ending_after: datetime | None = None,
        starting_after: datetime | None = None,
        include_cancelled: bool = True,
        limit: int | None = None,
    ) -> list[Session]:
        """Return the server's sessions in start order, optionally only future or ongoing ones."""
        stmt = self._listing(guild_id)
        if ending_after is not None:
            stmt = stmt.where(SessionRow.ends_at > ending_after)
        if starting_after is not None:
            stmt = stmt.where(SessionRow.starts_at > starting_after)
        if not include_cancelled:
            stmt = stmt.where(SessionRow.status == SessionStatus.SCHEDULED.value)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_session(row) for row in (await self._session.scalars(stmt)).all()]


class SqlRsvpRepository:
    """Record who said they will come to a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def is_going(self, session_id: int, user_id: int) -> bool:
        """Tell whether user said they will come."""
        found = await self._session.scalar(
            select(RsvpRow.id).where(RsvpRow.session_id == session_id, RsvpRow.user_id == user_id)
        )
        return found is not None

    async def set(self, guild_id: int, session_id: int, user_id: int, going: bool, *, now: datetime) -> bool:
        """Record (or withdraw) an RSVP; return whether anything changed."""
        already = await self.is_going(session_id, user_id)
        if going and not already:
            self._session.add(RsvpRow(guild_id=guild_id, session_id=session_id, user_id=user_id, created_at=now))
            await self._session.flush()
            return True
        if not going and already:
            await self._session.execute(
                delete(RsvpRow).where(RsvpRow.session_id == session_id, RsvpRow.user_id == user_id)
            )
            return True
        return False

    async def count(self, session_id: int) -> int:
        """Count the RSVPs of a session."""
        return int(
            await self._session.scalar(select(func.count(RsvpRow.id)).where(RsvpRow.session_id == session_id)) or 0
        )

    async def counts(self, guild_id: int) -> dict[int, int]:
        """Return RSVP counts by session id for a server (sessions without RSVPs are absent)."""
        stmt = (
            select(RsvpRow.session_id, func.count(RsvpRow.id))
            .where(RsvpRow.guild_id == guild_id)
            .group_by(RsvpRow.session_id)
        )
        return {session_id: int(count) for session_id, count in (await self._session.execute(stmt)).all()}

    async def users(self, session_id: int) -> list[int]:
        """Return the user ids who RSVP'd, earliest first."""
        stmt = select(RsvpRow.user_id).where(RsvpRow.session_id == session_id).order_by(RsvpRow.id)
        return [int(u) for u in (await self._session.scalars(stmt)).all()]

    async def of_user(self, guild_id: int, user_id: int) -> list[RsvpRecord]:
        """Return someone's RSVPs in the server, oldest first."""
        stmt = (
            select(RsvpRow.session_id, RsvpRow.created_at)
            .where(RsvpRow.guild_id == guild_id, RsvpRow.user_id == user_id)
            .order_by(RsvpRow.id)
        )
        return [RsvpRecord(int(r.session_id), r.created_at) for r in await self._session.execute(stmt)]

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Delete someone's RSVPs in the server (erasure); return how many."""
        result = await self._session.execute(
            delete(RsvpRow).where(RsvpRow.guild_id == guild_id, RsvpRow.user_id == user_id)
        )
        return rowcount(result)


_PREF = ReminderPreferenceRow


class SqlReminderPreferenceRepository:
    """Per-server, per-person DM reminder opt-in, and the count of reminder DMs refused in a row."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _key(self, guild_id: int, user_id: int) -> Any:
        return (_PREF.guild_id == guild_id) & (_PREF.user_id == user_id)

    async def get(self, guild_id: int, user_id: int) -> ReminderPreference | None:
        """Return someone's preference row, or None when they never chose."""
        row = (await self._session.execute(select(_PREF.__table__).where(self._key(guild_id, user_id)))).first()
        if row is None:
            return None
        return ReminderPreference(
            guild_id=int(row.guild_id),
            user_id=int(row.user_id),
            dm_enabled=bool(row.dm_enabled),
            dm_failures=int(row.dm_failures),
            stopped_notice_pending=bool(row.stopped_notice_pending),
            updated_at=row.updated_at,
        )

    async def dm_enabled(self, guild_id: int, user_id: int) -> bool:
        """Tell whether the person opted in to DM reminders."""
        found = await self.get(guild_id, user_id)
        return found is not None and found.dm_enabled

    async def set_dm(self, guild_id: int, user_id: int, enabled: bool, *, now: datetime) -> bool:
        """Set the opt-in; return whether it changed. Turning it on also forgets earlier refused DMs."""
        row = await self._session.get(ReminderPreferenceRow, (guild_id, user_id))
        if row is None:
            self._session.add(
                ReminderPreferenceRow(
                    guild_id=guild_id,
                    user_id=user_id,
                    dm_enabled=enabled,
                    dm_failures=0,
                    stopped_notice_pending=False,
                    updated_at=now,
                )
            )
            await self._session.flush()
            return enabled
        changed = row.dm_enabled != enabled
        if enabled:
            row.dm_failures = 0
            row.stopped_notice_pending = False
        row.dm_enabled = enabled
        if changed:
            row.updated_at = now
        await self._session.flush()
        return changed

    async def opt_out(self, guild_id: int, user_id: int, *, now: datetime) -> bool:
        """Turn reminder DMs off for someone who left the server (no row is created); tell whether they were on."""
        result = await self._session.execute(
            update(_PREF)
            .where(self._key(guild_id, user_id), _PREF.dm_enabled.is_(True))
            .values(dm_enabled=False, stopped_notice_pending=False, updated_at=now)
        )
        return bool(rowcount(result))

    async def record_refused_dm(self, guild_id: int, user_id: int, *, now: datetime, limit: int) -> bool:
        """Count one more refused reminder DM; at limit in a row, turn DMs off and remember to tell them.

        Returns True when this refusal turned the person's reminder DMs off.
        """
        await self._session.execute(
            update(_PREF).where(self._key(guild_id, user_id)).values(dm_failures=_PREF.dm_failures + 1)
        )
        stopped = await self._session.execute(
            update(_PREF)
            .where(self._key(guild_id, user_id), _PREF.dm_enabled.is_(True), _PREF.dm_failures >= limit)
            .values(dm_enabled=False, stopped_notice_pending=True, updated_at=now)
        )
        return bool(rowcount(stopped))

    async def clear_refused_dms(self, guild_id: int, user_id: int) -> None:
        """Forget refused DMs after one went through (the count is of refusals in a row)."""
        await self._session.execute(
            update(_PREF).where(self._key(guild_id, user_id), _PREF.dm_failures > 0).values(dm_failures=0)
        )

    async def take_stopped_notice(self, guild_id: int, user_id: int) -> bool:
        """Clear the "tell them their DMs were stopped" flag; True for the one caller that cleared it."""
        result = await self._session.execute(
            update(_PREF)
            .where(self._key(guild_id, user_id), _PREF.stopped_notice_pending.is_(True))
            .values(stopped_notice_pending=False)
        )
        return bool(rowcount(result))

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Delete someone's DM reminder choice (erasure); return how many rows (0 or 1)."""
        result = await self._session.execute(
            delete(ReminderPreferenceRow).where(
                ReminderPreferenceRow.guild_id == guild_id, ReminderPreferenceRow.user_id == user_id
            )
        )
        return rowcount(result)

    async def opted_in(self, guild_id: int) -> list[int]:
        """Return the user ids who want DM reminders in a server."""
        stmt = (
            select(_PREF.user_id).where(_PREF.guild_id == guild_id, _PREF.dm_enabled.is_(True)).order_by(_PREF.user_id)
        )
        return [int(u) for u in (await self._session.scalars(stmt)).all()]


class SqlOutcomeRepository:
    """Read and write the programme's learning outcomes (positions kept 1..n without gaps)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _rows(self, guild_id: int) -> list[OutcomeRow]:
        rows = await self._session.scalars(
            select(OutcomeRow).where(OutcomeRow.guild_id == guild_id).order_by(OutcomeRow.position, OutcomeRow.id)
        )
        return list(rows.all())

    async def list(self, guild_id: int) -> list[Outcome]:
        """Return the server's outcomes in order."""
        return [Outcome(r.id, r.guild_id, index, r.text) for index, r in enumerate(await self._rows(guild_id), 1)]

    async def add(self, guild_id: int, text: str, *, now: datetime) -> Outcome:
        """Append an outcome at the end of the list."""
        count = len(await self._rows(guild_id))
        row = OutcomeRow(guild_id=guild_id, position=count + 1, text=text, created_at=now, updated_at=now)
        self._session.add(row)
        await self._session.flush()
        return Outcome(row.id, guild_id, count + 1, text)

    async def edit(self, guild_id: int, number: int, text: str, *, now: datetime) -> Outcome | None:
        """Change the text of outcome number; None when there is no such outcome."""
        rows = await self._rows(guild_id)
        if not 1 <= number <= len(rows):
            return None
        row = rows[number - 1]
        row.text, row.updated_at = text, now
        await self._session.flush()
        return Outcome(row.id, guild_id, number, text)

    async def remove(self, guild_id: int, number: int, *, now: datetime) -> Outcome | None:
        """Delete outcome number and close the gap; None when there is no such outcome."""
        rows = await self._rows(guild_id)
        if not 1 <= number <= len(rows):
            return None
        gone = rows.pop(number - 1)
        await self._session.delete(gone)
        for index, row in enumerate(rows, 1):
            if row.position != index:
                row.position, row.updated_at = index, now
        await self._session.flush()
        return Outcome(gone.id, guild_id, number, gone.text)
