"""Database snapshots (row counts and content digests) and integrity checks through SQLAlchemy."""

import hashlib
from typing import Any

from sqlalchemy import inspect, text

from bot.core.storage.database import Database

# Written by the bot on its own schedule, not by a command: excluded from "nothing changed" snapshots.
BACKGROUND_TABLES = frozenset({"alembic_version"})


async def table_names(database: Database) -> list[str]:
    """Return every table in the live database (reflected, so tables added later are covered too)."""
    async with database.engine.connect() as conn:
        return sorted(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def row_counts(database: Database) -> dict[str, int]:
    """Return {table: row count} for every table."""
    counts: dict[str, int] = {}
    async with database.engine.connect() as conn:
        for name in await conn.run_sync(lambda sync: inspect(sync).get_table_names()):
            counts[name] = (await conn.execute(text(f'SELECT COUNT(*) FROM "{name}"'))).scalar_one()
    return counts


async def snapshot(database: Database) -> dict[str, tuple[int, str]]:
    """Return {table: (row count, digest of every row)} so any insert, update or delete shows up."""
    result: dict[str, tuple[int, str]] = {}
    async with database.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        for name in sorted(names):
            if name in BACKGROUND_TABLES:
                continue
            rows = (await conn.execute(text(f'SELECT * FROM "{name}"'))).all()
            digest = hashlib.sha256(repr(sorted(map(_row_key, rows))).encode()).hexdigest()[:16]
            result[name] = (len(rows), digest)
    return result


def _row_key(row: Any) -> str:
    return repr(tuple(row))


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> dict[str, Any]:
    """Return the tables whose count or content differs, with (before, after)."""
    return {t: (before.get(t), after.get(t)) for t in sorted(set(before) | set(after)) if before.get(t) != after.get(t)}


async def integrity_problems(database: Database) -> list[str]:
    """Return SQLite integrity and foreign-key problems (PostgreSQL enforces both itself: [])."""
    if not database.is_sqlite:
        return []
    problems: list[str] = []
    async with database.engine.connect() as conn:
        integrity = [r[0] for r in (await conn.execute(text("PRAGMA integrity_check"))).all()]
        if integrity != ["ok"]:
            problems.extend(f"integrity_check: {line}" for line in integrity)
        problems.extend(
            f"foreign_key_check: {tuple(r)}" for r in (await conn.execute(text("PRAGMA foreign_key_check"))).all()
        )
    return problems
