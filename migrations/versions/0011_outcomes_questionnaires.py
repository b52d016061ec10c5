"""Create questionnaires, questionnaire_items, questionnaire_responses and questionnaire_answers

Revision ID: outcomes_questionnaires
Revises: outcomes_programme_outcomes
Create Date: 2026-12-06 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "outcomes_questionnaires"
down_revision: str | None = "outcomes_programme_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = bot.core.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    """Create the four questionnaire tables."""
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opens_at", _WHEN, nullable=True),
        sa.Column("closes_at", _WHEN, nullable=True),
        sa.Column("nudge_at", _WHEN, nullable=True),
        sa.Column("opened_at", _WHEN, nullable=True),
        sa.Column("closed_at", _WHEN, nullable=True),
        sa.Column("card_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaires")),
        sa.UniqueConstraint("guild_id", "name", name=op.f("uq_questionnaires_guild_id_name")),
    )
    op.create_table(
        "questionnaire_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=150), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaires.id"],
            name=op.f("fk_questionnaire_items_questionnaire_id_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_items")),
        sa.UniqueConstraint(
            "questionnaire_id", "version", "key", name=op.f("uq_questionnaire_items_questionnaire_id_version_key")
        ),
    )
    op.create_table(
        "questionnaire_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("last_page", sa.Integer(), nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaires.id"],
            name=op.f("fk_questionnaire_responses_questionnaire_id_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_responses")),
        sa.UniqueConstraint(
            "questionnaire_id", "user_id", name=op.f("uq_questionnaire_responses_questionnaire_id_user_id")
        ),
    )
    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("saved_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["questionnaire_items.id"],
            name=op.f("fk_questionnaire_answers_item_id_questionnaire_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["questionnaire_responses.id"],
            name=op.f("fk_questionnaire_answers_response_id_questionnaire_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_answers")),
        sa.UniqueConstraint("response_id", "item_id", name=op.f("uq_questionnaire_answers_response_id_item_id")),
    )
    with op.batch_alter_table("questionnaire_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questionnaire_answers_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    """Drop the four questionnaire tables."""
    with op.batch_alter_table("questionnaire_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_answers_item_id"))
    op.drop_table("questionnaire_answers")
    op.drop_table("questionnaire_responses")
    op.drop_table("questionnaire_items")
    op.drop_table("questionnaires")
