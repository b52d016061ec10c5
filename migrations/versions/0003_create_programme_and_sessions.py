"""Create programme and sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 23:55:47.544943
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("announcements_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("reflections_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("flash_reports_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("facilitator_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("facilitator_role_id", sa.BigInteger(), nullable=True),
        sa.Column("participant_role_id", sa.BigInteger(), nullable=True),
        sa.Column("reminder_offsets", sa.String(length=64), server_default="10080,1440,60", nullable=False),
        sa.Column("reflection_delay_minutes", sa.Integer(), server_default=sa.text("15"), nullable=False),
        sa.Column("poll_close_days", sa.Integer(), server_default=sa.text("7"), nullable=False),
        sa.Column("nudge_before_close_days", sa.Integer(), server_default=sa.text("2"), nullable=False),
        sa.Column("retention_months", sa.Integer(), server_default=sa.text("12"), nullable=False),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("guild_id", name=op.f("uq_programmes_guild_id")),
    )
    op.create_table(
        "reminder_preferences",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("dm_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_reminder_preferences")),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("speaker", sa.String(length=100), nullable=False),
        sa.Column("starts_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("location_kind", sa.String(length=16), nullable=False),
        sa.Column("location_url", sa.String(length=500), nullable=True),
        sa.Column("location_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("guild_id", "number", name=op.f("uq_sessions_guild_id_number")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_rsvps_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvps")),
        sa.UniqueConstraint("guild_id", "session_id", "user_id", name=op.f("uq_rsvps_guild_id_session_id_user_id")),
    )
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rsvps_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rsvps_session_id"))

    op.drop_table("rsvps")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_starts_at"))
        batch_op.drop_index(batch_op.f("ix_sessions_guild_id"))

    op.drop_table("sessions")
    op.drop_table("reminder_preferences")
    op.drop_table("programmes")
