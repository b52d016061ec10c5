"""Dialect-specific SQL the repositories share: an INSERT that can upsert on SQLite and PostgreSQL."""

from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Table | Any) -> Any:
    """Return an INSERT for table that supports on_conflict_do_nothing/do_update on this session's backend."""
    name = session.get_bind().dialect.name
    if name == "postgresql":  # each dialect module is imported only on its backend
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"Blether supports SQLite and PostgreSQL, not {name}")
