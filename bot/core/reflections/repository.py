"""Storage for polls, responses, question sets, attendance and voice presence; the unit of work commits."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.reflections.domain import (
    AttendanceRecord,
    AttendanceSource,
    Poll,
    PollStatus,
    ResponseRecord,
    SavedAnswer,
    VoiceStay,
)
from bot.core.reflections.questions import (
    CUSTOM_PREFIX,
    Question,
    QuestionSet,
    questions_from_json,
    questions_to_json,
)
from bot.core.storage.database import rowcount
from bot.core.storage.dialect import dialect_insert
from bot.core.storage.models.reflections import (
    AttendanceRow,
    PollRow,
    QuestionSetRow,
    ReflectionSettingsRow,
    ResponseRow,
    VoicePresenceRow,
)

_POLL = PollRow.__table__.c
_RESP = ResponseRow.__table__.c
_SET = QuestionSetRow.__table__.c
_ATT = AttendanceRow.__table__.c
_VOICE = VoicePresenceRow.__table__.c


def _poll(row: Any) -> Poll:
    return Poll(
        id=row.id,
        guild_id=row.guild_id,
        session_id=row.session_id,
        status=PollStatus(row.status),
        question_set=row.question_set,
        questions=questions_from_json(row.questions) if row.questions is not None else None,
        session_ends_at=row.session_ends_at,
        opens_at=row.opens_at,
        nudge_at=row.nudge_at,
        closes_at=row.closes_at,
        card_channel_id=row.card_channel_id,
        card_message_id=row.card_message_id,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
    )


def saved_answers(questions: Sequence[Question], answers: Mapping[str, Any]) -> tuple[SavedAnswer, ...]:
    """Pair stored answers with their questions, in question order."""
    return tuple(SavedAnswer(f"q{i}", q.label, q.kind, answers.get(f"q{i}")) for i, q in enumerate(questions, start=1))


def _question_set(row: Any) -> QuestionSet:
    return QuestionSet(
        key=f"{CUSTOM_PREFIX}{row.id}",
        name=row.name,
        questions=questions_from_json(row.questions),
        builtin=False,
        id=row.id,
    )


class SqlReflectionRepository:
    """Polls, responses, question sets and the reflection settings of a server."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- polls -----------------------------------------------------------------------------------------

    async def poll(self, session_id: int) -> Poll | None:
        """Return the poll of a session, or None."""
        row = (await self._session.execute(select(PollRow.__table__).where(_POLL.session_id == session_id))).first()
        return None if row is None else _poll(row)

    async def upsert_poll(
        self,
        *,
        guild_id: int,
        session_id: int,
        session_ends_at: datetime,
        opens_at: datetime,
        nudge_at: datetime | None,
        closes_at: datetime,
        status: PollStatus,
        now: datetime,
    ) -> Poll:
        """Create the session's poll, or update its times and status."""
        values = {
            "guild_id": guild_id,
            "session_id": session_id,
            "status": status.value,
            "session_ends_at": session_ends_at,
            "opens_at": opens_at,
            "nudge_at": nudge_at,
            "closes_at": closes_at,
            "created_at": now,
            "updated_at": now,
        }
        changes = {k: values[k] for k in ("status", "session_ends_at", "opens_at", "nudge_at", "closes_at")}
        stmt = (
            dialect_insert(self._session, PollRow.__table__)
            .values(**values)
            .on_conflict_do_update(index_elements=["session_id"], set_={**changes, "updated_at": now})
        )
        await self._session.execute(stmt)
        found = await self.poll(session_id)
        assert found is not None
        return found

    async def update_poll(self, poll_id: int, changes: Mapping[str, Any], *, now: datetime) -> None:
        """Change columns of a poll (status as PollStatus, questions as a sequence of Question)."""
        values = dict(changes)
        if "status" in values:
            values["status"] = PollStatus(values["status"]).value
        if "questions" in values and values["questions"] is not None:
            values["questions"] = questions_to_json(values["questions"])
        await self._session.execute(
            update(PollRow.__table__).where(_POLL.id == poll_id).values(**values, updated_at=now)
        )

    async def set_questions_if_unset(self, poll_id: int, questions: Sequence[Question], *, now: datetime) -> bool:
        """Freeze the poll's questions unless they already are; tell whether they were set now."""
        result = await self._session.execute(
            update(PollRow.__table__)
            .where(_POLL.id == poll_id, _POLL.questions.is_(None))
            .values(questions=questions_to_json(questions), updated_at=now)
        )
        return bool(rowcount(result))

    # -- responses -------------------------------------------------------------------------------------

    async def response_answers(self, poll_id: int, user_id: int) -> dict[str, Any] | None:
        """Return someone's stored answers for a poll, or None."""
        stmt = select(_RESP.answers).where(_RESP.poll_id == poll_id, _RESP.user_id == user_id)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def submitted_times(self, poll_id: int, user_ids: Iterable[int]) -> dict[int, datetime]:
        """Return {user id: first submitted_at} of those users who already answered a poll."""
        stmt = select(_RESP.user_id, _RESP.submitted_at).where(
            _RESP.poll_id == poll_id, _RESP.user_id.in_(sorted(set(user_ids)))
        )
        return {int(r.user_id): r.submitted_at for r in await self._session.execute(stmt)}

    async def upsert_responses(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Store or replace many responses in one executemany (at most one row per poll and user).

        Each row has poll_id, guild_id, session_id, user_id, answers, rating, quote_allowed and now;
        a new row gets submitted_at = now, an existing one keeps it and gets updated_at = now.
        """
        if not rows:
            return
        insert = dialect_insert(self._session, ResponseRow.__table__)
        stmt = insert.on_conflict_do_update(
            index_elements=["poll_id", "user_id"],
            set_={
                "answers": insert.excluded.answers,
                "rating": insert.excluded.rating,
                "quote_allowed": insert.excluded.quote_allowed,
                "updated_at": insert.excluded.updated_at,
            },
        )
        params = [
            {
                "poll_id": r["poll_id"],
                "guild_id": r["guild_id"],
                "session_id": r["session_id"],
                "user_id": r["user_id"],
                "answers": dict(r["answers"]),
                "rating": r["rating"],
                "quote_allowed": r["quote_allowed"],
                "submitted_at": r["now"],
                "updated_at": r["now"],
            }
            for r in rows
        ]
        await self._session.execute(stmt, params)

    async def responses(
        self, *, guild_id: int, session_id: int | None = None, user_id: int | None = None
    ) -> list[ResponseRecord]:
        """Return stored responses (of one session or the whole server; of one person or all) with their questions."""
        stmt = (
            select(ResponseRow.__table__, _POLL.questions.label("poll_questions"))
            .join(PollRow.__table__, _POLL.id == _RESP.poll_id)
            .where(_RESP.guild_id == guild_id)
            .order_by(_RESP.session_id, _RESP.submitted_at, _RESP.id)
        )
        if session_id is not None:
            stmt = stmt.where(_RESP.session_id == session_id)
        if user_id is not None:
            stmt = stmt.where(_RESP.user_id == user_id)
        records = []
        for row in (await self._session.execute(stmt)).all():
            questions = questions_from_json(row.poll_questions or [])
            records.append(
                ResponseRecord(
                    id=row.id,
                    guild_id=row.guild_id,
                    session_id=row.session_id,
                    user_id=row.user_id,
                    answers=saved_answers(questions, row.answers or {}),
                    rating=row.rating,
                    quote_allowed=bool(row.quote_allowed),
                    submitted_at=row.submitted_at,
                    updated_at=row.updated_at,
                )
            )
        return records

    async def responder_ids(self, poll_id: int) -> set[int]:
        """Return the user ids who answered a poll."""
        stmt = select(_RESP.user_id).where(_RESP.poll_id == poll_id)
        return {int(u) for u in (await self._session.scalars(stmt)).all()}

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Delete someone's reflections in the server (erasure); return how many."""
        result = await self._session.execute(
            delete(ResponseRow.__table__).where(_RESP.guild_id == guild_id, _RESP.user_id == user_id)
        )
        return rowcount(result)

    async def redact_text(self, guild_id: int, before: datetime) -> int:
        """Blank the free-text answers of responses last changed at or before before; return how many answers.

        Ratings, choices and ticks stay (they are what the evaluation counts); updated_at is left alone so the
        export still says when the reflection was given.
        """
        removed = 0
        for record in await self.responses(guild_id=guild_id):
            if record.updated_at > before:
                continue
            text_fields = {a.field_id for a in record.answers if a.kind.is_text and a.value}
            if not text_fields:
                continue
            stored = await self._session.scalar(select(_RESP.answers).where(_RESP.id == record.id))
            answers = dict(stored or {})
            for field_id in text_fields:
                answers[field_id] = None
            await self._session.execute(
                update(ResponseRow.__table__).where(_RESP.id == record.id).values(answers=answers)
            )
            removed += len(text_fields)
        return removed

    async def count_responses(self, poll_id: int) -> int:
        """Count a poll's responses."""
        return int(await self._session.scalar(select(func.count(_RESP.id)).where(_RESP.poll_id == poll_id)) or 0)

    # -- question sets ---------------------------------------------------------------------------------

    async def question_sets(self, guild_id: int) -> list[QuestionSet]:
        """Return the server's own question sets by name."""
        stmt = select(QuestionSetRow.__table__).where(_SET.guild_id == guild_id).order_by(_SET.key)
        return [_question_set(r) for r in (await self._session.execute(stmt)).all()]

    async def question_set(
        self, guild_id: int, *, key: str | None = None, set_id: int | None = None
    ) -> QuestionSet | None:
        """Return one of the server's sets by name key or id."""
        stmt = select(QuestionSetRow.__table__).where(_SET.guild_id == guild_id)
        if key is not None:
            stmt = stmt.where(_SET.key == key)
        if set_id is not None:
            stmt = stmt.where(_SET.id == set_id)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _question_set(row)

    async def add_question_set(
        self, guild_id: int, key: str, name: str, questions: Sequence[Question], *, now: datetime
    ) -> QuestionSet | None:
        """Store a new set; return None when the name is taken."""
        stmt = (
            dialect_insert(self._session, QuestionSetRow.__table__)
            .values(
                guild_id=guild_id,
                key=key,
                name=name,
                questions=questions_to_json(questions),
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["guild_id", "key"])
            .returning(_SET.id)
        )
        if (await self._session.execute(stmt)).first() is None:
            return None
        return await self.question_set(guild_id, key=key)

    async def default_set(self, guild_id: int) -> str | None:
        """Return the key of the server's default set, or None for Blether's default."""
        row = await self._session.get(ReflectionSettingsRow, guild_id)
        return None if row is None else row.default_set

    async def set_default_set(self, guild_id: int, key: str, *, now: datetime) -> None:
        """Make key the server's default set."""
        stmt = (
            dialect_insert(self._session, ReflectionSettingsRow.__table__)
            .values(guild_id=guild_id, default_set=key, updated_at=now)
            .on_conflict_do_update(index_elements=["guild_id"], set_={"default_set": key, "updated_at": now})
        )
        await self._session.execute(stmt)

    async def rating_rows(self, poll_id: int) -> list[tuple[int | None, bool, int, dict[str, Any]]]:
        """Return (rating, quote_allowed, user_id, answers) of every response of a poll, oldest first."""
        stmt = (
            select(_RESP.rating, _RESP.quote_allowed, _RESP.user_id, _RESP.answers)
            .where(_RESP.poll_id == poll_id)
            .order_by(_RESP.submitted_at, _RESP.id)
        )
        return [
            (r.rating, bool(r.quote_allowed), int(r.user_id), r.answers or {})
            for r in await self._session.execute(stmt)
        ]


def _attendance(row: Any) -> AttendanceRecord:
    return AttendanceRecord(
        guild_id=row.guild_id,
        session_id=row.session_id,
        user_id=row.user_id,
        source=AttendanceSource(row.source),
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


class SqlAttendanceRepository:
    """Attendance rows and voice presence intervals."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        guild_id: int,
        session_id: int,
        user_ids: Iterable[int],
        source: AttendanceSource,
        now: datetime,
        by: int | None = None,
    ) -> set[int]:
        """Record attendance for each user from source (idempotent); return who was newly recorded from it."""
        users = sorted(set(user_ids))
        if not users:
            return set()
        rows = [
            {
                "guild_id": guild_id,
                "session_id": session_id,
                "user_id": user_id,
                "source": source.value,
                "recorded_at": now,
                "recorded_by": by,
            }
            for user_id in users
        ]
        stmt = (
            dialect_insert(self._session, AttendanceRow.__table__)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["session_id", "user_id", "source"])
            .returning(_ATT.user_id)
        )
        return {int(u) for u in (await self._session.scalars(stmt)).all()}

    async def attendees(self, session_id: int) -> set[int]:
        """Return the user ids recorded as attending a session (from any source)."""
        stmt = select(_ATT.user_id).where(_ATT.session_id == session_id).distinct()
        return {int(u) for u in (await self._session.scalars(stmt)).all()}

    async def count(self, session_id: int) -> int:
        """Count the distinct people who attended a session."""
        stmt = select(func.count(func.distinct(_ATT.user_id))).where(_ATT.session_id == session_id)
        return int(await self._session.scalar(stmt) or 0)

    async def rows(
        self, *, guild_id: int, session_id: int | None = None, user_id: int | None = None
    ) -> list[AttendanceRecord]:
        """Return attendance rows of a session (or the whole server; of one person or all) in recording order."""
        stmt = select(AttendanceRow.__table__).where(_ATT.guild_id == guild_id).order_by(_ATT.session_id, _ATT.id)
        if session_id is not None:
            stmt = stmt.where(_ATT.session_id == session_id)
        if user_id is not None:
            stmt = stmt.where(_ATT.user_id == user_id)
        return [_attendance(r) for r in (await self._session.execute(stmt)).all()]

    # -- voice presence ----------------------------------------------------------------------------------

    async def open_interval(self, guild_id: int, user_id: int) -> tuple[int, int] | None:
        """Return (interval id, channel id) of someone's open voice stay in the server, or None."""
        stmt = (
            select(_VOICE.id, _VOICE.channel_id)
            .where(_VOICE.guild_id == guild_id, _VOICE.user_id == user_id, _VOICE.left_at.is_(None))
            .order_by(_VOICE.id.desc())
        )
        rows = (await self._session.execute(stmt)).all()
        return None if not rows else (int(rows[0].id), int(rows[0].channel_id))

    async def close_open(self, guild_id: int, user_id: int, at: datetime) -> list[int]:
        """Close every open stay of someone in the server at at; return the channels they were in."""
        stmt = (
            update(VoicePresenceRow.__table__)
            .where(_VOICE.guild_id == guild_id, _VOICE.user_id == user_id, _VOICE.left_at.is_(None))
            .values(left_at=at)
            .returning(_VOICE.channel_id)
        )
        return [int(c) for c in (await self._session.scalars(stmt)).all()]

    async def open(self, guild_id: int, user_id: int, channel_id: int, at: datetime) -> None:
        """Record that someone entered a voice or stage channel at at."""
        self._session.add(VoicePresenceRow(guild_id=guild_id, user_id=user_id, channel_id=channel_id, joined_at=at))
        await self._session.flush()

    async def open_stays(self, guild_id: int) -> list[tuple[int, int]]:
        """Return (user id, channel id) of every open stay in the server."""
        stmt = select(_VOICE.user_id, _VOICE.channel_id).where(_VOICE.guild_id == guild_id, _VOICE.left_at.is_(None))
        return [(int(r.user_id), int(r.channel_id)) for r in await self._session.execute(stmt)]

    async def stays_of(self, guild_id: int, user_id: int) -> list[VoiceStay]:
        """Return someone's voice channel stays in the server, oldest first."""
        stmt = (
            select(_VOICE.channel_id, _VOICE.joined_at, _VOICE.left_at)
            .where(_VOICE.guild_id == guild_id, _VOICE.user_id == user_id)
            .order_by(_VOICE.id)
        )
        return [VoiceStay(int(r.channel_id), r.joined_at, r.left_at) for r in await self._session.execute(stmt)]

    async def delete_user(self, guild_id: int, user_id: int) -> tuple[int, int]:
        """Delete someone's attendance and voice presence in the server (erasure); return (attendance, stays)."""
        attendance = await self._session.execute(
            delete(AttendanceRow.__table__).where(_ATT.guild_id == guild_id, _ATT.user_id == user_id)
        )
        voice = await self._session.execute(
            delete(VoicePresenceRow.__table__).where(_VOICE.guild_id == guild_id, _VOICE.user_id == user_id)
        )
        return rowcount(attendance), rowcount(voice)

    async def stays(
        self, channel_id: int, start: datetime, end: datetime, *, user_id: int | None = None
    ) -> list[tuple[int, datetime, datetime | None]]:
        """Return (user id, joined, left or None) of stays in a channel that overlap [start, end]."""
        stmt = select(_VOICE.user_id, _VOICE.joined_at, _VOICE.left_at).where(
            _VOICE.channel_id == channel_id,
            _VOICE.joined_at <= end,
            (_VOICE.left_at.is_(None)) | (_VOICE.left_at >= start),
        )
        if user_id is not None:
            stmt = stmt.where(_VOICE.user_id == user_id)
        return [(int(r.user_id), r.joined_at, r.left_at) for r in await self._session.execute(stmt)]
