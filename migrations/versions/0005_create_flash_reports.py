"""Create Flash Report issues, items, tags and schedules

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the four Flash Report tables."""
    op.create_table(
        "flash_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("intro", sa.String(length=1000), nullable=True),
        sa.Column("scheduled_for", bot.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("period_start", bot.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("publisher_key", sa.String(length=200), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flash_issues")),
        sa.UniqueConstraint("guild_id", "number", name=op.f("uq_flash_issues_guild_id_number")),
    )
    op.create_table(
        "flash_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=520), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("excerpt", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("nominated_by_id", sa.BigInteger(), nullable=True),
        sa.Column("source_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("source_message_id", sa.BigInteger(), nullable=True),
        sa.Column("jump_url", sa.String(length=300), nullable=True),
        sa.Column("credit_by_name", sa.Boolean(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issue_id"], ["flash_issues.id"], name=op.f("fk_flash_items_issue_id_flash_issues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flash_items")),
        sa.UniqueConstraint("guild_id", "dedupe_key", name=op.f("uq_flash_items_guild_id_dedupe_key")),
    )
    with op.batch_alter_table("flash_items", schema=None) as batch_op:
        batch_op.create_index("ix_flash_items_guild_id_author_id", ["guild_id", "author_id"], unique=False)
        batch_op.create_index("ix_flash_items_guild_id_issue_id", ["guild_id", "issue_id"], unique=False)
    op.create_table(
        "flash_schedules",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_flash_schedules")),
    )
    op.create_table(
        "flash_tags",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=24), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "name", name=op.f("pk_flash_tags")),
    )


def downgrade() -> None:
    """Drop the Flash Report tables (items first: they reference issues)."""
    op.drop_table("flash_tags")
    op.drop_table("flash_schedules")
    with op.batch_alter_table("flash_items", schema=None) as batch_op:
        batch_op.drop_index("ix_flash_items_guild_id_issue_id")
        batch_op.drop_index("ix_flash_items_guild_id_author_id")
    op.drop_table("flash_items")
    op.drop_table("flash_issues")
