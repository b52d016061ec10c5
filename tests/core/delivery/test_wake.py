"""wake() with a real AsyncIOScheduler: one coalesced date job that fires run_due on time."""

import asyncio
import time
from datetime import timedelta

from bot.core.clock import SystemClock
from bot.core.delivery.dispatcher import WAKE_JOB_ID, Dispatcher
from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.storage.database import Database
from tests.core.delivery.conftest import add_all, fetch, new_delivery


async def test_wake_fires_run_due_close_to_the_due_time(database: Database) -> None:
    """A row due 300 ms ahead is handled within about 100 ms of its due time."""
    clock = SystemClock()
    handled = asyncio.Event()
    seen_at: list[float] = []

    async def handler(delivery: Delivery) -> int:
        seen_at.append(time.monotonic())
        handled.set()
        return 1

    dispatcher = Dispatcher(database, clock, worker_id="w", poll_interval=None)
    dispatcher.register("post", handler)
    await dispatcher.start()
    try:
        due = clock.now() + timedelta(milliseconds=300)
        due_mono = time.monotonic() + 0.3
        await add_all(database, clock, new_delivery("k1", due))
        dispatcher.wake(due)
        await asyncio.wait_for(handled.wait(), timeout=5)
        lateness = seen_at[0] - due_mono
        assert -0.01 <= lateness <= 0.1, lateness
        for _ in range(50):
            if (await fetch(database, "k1")).status is DeliveryStatus.SENT:
                break
            await asyncio.sleep(0.01)
        assert (await fetch(database, "k1")).status is DeliveryStatus.SENT
    finally:
        await dispatcher.stop()


async def test_wake_keeps_one_job_at_the_earliest_time(database: Database) -> None:
    """Many wake() calls leave a single scheduler job, at the earliest time asked for."""
    clock = SystemClock()
    dispatcher = Dispatcher(database, clock, worker_id="w", poll_interval=None)
    await dispatcher.start()
    try:
        await asyncio.sleep(0.05)  # let the start-up run finish
        base = clock.now() + timedelta(hours=1)
        for minutes in (30, 10, 50, 20):
            dispatcher.wake(base + timedelta(minutes=minutes))
        jobs = dispatcher._scheduler.get_jobs()
        assert [job.id for job in jobs] == [WAKE_JOB_ID]
        assert abs(jobs[0].next_run_time - (base + timedelta(minutes=10))) < timedelta(seconds=1)
        assert jobs[0].misfire_grace_time is None
        assert jobs[0].coalesce is True
    finally:
        await dispatcher.stop()


async def test_wake_from_another_thread_is_safe(database: Database) -> None:
    """wake() called from a worker thread schedules the job on the loop's scheduler."""
    clock = SystemClock()
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> int:
        done.set()
        return 1

    dispatcher = Dispatcher(database, clock, worker_id="w", poll_interval=None)
    dispatcher.register("post", handler)
    await dispatcher.start()
    try:
        await asyncio.sleep(0.05)
        due = clock.now() + timedelta(milliseconds=100)
        await add_all(database, clock, new_delivery("k1", due))
        await asyncio.to_thread(dispatcher.wake, due)
        await asyncio.wait_for(done.wait(), timeout=5)
    finally:
        await dispatcher.stop()


async def test_stop_waits_for_in_flight_sends(database: Database) -> None:
    """stop() lets a send in progress finish and record its outcome."""
    clock = SystemClock()
    started = asyncio.Event()

    async def slow(delivery: Delivery) -> int:
        started.set()
        await asyncio.sleep(0.2)
        return 7

    dispatcher = Dispatcher(database, clock, worker_id="w", poll_interval=None)
    dispatcher.register("post", slow)
    await add_all(database, clock, new_delivery("k1", clock.now()))
    await dispatcher.start()
    await asyncio.wait_for(started.wait(), timeout=5)
    await dispatcher.stop(grace=5)
    row = await fetch(database, "k1")
    assert (row.status, row.message_id) == (DeliveryStatus.SENT, 7)
