"""How late does the delivery engine fire, and how fast does it catch up after a restart?

Run with ``python -m bench.reminder_lateness``. On a temporary SQLite file:

1. lateness: 10,000 pending deliveries due over ~5 s, a no-op handler recording time.monotonic()
   against each due time; beside it, in the same run, a bare asyncio baseline (one loop.call_at per
   item) over the same due times;
2. reconcile: 10,000 rows pending and already due (as after a restart), timed from start() until
   every handler ran and every row is recorded sent.

Targets: lateness p99 ≤ 1 s; reconcile of 10,000 ≤ 2 s. ``run()`` returns the figures as a dict.
"""

import argparse
import asyncio
import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench._util import summarise, table
from bot.core.clock import SystemClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.storage.database import Database
from bot.core.storage.models.delivery import DeliveryRow

TARGET_P99_S = 1.0
TARGET_RECONCILE_S = 2.0


async def _fresh_database(directory: Path, name: str) -> Database:
    database = Database(f"sqlite+aiosqlite:///{directory / name}")
    async with database.engine.begin() as conn:
        await conn.run_sync(DeliveryRow.__table__.create)  # type: ignore[attr-defined]
    return database


async def _insert(database: Database, due_times: list[datetime], *, window: timedelta) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "guild_id": 1 + i % 5,
            "kind": "bench",
            "target": f"bench:{i % 100}",
            "dedupe_key": f"bench:{i}",
            "payload": {"i": i},
            "due_at": due,
            "deliver_before": due + window,
            "next_attempt_at": due,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for i, due in enumerate(due_times)
    ]
    async with database.unit_of_work() as uow:
        for start in range(0, len(rows), 2000):
            await uow.session.execute(insert(DeliveryRow), rows[start : start + 2000])
        await uow.commit()


async def _count_sent(database: Database) -> int:
    async with database.unit_of_work() as uow:
        return (
            await uow.session.scalar(select(func.count()).where(DeliveryRow.status == DeliveryStatus.SENT.value)) or 0
        )


async def _wait_until(predicate: Any, *, within: float, step: float = 0.005) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(step)
    return False


async def bench_engine_lateness(directory: Path, count: int, spread: float) -> dict[str, Any]:
    """Schedule count deliveries due over spread seconds and measure how late the handler ran."""
    database = await _fresh_database(directory, "lateness.db")
    lead = 1.5  # seconds between now and the first due time (setup happens in between)
    wall0, mono0 = datetime.now(UTC), time.monotonic()
    offsets = [lead + spread * i / count for i in range(count)]
    await _insert(database, [wall0 + timedelta(seconds=o) for o in offsets], window=timedelta(hours=1))
    due_mono = {f"bench:{i}": mono0 + o for i, o in enumerate(offsets)}
    lateness: list[float] = []
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> int:
        lateness.append(time.monotonic() - due_mono[delivery.dedupe_key])
        if len(lateness) >= count:
            done.set()
        return delivery.id

    dispatcher = Dispatcher(database, SystemClock(), worker_id="bench")
    dispatcher.register("bench", handler)
    try:
        await dispatcher.start()
        await asyncio.wait_for(done.wait(), timeout=lead + spread + 60)
        recorded = await _wait_until(lambda: _count_sent_is(database, count), within=30)
    finally:
        await dispatcher.stop()
        await database.dispose()
    return {**summarise(lateness), "count": len(lateness), "all_recorded": recorded}


async def _count_sent_is(database: Database, count: int) -> bool:
    return await _count_sent(database) >= count


async def bench_baseline_lateness(count: int, spread: float) -> dict[str, Any]:
    """Fire count bare asyncio timers (loop.call_at) over spread seconds and measure their lateness."""
    loop = asyncio.get_running_loop()
    lead = 0.5
    start = loop.time()
    lateness: list[float] = []
    done = asyncio.Event()

    def fire(due: float) -> None:
        lateness.append(loop.time() - due)
        if len(lateness) >= count:
            done.set()

    for i in range(count):
        due = start + lead + spread * i / count
        loop.call_at(due, fire, due)
    await asyncio.wait_for(done.wait(), timeout=lead + spread + 30)
    return {**summarise(lateness), "count": len(lateness)}


async def bench_reconcile(directory: Path, count: int) -> dict[str, Any]:
    """Time start() on count rows already due (as after downtime) until all are handled and recorded."""
    database = await _fresh_database(directory, "reconcile.db")
    now = datetime.now(UTC)
    await _insert(
        database, [now - timedelta(minutes=10, milliseconds=i) for i in range(count)], window=timedelta(hours=1)
    )
    handled = 0
    all_handled = asyncio.Event()

    async def handler(delivery: Delivery) -> int:
        nonlocal handled
        handled += 1
        if handled >= count:
            all_handled.set()
        return delivery.id

    dispatcher = Dispatcher(database, SystemClock(), worker_id="bench")
    dispatcher.register("bench", handler)
    try:
        t0 = time.perf_counter()
        await dispatcher.start()
        started = time.perf_counter() - t0
        await asyncio.wait_for(all_handled.wait(), timeout=120)
        handled_s = time.perf_counter() - t0
        await _wait_until(lambda: _count_sent_is(database, count), within=60, step=0.002)
        recorded_s = time.perf_counter() - t0
    finally:
        await dispatcher.stop()
        await database.dispose()
    return {"count": count, "start_s": started, "handled_s": handled_s, "recorded_s": recorded_s}


async def _run(count: int, spread: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="blether-bench-") as tmp:
        directory = Path(tmp)
        engine = await bench_engine_lateness(directory, count, spread)
        baseline = await bench_baseline_lateness(count, spread)
        reconcile = await bench_reconcile(directory, count)
    return {
        "name": "reminder_lateness",
        "count": count,
        "spread_s": spread,
        "engine": engine,
        "baseline": baseline,
        "reconcile": reconcile,
        "targets": {"lateness_p99_s": TARGET_P99_S, "reconcile_s": TARGET_RECONCILE_S},
        "passed": engine["p99"] <= TARGET_P99_S and reconcile["recorded_s"] <= TARGET_RECONCILE_S,
    }


def run(count: int = 10_000, spread: float = 5.0) -> dict[str, Any]:
    """Run the benchmark and return its figures (seconds)."""
    return asyncio.run(_run(count, spread))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    """Run from the command line and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=5.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = run(args.count, args.spread)
    engine, baseline, reconcile = result["engine"], result["baseline"], result["reconcile"]
    print(f"Reminder lateness: {result['count']} deliveries due over {result['spread_s']:.0f} s (SQLite file)")
    print(
        table(
            ["", "p50", "p99", "max", "target"],
            [
                [
                    "delivery engine",
                    _ms(engine["p50"]),
                    _ms(engine["p99"]),
                    _ms(engine["max"]),
                    f"p99 ≤ {TARGET_P99_S:.0f} s",
                ],
                ["asyncio call_at", _ms(baseline["p50"]), _ms(baseline["p99"]), _ms(baseline["max"]), ""],
            ],
        )
    )
    print()
    print(f"Reconcile after restart: {reconcile['count']} rows due")
    print(
        table(
            ["start() returned", "all handled", "all recorded sent", "target"],
            [
                [
                    _ms(reconcile["start_s"]),
                    _ms(reconcile["handled_s"]),
                    _ms(reconcile["recorded_s"]),
                    f"≤ {TARGET_RECONCILE_S:.0f} s",
                ]
            ],
        )
    )
    print()
    print("PASS" if result["passed"] else "MISSED TARGET")


if __name__ == "__main__":
    main()
