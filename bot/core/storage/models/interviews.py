"""Interview tables: the shortlist of people proposed for an interview and their invitations."""

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake
from bot.core.storage.types import UTCDateTime


class InterviewCandidateRow(Base):
    """Someone proposed for an interview, and where their invitation stands."""

    __tablename__ = "interview_candidates"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    status: Mapped[str] = mapped_column(String(16))
    stratum: Mapped[str] = mapped_column(String(100))
    seed: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
