"""The only SQL on interview_candidates; returns frozen dataclasses."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.interviews.domain import Candidate, InterviewStatus
from bot.core.storage.database import rowcount
from bot.core.storage.models.interviews import InterviewCandidateRow


def _candidate(row: InterviewCandidateRow) -> Candidate:
    return Candidate(row.guild_id, row.user_id, InterviewStatus(row.status), row.stratum, row.seed, row.updated_at)


class SqlInterviewRepository:
    """Read and write the interview list."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self, guild_id: int) -> list[Candidate]:
        """Return the server's list in the order people were added."""
        rows = await self._session.scalars(
            select(InterviewCandidateRow)
            .where(InterviewCandidateRow.guild_id == guild_id)
            .order_by(InterviewCandidateRow.id)
        )
        return [_candidate(r) for r in rows.all()]

    async def add(self, guild_id: int, user_id: int, stratum: str, seed: int, *, now: datetime) -> Candidate:
        """Put someone on the list as proposed."""
        row = InterviewCandidateRow(
            guild_id=guild_id,
            user_id=user_id,
            status=InterviewStatus.PROPOSED.value,
            stratum=stratum[:100],
            seed=seed,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _candidate(row)

    async def set_status(
        self, guild_id: int, user_id: int, status: InterviewStatus, *, now: datetime
    ) -> Candidate | None:
        """Change someone's status; None when they are not on the list."""
        row = await self._session.scalar(
            select(InterviewCandidateRow).where(
                InterviewCandidateRow.guild_id == guild_id, InterviewCandidateRow.user_id == user_id
            )
        )
        if row is None:
            return None
        row.status, row.updated_at = status.value, now
        await self._session.flush()
        return _candidate(row)

    async def remove(self, guild_id: int, user_ids: Iterable[int]) -> int:
        """Take people off the list; return how many."""
        ids = list(user_ids)
        if not ids:
            return 0
        result = await self._session.execute(
            delete(InterviewCandidateRow).where(
                InterviewCandidateRow.guild_id == guild_id, InterviewCandidateRow.user_id.in_(ids)
            )
        )
        return rowcount(result)

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Erase someone from the list."""
        return await self.remove(guild_id, [user_id])
