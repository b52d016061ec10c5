"""Shared fixtures: a real database per test (temp SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.core.clock import ManualClock
from bot.core.storage.database import Database
from bot.core.storage.models import Base
from tests.pg import pg_execute

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


def _admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str | None]:
    """Yield TEST_DATABASE_URL when the suite runs on PostgreSQL, else None."""
    yield TEST_DATABASE_URL or None


@pytest.fixture
def fresh_database_url(tmp_path: Path, pg_server_url: str | None) -> Iterator[str]:
    """Yield the URL of an empty database of its own, dropped afterwards."""
    if pg_server_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'blether-test.db'}"
        return
    name = f"blether_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(pg_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(_admin_url(pg_server_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(pg_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database(fresh_database_url: str) -> AsyncIterator[Database]:
    """Yield a Database whose tables are created from the models (migrations are tested separately)."""
    db = Database(fresh_database_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """Return a manual clock at a fixed winter time (2026-01-05 12:00 UTC)."""
    return ManualClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
