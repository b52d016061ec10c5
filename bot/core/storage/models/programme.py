"""Programme tables: the per-server configuration, sessions, RSVPs and DM reminder opt-ins."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake
from bot.core.storage.types import UTCDateTime


class ProgrammeRow(Base):
    """One server's programme configuration (one row per guild)."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    announcements_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    reflections_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    flash_reports_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    facilitator_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    facilitator_role_id: Mapped[int | None] = mapped_column(Snowflake)
    participant_role_id: Mapped[int | None] = mapped_column(Snowflake)
    # Minutes before each session, largest first, comma-separated ("10080,1440,60"); "" for none.
    reminder_offsets: Mapped[str] = mapped_column(String(64), default="10080,1440,60", server_default="10080,1440,60")
    reflection_delay_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default=text("15"))
    poll_close_days: Mapped[int] = mapped_column(Integer, default=7, server_default=text("7"))
    nudge_before_close_days: Mapped[int] = mapped_column(Integer, default=2, server_default=text("2"))
    retention_months: Mapped[int] = mapped_column(Integer, default=12, server_default=text("12"))
    # Small groups: where their private threads go, who coaches, when groups are made and threads archived.
    groups_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    peer_coach_role_id: Mapped[int | None] = mapped_column(Snowflake)
    groups_before_minutes: Mapped[int | None] = mapped_column(Integer)
    group_archive_hours: Mapped[int] = mapped_column(Integer, default=24, server_default=text("24"))
    groups_voice_category_id: Mapped[int | None] = mapped_column(Snowflake)
    connect_every_days: Mapped[int] = mapped_column(Integer, default=14, server_default=text("14"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionRow(Base):
    """One session of a programme; times in UTC, sequence bumped on every edit (for calendars)."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("guild_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    speaker: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location_kind: Mapped[str] = mapped_column(String(16), default="none")
    location_url: Mapped[str | None] = mapped_column(String(500))
    location_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    event_id: Mapped[int | None] = mapped_column(Snowflake)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    prompt: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RsvpRow(Base):
    """Someone said "I'll be there" for a session (intent, not attendance)."""

    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("guild_id", "session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReminderPreferenceRow(Base):
    """Whether someone wants session reminders by direct message too (off unless they opt in)."""

    __tablename__ = "reminder_preferences"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    dm_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutcomeRow(Base):
    """One learning outcome of a server's programme (at most eight, kept in the order shown)."""

    __tablename__ = "programme_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
