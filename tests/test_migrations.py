"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and downgrade cleanly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.core.storage.database import Database
from bot.core.storage.migrations import current_revision, downgrade_to, head_revision, upgrade_to_head
from bot.core.storage.models import Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
    return compare_metadata(context, Base.metadata)


async def test_models_and_migrations_agree(fresh_database_url: str) -> None:
    """After upgrading to head, autogenerate finds no difference with the models."""
    await upgrade_to_head(fresh_database_url)
    database = Database(fresh_database_url)
    try:
        assert await current_revision(database) == head_revision()
        async with database.engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == []
    finally:
        await database.dispose()


async def test_downgrade_to_base_removes_every_table(fresh_database_url: str) -> None:
    """Every revision's downgrade works: base leaves only Alembic's own table."""
    await upgrade_to_head(fresh_database_url)
    await downgrade_to(fresh_database_url, "base")
    database = Database(fresh_database_url)
    try:
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
    finally:
        await database.dispose()
    await upgrade_to_head(fresh_database_url)  # and back up again
