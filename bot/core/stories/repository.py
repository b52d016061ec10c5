"""The only SQL on story_highlights; returns frozen dataclasses."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.storage.models.stories import StoryHighlightRow
from bot.core.stories.domain import Highlight


def _highlight(row: StoryHighlightRow) -> Highlight:
    return Highlight(row.guild_id, row.month, row.item_id, row.reason, row.marked_by, row.created_at)


class SqlHighlightRepository:
    """Read and write the month's most significant stories."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set(self, guild_id: int, month: str, item_id: int, reason: str, *, by: int, now: datetime) -> Highlight:
        """Mark item_id as the month's story (replacing an earlier choice for that month)."""
        await self._session.execute(
            delete(StoryHighlightRow).where(StoryHighlightRow.guild_id == guild_id, StoryHighlightRow.month == month)
        )
        row = StoryHighlightRow(
            guild_id=guild_id, month=month, item_id=item_id, reason=reason, marked_by=by, created_at=now
        )
        self._session.add(row)
        await self._session.flush()
        return _highlight(row)

    async def all(self, guild_id: int) -> list[Highlight]:
        """Return the server's highlights by month."""
        rows = await self._session.scalars(
            select(StoryHighlightRow).where(StoryHighlightRow.guild_id == guild_id).order_by(StoryHighlightRow.month)
        )
        return [_highlight(r) for r in rows.all()]
