"""Migration 0003 creates exactly the programme tables the models describe, and downgrades cleanly."""

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.core.storage.database import Database
from bot.core.storage.migrations import alembic_config
from bot.core.storage.models import Base

TABLES = {"programmes", "sessions", "rsvps", "reminder_preferences"}
# Columns later revisions add to these tables (0013: small groups' settings and the session prompt).
LATER_COLUMNS = {
    ("programmes", "groups_channel_id"),
    ("programmes", "peer_coach_role_id"),
    ("programmes", "groups_before_minutes"),
    ("programmes", "group_archive_hours"),
    ("programmes", "connect_every_days"),
    ("programmes", "groups_voice_category_id"),
    ("sessions", "prompt"),
}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        d
        for d in compare_metadata(context, Base.metadata)
        if _table_of(d) in TABLES and not (d[0] == "add_column" and (d[2], d[3].name) in LATER_COLUMNS)
    ]


def _table_of(diff: object) -> str | None:
    """Return the table an autogenerate difference is about (tuples or lists of modify_* tuples)."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:  # type: ignore[index]
        if isinstance(part, str) and part in TABLES:
            return part
        table = getattr(part, "table", None)  # a Column, Index or constraint
        if table is not None:
            return table.name
        if hasattr(part, "columns") and getattr(part, "name", None) in TABLES:  # a Table
            return part.name
    return None


async def test_upgrade_matches_models_and_downgrade_removes_tables(fresh_database_url: str) -> None:
    """Upgrade to 0003 gives the models' tables; downgrade to 0002 removes them again."""
    config = alembic_config(fresh_database_url)
    await asyncio.to_thread(command.upgrade, config, "0003")
    database = Database(fresh_database_url)
    try:
        async with database.engine.connect() as connection:
            names = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            assert names >= TABLES
            assert await connection.run_sync(_diff) == []
        await asyncio.to_thread(command.downgrade, config, "0002")
        async with database.engine.connect() as connection:
            names = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert not names & TABLES
        assert "deliveries" in names
    finally:
        await database.dispose()
