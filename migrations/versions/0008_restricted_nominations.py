"""Mark messages nominated from restricted channels (they wait for their author's quote consent)

Revision ID: 0008_restricted_nominations
Revises: 0007_one_delivery_key_format
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_restricted_nominations"
down_revision: str | None = "0007_one_delivery_key_format"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add flash_items.restricted (false for everything collected so far)."""
    with op.batch_alter_table("flash_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restricted", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Drop flash_items.restricted."""
    with op.batch_alter_table("flash_items", schema=None) as batch_op:
        batch_op.drop_column("restricted")
