"""Create interview_candidates (the interview shortlist) and story_highlights (most significant change)

Revision ID: outcomes_interviews_stories
Revises: outcomes_questionnaires
Create Date: 2026-12-06 00:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "outcomes_interviews_stories"
down_revision: str | None = "outcomes_questionnaires"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = bot.core.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "interview_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stratum", sa.String(length=100), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_candidates")),
        sa.UniqueConstraint("guild_id", "user_id", name=op.f("uq_interview_candidates_guild_id_user_id")),
    )
    op.create_table(
        "story_highlights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("marked_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["flash_items.id"], name=op.f("fk_story_highlights_item_id_flash_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_highlights")),
        sa.UniqueConstraint("guild_id", "month", name=op.f("uq_story_highlights_guild_id_month")),
    )
    with op.batch_alter_table("story_highlights", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_highlights_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    """Drop the two tables."""
    with op.batch_alter_table("story_highlights", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_highlights_item_id"))
    op.drop_table("story_highlights")
    op.drop_table("interview_candidates")
