"""Run and inspect Alembic migrations programmatically (used by the CLI and start-up)."""

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.core.storage.database import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(database_url: str) -> Config:
    """Build an Alembic config that points at Blether's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def head_revision() -> str | None:
    """Return the newest migration revision shipped with this version."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(database: Database) -> str | None:
    """Return the revision the database is at (None when it was never migrated)."""

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        return await connection.run_sync(_read)


async def is_up_to_date(database: Database) -> bool:
    """Tell whether the database is at the head revision."""
    return await current_revision(database) == head_revision()


async def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration (Alembic runs its own event loop, so in a worker thread)."""
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")


async def downgrade_to(database_url: str, revision: str) -> None:
    """Downgrade the database to a revision (tests and recovery only)."""
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), revision)
