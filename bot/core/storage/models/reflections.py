"""Reflection tables: question sets, polls per session, responses, attendance and voice presence."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake
from bot.core.storage.types import UTCDateTime


class QuestionSetRow(Base):
    """A facilitator's own set of up to five reflection questions (built-in sets live in code)."""

    __tablename__ = "reflection_question_sets"
    __table_args__ = (UniqueConstraint("guild_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(40))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReflectionSettingsRow(Base):
    """A server's reflection settings: the question set used when a session has none of its own."""

    __tablename__ = "reflection_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    default_set: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PollRow(Base):
    """The reflection poll of one session: its schedule, the card's message and (once used) its questions."""

    __tablename__ = "reflection_polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    question_set: Mapped[str | None] = mapped_column(String(60))
    # The questions as they were when the first person saw the form (answers always match them).
    questions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    session_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    nudge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    card_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    card_message_id: Mapped[int | None] = mapped_column(Snowflake)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResponseRow(Base):
    """One participant's reflection on one session (edited in place until the poll closes)."""

    __tablename__ = "reflection_responses"
    __table_args__ = (
        UniqueConstraint("poll_id", "user_id"),
        Index("ix_reflection_responses_guild_id_session_id", "guild_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("reflection_polls.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    session_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Snowflake)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    rating: Mapped[int | None] = mapped_column(Integer)
    quote_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttendanceRow(Base):
    """Someone attended a session, and how Blether knows (one row per person, session and source)."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", "source"),
        Index("ix_attendance_guild_id_session_id", "guild_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake)
    source: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(Snowflake)


class VoicePresenceRow(Base):
    """One stay in a voice or stage channel; left_at is None while the person is still there."""

    __tablename__ = "voice_presence"
    __table_args__ = (
        Index("ix_voice_presence_guild_id_user_id_left_at", "guild_id", "user_id", "left_at"),
        Index("ix_voice_presence_channel_id_joined_at", "channel_id", "joined_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
