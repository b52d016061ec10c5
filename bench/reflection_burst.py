"""How fast are reflections saved when everyone presses "Submit" at once?

Run with ``python -m bench.reflection_burst``. On a temporary SQLite file (WAL, synchronous=FULL, as
in production), N participants of one ended session submit the appreciative form concurrently through
``ReflectionService.submit_reflection``; beside it, in the same run, an "ack-only" baseline (a coroutine
that returns at once) is launched the same way. For each call the time from the start of the burst to
its completion is recorded; the run reports p50/p99/max, confirms nobody's answer was lost and that
exactly N response rows exist. Bursts of 50, 200 and 1,000.

Target: p99 ≤ 0.5 s at 200. ``run()`` returns the figures as a dict.
"""

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench._util import summarise, table
from bot.core.actors import Actor
from bot.core.clock import SystemClock
from bot.core.programme.domain import Location, NewSession, Programme
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database
from bot.core.storage.models import Base
from bot.core.storage.models.participants import ParticipantRow
from bot.core.storage.models.reflections import ResponseRow

GUILD = 4242
TARGET_P99_S = 0.5
SIZES = (50, 200, 1000)


async def _prepare(directory: Path, participants: int) -> tuple[Database, int]:
    """Create a database with a programme, one session that just ended and the participants."""
    database = Database(f"sqlite+aiosqlite:///{directory / f'burst-{participants}.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)  # a throwaway file; migrations are tested elsewhere
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        await uow.repo(SqlProgrammeRepository).create(
            Programme(id=0, guild_id=GUILD, reflections_channel_id=1, facilitator_channel_id=2), now=now
        )
        session = await uow.repo(SqlSessionRepository).add(
            NewSession(
                guild_id=GUILD,
                number=1,
                title="Compassionate neighbours",
                description="",
                speaker="",
                starts_at=now - timedelta(minutes=100),
                duration_minutes=90,
                location=Location.none(),
            ),
            now=now,
        )
        await uow.session.execute(
            insert(ParticipantRow),
            [
                {"guild_id": GUILD, "user_id": 10_000 + i, "active": True, "joined_at": now, "updated_at": now}
                for i in range(participants)
            ],
        )
        await uow.commit()
    return database, session.id


def _answers(i: int) -> dict[str, Any]:
    return {
        "q1": str(1 + i % 5),
        "q2": "Hearing how other communities run their cafés " * 3,
        "q3": "More time in small groups",
        "q4": "Ask the surgery about a link worker",
        "q5": i % 3 == 0,
    }


async def _burst(calls: list[Callable[[], Awaitable[object]]]) -> tuple[list[float], int]:
    """Launch every call at once; return each one's time to complete (s) and how many failed."""
    start = time.perf_counter()
    finished: list[float] = []
    failures = 0

    async def timed(call: Callable[[], Awaitable[object]]) -> None:
        nonlocal failures
        try:
            await call()
        except Exception:
            failures += 1
            logging.getLogger(__name__).exception("A submit failed")
        finished.append(time.perf_counter() - start)

    await asyncio.gather(*(timed(call) for call in calls))
    return finished, failures


async def _count_rows(database: Database) -> int:
    async with database.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count(ResponseRow.id))) or 0)


async def _one_size(directory: Path, size: int) -> dict[str, Any]:
    database, session_id = await _prepare(directory, size)
    service = ReflectionService(database, SystemClock())
    try:
        await service.ensure_polls(GUILD)

        async def ack() -> None:
            return None

        baseline, _ = await _burst([ack for _ in range(size)])
        calls = [
            (lambda i=i: service.submit_reflection(Actor(GUILD, 10_000 + i), session_id, _answers(i)))
            for i in range(size)
        ]
        latencies, failures = await _burst(calls)
        rows = await _count_rows(database)
    finally:
        await database.dispose()
    submit = summarise(latencies)
    ack_only = summarise(baseline)
    return {
        "size": size,
        "submit_p50_s": submit["p50"],
        "submit_p99_s": submit["p99"],
        "submit_max_s": submit["max"],
        "ack_p50_s": ack_only["p50"],
        "ack_p99_s": ack_only["p99"],
        "lost": size - (len(latencies) - failures),
        "failed": failures,
        "rows": rows,
        "rows_ok": rows == size,
        "per_second": size / submit["max"] if submit["max"] else float("inf"),
    }


async def _run(sizes: tuple[int, ...]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="blether-burst-") as tmp:
        for size in sizes:
            results[str(size)] = await _one_size(Path(tmp), size)
    at_200 = results.get("200")
    results["target_p99_s"] = TARGET_P99_S
    results["met"] = None if at_200 is None else bool(at_200["submit_p99_s"] <= TARGET_P99_S and at_200["rows_ok"])
    return results


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Run the bursts and return their figures (seconds) keyed by burst size, plus "met" for the target."""
    return asyncio.run(_run(sizes))


def _report(results: dict[str, Any]) -> str:
    rows = []
    for key, figures in results.items():
        if not isinstance(figures, dict):
            continue
        rows.append(
            [
                figures["size"],
                f"{figures['ack_p50_s'] * 1000:.2f}",
                f"{figures['ack_p99_s'] * 1000:.2f}",
                f"{figures['submit_p50_s'] * 1000:.0f}",
                f"{figures['submit_p99_s'] * 1000:.0f}",
                f"{figures['submit_max_s'] * 1000:.0f}",
                f"{figures['per_second']:.0f}",
                figures["lost"],
                f"{figures['rows']} ({'ok' if figures['rows_ok'] else 'WRONG'})",
            ]
        )
        del key
    headers = ["burst", "ack p50 ms", "ack p99 ms", "submit p50 ms", "submit p99 ms", "max ms", "per s", "lost", "rows"]
    verdict = "met" if results.get("met") else "MISSED"
    return f"{table(headers, rows)}\n\ntarget p99 ≤ {TARGET_P99_S * 1000:.0f} ms at 200: {verdict}"


def main() -> None:
    """Run from the command line and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated burst sizes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(_report(run(tuple(int(s) for s in args.sizes.split(",")))))


if __name__ == "__main__":
    main()
