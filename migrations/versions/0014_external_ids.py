"""Create external_ids: platform ids that are not numbers (Matrix rooms, users, events) and their numbers

Revision ID: 0014_external_ids
Revises: 0013_groups
Create Date: 2026-12-06 00:45:00.000000

The core knows channels, users and messages by number (Discord snowflakes). The Matrix adapter derives a
stable number from each room, user and event id and keeps the pair here so it can find the Matrix id again.
The sync token and the access token from a password login live in bot_state (no schema change).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_external_ids"
down_revision: str | None = "0013_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_ids",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_ids")),
        sa.UniqueConstraint("platform", "kind", "external", name=op.f("uq_external_ids_platform_kind_external")),
    )


def downgrade() -> None:
    op.drop_table("external_ids")
