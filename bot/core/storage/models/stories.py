"""Stories of change: the story facilitators marked as most significant for a month."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake
from bot.core.storage.types import UTCDateTime


class StoryHighlightRow(Base):
    """A story of change that facilitators marked as the most significant of a month, and why."""

    __tablename__ = "story_highlights"
    __table_args__ = (UniqueConstraint("guild_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    month: Mapped[str] = mapped_column(String(7))
    item_id: Mapped[int] = mapped_column(ForeignKey("flash_items.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    marked_by: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
