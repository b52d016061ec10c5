"""Create deliveries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:48:56.979065
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the deliveries outbox and its indexes."""
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deliver_before", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", bot.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("abandoned_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_deliveries_dedupe_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_deliveries_status_next_attempt_at"), ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_target"), ["target"], unique=False)


def downgrade() -> None:
    """Drop the deliveries outbox."""
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_target"))
        batch_op.drop_index(op.f("ix_deliveries_status_next_attempt_at"))
    op.drop_table("deliveries")
