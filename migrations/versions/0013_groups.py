"""Create small groups and connections; groups settings on programmes; a prompt per session

Revision ID: 0013_groups
Revises: outcomes_interviews_stories
Create Date: 2026-12-06 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "0013_groups"
down_revision: str | None = "outcomes_interviews_stories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = bot.core.storage.types.UTCDateTime


def upgrade() -> None:
    """Add the groups settings and the session prompt; create the three group tables."""
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("groups_channel_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("peer_coach_role_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("groups_before_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("group_archive_hours", sa.Integer(), server_default=sa.text("24"), nullable=False)
        )
        batch_op.add_column(sa.Column("groups_voice_category_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("connect_every_days", sa.Integer(), server_default=sa.text("14"), nullable=False))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt", sa.String(length=500), nullable=True))
    op.create_table(
        "group_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mix", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("coaches", sa.JSON(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_group_proposals_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_proposals")),
    )
    with op.batch_alter_table("group_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_proposals_session_id"), ["session_id"], unique=False)
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_groups_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
    )
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_groups_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index("ix_groups_session_id_number", ["session_id", "number"], unique=False)
    op.create_table(
        "group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("added_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_members_group_id_groups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_members")),
        sa.UniqueConstraint("session_id", "user_id", name=op.f("uq_group_members_session_id_user_id")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_group_id"), ["group_id"], unique=False)
        batch_op.create_index("ix_group_members_guild_id_user_id", ["guild_id", "user_id"], unique=False)
    op.create_table(
        "connect_preferences",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("ignored_in_row", sa.Integer(), nullable=False),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_connect_preferences")),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("round_at", _UTC(timezone=True), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("asked_at", _UTC(timezone=True), nullable=True),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index("ix_connections_guild_id_round_at", ["guild_id", "round_at"], unique=False)
    op.create_table(
        "connection_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("answered_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connection_answers_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_answers")),
        sa.UniqueConstraint("connection_id", "user_id", name=op.f("uq_connection_answers_connection_id_user_id")),
    )
    with op.batch_alter_table("connection_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connection_answers_connection_id"), ["connection_id"], unique=False)


def downgrade() -> None:
    """Drop the connection and group tables (children first), the session prompt and the groups settings."""
    with op.batch_alter_table("connection_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_answers_connection_id"))
    op.drop_table("connection_answers")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index("ix_connections_guild_id_round_at")
    op.drop_table("connections")
    op.drop_table("connect_preferences")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index("ix_group_members_guild_id_user_id")
        batch_op.drop_index(batch_op.f("ix_group_members_group_id"))
    op.drop_table("group_members")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_index("ix_groups_session_id_number")
        batch_op.drop_index(batch_op.f("ix_groups_guild_id"))
    op.drop_table("groups")
    with op.batch_alter_table("group_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_proposals_session_id"))
    op.drop_table("group_proposals")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("prompt")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_column("connect_every_days")
        batch_op.drop_column("groups_voice_category_id")
        batch_op.drop_column("group_archive_hours")
        batch_op.drop_column("groups_before_minutes")
        batch_op.drop_column("peer_coach_role_id")
        batch_op.drop_column("groups_channel_id")
