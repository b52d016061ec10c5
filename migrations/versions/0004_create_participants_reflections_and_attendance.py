"""Create participants, consent, reflections and attendance

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 00:03:44.279732
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.core.storage.types.UTCDateTime


def upgrade() -> None:
    """Create communities, participants, consent texts and answers, question sets, polls, responses,
    attendance and voice presence."""
    op.create_table(
        "communities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint("guild_id", "key", name=op.f("uq_communities_guild_id_key")),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", UTC(timezone=True), nullable=False),
        sa.Column("left_at", UTC(timezone=True), nullable=True),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_participants_community_id_communities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
        sa.UniqueConstraint("guild_id", "user_id", name=op.f("uq_participants_guild_id_user_id")),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participants_community_id"), ["community_id"], unique=False)

    op.create_table(
        "consent_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_texts")),
        sa.UniqueConstraint("guild_id", "version", name=op.f("uq_consent_texts_guild_id_version")),
    )
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index("ix_consent_events_guild_id_purpose", ["guild_id", "purpose"], unique=False)
        batch_op.create_index("ix_consent_events_guild_id_user_id", ["guild_id", "user_id"], unique=False)

    op.create_table(
        "reflection_question_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_question_sets")),
        sa.UniqueConstraint("guild_id", "key", name=op.f("uq_reflection_question_sets_guild_id_key")),
    )
    op.create_table(
        "reflection_settings",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("default_set", sa.String(length=60), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_reflection_settings")),
    )
    op.create_table(
        "reflection_polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("question_set", sa.String(length=60), nullable=True),
        sa.Column("questions", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("session_ends_at", UTC(timezone=True), nullable=False),
        sa.Column("opens_at", UTC(timezone=True), nullable=False),
        sa.Column("nudge_at", UTC(timezone=True), nullable=True),
        sa.Column("closes_at", UTC(timezone=True), nullable=False),
        sa.Column("card_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", UTC(timezone=True), nullable=True),
        sa.Column("closed_at", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_reflection_polls_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_polls")),
        sa.UniqueConstraint("session_id", name=op.f("uq_reflection_polls_session_id")),
    )
    with op.batch_alter_table("reflection_polls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reflection_polls_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "reflection_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("quote_allowed", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["reflection_polls.id"],
            name=op.f("fk_reflection_responses_poll_id_reflection_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_responses")),
        sa.UniqueConstraint("poll_id", "user_id", name=op.f("uq_reflection_responses_poll_id_user_id")),
    )
    with op.batch_alter_table("reflection_responses", schema=None) as batch_op:
        batch_op.create_index("ix_reflection_responses_guild_id_session_id", ["guild_id", "session_id"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_attendance_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("session_id", "user_id", "source", name=op.f("uq_attendance_session_id_user_id_source")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_guild_id_session_id", ["guild_id", "session_id"], unique=False)

    op.create_table(
        "voice_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", UTC(timezone=True), nullable=False),
        sa.Column("left_at", UTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_presence")),
    )
    with op.batch_alter_table("voice_presence", schema=None) as batch_op:
        batch_op.create_index("ix_voice_presence_channel_id_joined_at", ["channel_id", "joined_at"], unique=False)
        batch_op.create_index(
            "ix_voice_presence_guild_id_user_id_left_at", ["guild_id", "user_id", "left_at"], unique=False
        )


def downgrade() -> None:
    """Drop the tables of this revision, dependants first."""
    with op.batch_alter_table("voice_presence", schema=None) as batch_op:
        batch_op.drop_index("ix_voice_presence_guild_id_user_id_left_at")
        batch_op.drop_index("ix_voice_presence_channel_id_joined_at")
    op.drop_table("voice_presence")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_guild_id_session_id")
    op.drop_table("attendance")
    with op.batch_alter_table("reflection_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_reflection_responses_guild_id_session_id")
    op.drop_table("reflection_responses")
    with op.batch_alter_table("reflection_polls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reflection_polls_guild_id"))
    op.drop_table("reflection_polls")
    op.drop_table("reflection_settings")
    op.drop_table("reflection_question_sets")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_events_guild_id_user_id")
        batch_op.drop_index("ix_consent_events_guild_id_purpose")
    op.drop_table("consent_events")
    op.drop_table("consent_texts")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participants_community_id"))
    op.drop_table("participants")
    op.drop_table("communities")
