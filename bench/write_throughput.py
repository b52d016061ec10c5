"""How fast does Blether write rows, beside the raw driver doing the same inserts, in one run?

On SQLite (a temporary file with Blether's pragmas: WAL, synchronous=FULL) and, when reachable, on
PostgreSQL (``BENCH_PG_URL``, default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; a scratch
database is created and dropped), N audit rows are inserted four ways:

* raw batch: the driver's executemany in one transaction (sqlite3 / asyncpg);
* raw per row: one transaction (commit) per row;
* Blether batch: one unit of work, ``SqlAuditRepository.record_many`` (one INSERT), one commit; the
  older way, ``record`` N times (a flush each) in one unit of work, is timed beside it (``record_loop_s``);
* Blether per row: one unit of work and commit per row (what a command does).

Ratios compare like with like (batch/batch, per row/per row). Per-row commits on SQLite are bound by
fsync (synchronous=FULL), which is the same floor for both.
"""

import argparse
import asyncio
import contextlib
import logging
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench._util import table
from bot.core.storage.database import Database
from bot.core.storage.models import Base
from bot.core.storage.state import NewAuditEvent, SqlAuditRepository

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
INSERT = "INSERT INTO audit_events (guild_id, actor_id, action, detail, created_at) VALUES ({})"


def _row(i: int) -> tuple[int, int, str, str, str]:
    return (1 + i % 5, 10_000 + i, "bench.write", f"row {i}", datetime.now(UTC).isoformat(sep=" "))


async def _create_schema(url: str) -> Database:
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)  # a throwaway database; migrations are tested elsewhere
    return database


async def _blether(database: Database, count: int) -> dict[str, float]:
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    async with database.unit_of_work() as uow:
        await uow.repo(SqlAuditRepository).record_many(
            NewAuditEvent(
                action="bench.write", created_at=now, guild_id=1 + i % 5, actor_id=10_000 + i, detail=f"row {i}"
            )
            for i in range(count)
        )
        await uow.commit()
    batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlAuditRepository)
        for i in range(count):
            await repo.record(action="bench.write", now=now, guild_id=1 + i % 5, actor_id=10_000 + i, detail=f"row {i}")
        await uow.commit()
    record_loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(count):
        async with database.unit_of_work() as uow:
            await uow.repo(SqlAuditRepository).record(
                action="bench.write", now=now, guild_id=1 + i % 5, actor_id=10_000 + i, detail=f"row {i}"
            )
            await uow.commit()
    per_row = time.perf_counter() - t0
    return {"batch_s": batch, "per_row_s": per_row, "record_loop_s": record_loop}


def _raw_sqlite(path: Path, count: int) -> dict[str, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    sql = INSERT.format("?, ?, ?, ?, ?")
    rows = [_row(i) for i in range(count)]
    try:
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        batch = time.perf_counter() - t0
        t0 = time.perf_counter()
        for row in rows:
            conn.execute("BEGIN")
            conn.execute(sql, row)
            conn.execute("COMMIT")
        per_row = time.perf_counter() - t0
    finally:
        conn.close()
    return {"batch_s": batch, "per_row_s": per_row}


async def _sqlite(directory: Path, count: int) -> dict[str, Any]:
    raw_db = await _create_schema(f"sqlite+aiosqlite:///{directory / 'raw.db'}")
    await raw_db.dispose()
    raw = await asyncio.to_thread(_raw_sqlite, directory / "raw.db", count)
    database = await _create_schema(f"sqlite+aiosqlite:///{directory / 'orm.db'}")
    try:
        blether = await _blether(database, count)
    finally:
        await database.dispose()
    return _compare(raw, blether, count)


def _compare(raw: dict[str, float], blether: dict[str, float], count: int) -> dict[str, Any]:
    return {
        "raw": raw,
        "blether": blether,
        "rows_per_s": {
            "raw_batch": count / raw["batch_s"],
            "raw_per_row": count / raw["per_row_s"],
            "blether_batch": count / blether["batch_s"],
            "blether_per_row": count / blether["per_row_s"],
            "blether_record_loop": count / blether["record_loop_s"],
        },
        "ratio_batch": blether["batch_s"] / raw["batch_s"],
        "ratio_record_loop": blether["record_loop_s"] / raw["batch_s"],
        "ratio_per_row": blether["per_row_s"] / raw["per_row_s"],
    }


@contextlib.asynccontextmanager
async def _scratch_pg(url: str) -> AsyncIterator[str | None]:
    """Create a scratch database next to url's and yield its URL (None when PostgreSQL is unreachable)."""
    import asyncpg

    parsed = make_url(url)
    admin_dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncio.wait_for(asyncpg.connect(admin_dsn), timeout=3)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        logging.getLogger(__name__).warning("PostgreSQL not reachable (%s); skipping", type(error).__name__)
        yield None
        return
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _raw_pg(url: str, count: int) -> dict[str, float]:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    sql = INSERT.format("$1, $2, $3, $4, $5")
    now = datetime.now(UTC)
    rows = [(1 + i % 5, 10_000 + i, "bench.write", f"row {i}", now) for i in range(count)]
    try:
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.executemany(sql, rows)
        batch = time.perf_counter() - t0
        t0 = time.perf_counter()
        for row in rows:
            async with conn.transaction():
                await conn.execute(sql, *row)
        per_row = time.perf_counter() - t0
    finally:
        await conn.close()
    return {"batch_s": batch, "per_row_s": per_row}


async def _postgresql(url: str, count: int) -> dict[str, Any] | None:
    async with _scratch_pg(url) as scratch:
        if scratch is None:
            return None
        database = await _create_schema(scratch)
        try:
            raw = await _raw_pg(scratch, count)
            async with database.engine.begin() as conn:
                await conn.execute(text("TRUNCATE audit_events"))
            blether = await _blether(database, count)
        finally:
            await database.dispose()
        return _compare(raw, blether, count)


async def run_async(count: int = 5000, pg_url: str | None = None) -> dict[str, Any]:
    """Run the inserts on SQLite (and PostgreSQL when reachable); return seconds, rows/s and ratios."""
    pg_url = pg_url or os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL)
    with tempfile.TemporaryDirectory(prefix="blether-write-") as tmp:
        sqlite_result = await _sqlite(Path(tmp), count)
    pg_result = await _postgresql(pg_url, count)
    return {"name": "write_throughput", "count": count, "sqlite": sqlite_result, "postgresql": pg_result}


def run(count: int = 5000, pg_url: str | None = None) -> dict[str, Any]:
    """Run the inserts; return seconds, rows/s and ratios."""
    return asyncio.run(run_async(count, pg_url))


def report(result: dict[str, Any]) -> str:
    """Render the result as a small table."""
    rows = []
    for backend in ("sqlite", "postgresql"):
        r = result[backend]
        if r is None:
            rows.append([backend, "unreachable", "", "", "", "", ""])
            continue
        per_s = r["rows_per_s"]
        rows.append(
            [
                backend,
                f"{per_s['raw_batch']:.0f}",
                f"{per_s['blether_batch']:.0f}",
                f"{r['ratio_batch']:.1f}",
                f"{per_s['raw_per_row']:.0f}",
                f"{per_s['blether_per_row']:.0f}",
                f"{r['ratio_per_row']:.1f}",
            ]
        )
    headers = [
        "",
        "raw batch rows/s",
        "Blether batch rows/s",
        "time ×",
        "raw 1 txn/row rows/s",
        "Blether 1 UoW/row rows/s",
        "time ×",
    ]
    return f"{result['count']} audit rows\n{table(headers, rows)}"


def main() -> None:
    """Run from the command line and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(report(run(args.count)))


if __name__ == "__main__":
    main()
