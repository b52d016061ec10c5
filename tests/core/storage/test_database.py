"""SQLite gets the pragmas Blether relies on; a second process on one SQLite file is refused."""

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.storage.database import Database
from bot.core.storage.lock import AlreadyRunningError, SingleProcessLock


async def test_sqlite_connections_use_wal_full_sync_busy_timeout_foreign_keys_and_secure_delete(tmp_path: Path) -> None:
    """Every pooled SQLite connection is configured on connect (secure_delete: freed space is zeroed)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with database.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2  # FULL
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA secure_delete"))).scalar() == 1
    finally:
        await database.dispose()


def test_second_lock_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    """The single-process lock names the other process and points to PostgreSQL."""
    path = str(tmp_path / "bot.db")
    with SingleProcessLock(path), pytest.raises(AlreadyRunningError, match="PostgreSQL"):
        SingleProcessLock(path).acquire()
    with SingleProcessLock(path):  # released: may be taken again
        pass


def test_describe_hides_the_password() -> None:
    """The database description never shows a password."""
    database = Database("postgresql+asyncpg://blether:hunter2@127.0.0.1/blether")
    assert "hunter2" not in database.describe()


async def test_checkpoint_truncates_the_write_ahead_log(tmp_path: Path) -> None:
    """Database.checkpoint copies the -wal into the file and leaves it empty (PostgreSQL: a no-op)."""
    path = tmp_path / "c.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x TEXT)"))
            await conn.execute(text("INSERT INTO t VALUES ('words to forget')"))
        wal = path.with_name("c.db-wal")
        assert wal.stat().st_size > 0
        assert await database.checkpoint() is True
        assert wal.stat().st_size == 0
    finally:
        await database.dispose()
