"""Create programme_outcomes (the programme's learning outcomes, at most eight per server)

Revision ID: outcomes_programme_outcomes
Revises: 0009_posted_messages
Create Date: 2026-12-06 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "outcomes_programme_outcomes"
down_revision: str | None = "0009_posted_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the learning outcomes table."""
    op.create_table(
        "programme_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=150), nullable=False),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_outcomes")),
    )
    with op.batch_alter_table("programme_outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_outcomes_guild_id"), ["guild_id"], unique=False)


def downgrade() -> None:
    """Drop the learning outcomes table."""
    with op.batch_alter_table("programme_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_outcomes_guild_id"))
    op.drop_table("programme_outcomes")
