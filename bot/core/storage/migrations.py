"""Run and inspect Alembic migrations programmatically (used by the CLI and start-up).

Alembic (with Mako and Pygments: about 7 MiB and 0.1-0.2 s) is imported only when a migration runs or is
inspected in detail. `blether run` first asks ``is_at_head`` (the stored revision against the head read
from the versions folder's files, no Alembic), so a start on a database that is already up to date never
loads it.
"""

import ast
import asyncio
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from bot.core.storage.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default; migrations/env.py does not change it


def alembic_config(database_url: str) -> "Config":
    """Build an Alembic config that points at Blether's migrations and the given database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def head_revision() -> str | None:
    """Return the newest migration revision shipped with this version."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _revision_ids(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """Return a revision file's id and the ids it revises, read as literals from its text (None if absent).

    Only the two top-level assignment lines are read (parsing whole files costs more than the rest of the
    check); a value that is not a one-line literal raises ValueError or SyntaxError, and the caller asks Alembic.
    """
    values = {name: ast.literal_eval(value) for name, value in _REVISION_LINE.findall(path.read_text("utf-8"))}
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        return None
    parents = (down,) if isinstance(down, str) else tuple(down) if isinstance(down, tuple | list) else ()
    return revision, tuple(str(p) for p in parents)


def shipped_head() -> str | None:
    """Return the one head revision of migrations/versions read from the files' text (no Alembic import).

    None when it is not clear-cut (no revisions, several heads, a file that does not parse): the caller then
    asks Alembic.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    try:
        for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
            ids = _revision_ids(path)
            if ids is not None:
                revisions.add(ids[0])
                revised.update(ids[1])
    except (OSError, SyntaxError, ValueError):
        return None
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


async def is_at_head(database: Database) -> bool:
    """Tell, without importing Alembic, whether the database's stored revision is the shipped head.

    False also when unsure (no version table, several rows, an unreadable versions folder); the caller then
    takes the Alembic path, which gives the exact answer.
    """
    head = shipped_head()
    if head is None:
        return False
    try:
        async with database.engine.connect() as connection:
            rows = (await connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))).scalars().all()
    except DBAPIError:  # no version table yet: a fresh database
        return False
    return list(rows) == [head]


async def current_revision(database: Database) -> str | None:
    """Return the revision the database is at (None when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        return await connection.run_sync(_read)


async def is_up_to_date(database: Database) -> bool:
    """Tell whether the database is at the head revision."""
    return await current_revision(database) == head_revision()


async def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration (Alembic runs its own event loop, so in a worker thread)."""
    from alembic import command

    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")


async def downgrade_to(database_url: str, revision: str) -> None:
    """Downgrade the database to a revision (tests and recovery only)."""
    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), revision)
