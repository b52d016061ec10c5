"""Record messages already posted that carry people's words (erasure and retention edit them)

Revision ID: 0009_posted_messages
Revises: 0008_restricted_nominations
Create Date: 2026-12-08 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "0009_posted_messages"
down_revision: str | None = "0008_restricted_nominations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create posted_messages and posted_message_authors."""
    op.create_table(
        "posted_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("edit_kind", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("has_text", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posted_messages")),
        sa.UniqueConstraint("ref", name=op.f("uq_posted_messages_ref")),
    )
    with op.batch_alter_table("posted_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posted_messages_guild_id"), ["guild_id"], unique=False)
    op.create_table(
        "posted_message_authors",
        sa.Column("posted_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["posted_id"],
            ["posted_messages.id"],
            name=op.f("fk_posted_message_authors_posted_id_posted_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("posted_id", "user_id", name=op.f("pk_posted_message_authors")),
    )
    with op.batch_alter_table("posted_message_authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posted_message_authors_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    """Drop the two tables (authors first: they reference postings)."""
    with op.batch_alter_table("posted_message_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posted_message_authors_user_id"))
    op.drop_table("posted_message_authors")
    with op.batch_alter_table("posted_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posted_messages_guild_id"))
    op.drop_table("posted_messages")
