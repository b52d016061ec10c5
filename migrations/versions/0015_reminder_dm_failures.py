"""Count refused reminder DMs per person and remember to tell them when Blether stopped their DMs

Also turns reminder DMs off for anyone who is not (or no longer) an active participant: only participants
may opt in, and leaving the server opts out.

Revision ID: 0015_reminder_dm_failures
Revises: 0014_external_ids
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_reminder_dm_failures"
down_revision: str | None = "0014_external_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add dm_failures and stopped_notice_pending; opt out people who are not active participants."""
    with op.batch_alter_table("reminder_preferences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dm_failures", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(
            sa.Column("stopped_notice_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        sa.text(
            "UPDATE reminder_preferences SET dm_enabled = :off WHERE dm_enabled = :on AND NOT EXISTS ("
            "SELECT 1 FROM participants p WHERE p.guild_id = reminder_preferences.guild_id "
            "AND p.user_id = reminder_preferences.user_id AND p.active = :on)"
        ).bindparams(off=False, on=True)
    )


def downgrade() -> None:
    """Drop the two columns (the opt-outs stay: they cannot be told apart from people's own choices)."""
    with op.batch_alter_table("reminder_preferences", schema=None) as batch_op:
        batch_op.drop_column("stopped_notice_pending")
        batch_op.drop_column("dm_failures")
