"""Migration 0003 creates the programme tables the models describe and downgrades cleanly; 0015 fixes opt-ins."""

import asyncio
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import column, inspect, table, text
from sqlalchemy.engine import Connection

from bot.core.storage.database import Database
from bot.core.storage.migrations import alembic_config
from bot.core.storage.models import Base
from bot.core.storage.types import UTCDateTime

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
    """Upgrade to 0003 gives the programme tables (head: as the models say); downgrade to 0002 removes them."""
    config = alembic_config(fresh_database_url)
    await asyncio.to_thread(command.upgrade, config, "0003")
    database = Database(fresh_database_url)
    try:
        async with database.engine.connect() as connection:
            names = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            assert names >= TABLES
        await asyncio.to_thread(command.upgrade, config, "head")
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
        await asyncio.to_thread(command.downgrade, config, "0002")
        async with database.engine.connect() as connection:
            names = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert not names & TABLES
        assert "deliveries" in names
    finally:
        await database.dispose()


async def test_0015_turns_off_reminder_dms_of_people_who_are_not_active_participants(fresh_database_url: str) -> None:
    """Opt-ins stored without /join, or by someone who left, are turned off; an active participant's stays on."""
    config = alembic_config(fresh_database_url)
    await asyncio.to_thread(command.upgrade, config, "0014_external_ids")
    database = Database(fresh_database_url)
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    participants = table(
        "participants",
        column("guild_id"),
        column("user_id"),
        column("active"),
        column("joined_at", UTCDateTime()),
        column("updated_at", UTCDateTime()),
    )
    preferences = table(
        "reminder_preferences",
        column("guild_id"),
        column("user_id"),
        column("dm_enabled"),
        column("updated_at", UTCDateTime()),
    )
    try:
        async with database.engine.begin() as connection:
            await connection.execute(
                participants.insert(),
                [
                    {"guild_id": 10, "user_id": u, "active": a, "joined_at": now, "updated_at": now}
                    for u, a in ((1, True), (2, False))
                ],
            )
            await connection.execute(
                preferences.insert(),
                [{"guild_id": 10, "user_id": u, "dm_enabled": True, "updated_at": now} for u in (1, 2, 3)],
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT user_id, dm_enabled, dm_failures FROM reminder_preferences ORDER BY user_id")
            )
            assert [(int(u), bool(on), int(f)) for u, on, f in rows] == [(1, True, 0), (2, False, 0), (3, False, 0)]
    finally:
        await database.dispose()
