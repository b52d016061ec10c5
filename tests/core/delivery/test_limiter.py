"""The token-bucket RateLimiter on a fake clock (no real waiting, no timing flakes)."""

import asyncio
import itertools
import time

from bot.core.delivery.limiter import RateLimiter, TokenBucket


class FakeTime:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self, *, advance_on_sleep: bool = True) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.advance_on_sleep = advance_on_sleep

    def monotonic(self) -> float:
        """Return the fake time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance the fake time instead of waiting."""
        self.sleeps.append(seconds)
        if self.advance_on_sleep:
            self.now += seconds
        else:
            await asyncio.sleep(0)


def limiter(fake: FakeTime, **kwargs: float) -> RateLimiter:
    """Build a limiter on fake time."""
    return RateLimiter(monotonic=fake.monotonic, sleep=fake.sleep, **kwargs)  # type: ignore[arg-type]


async def test_global_rate_is_forty_per_second_after_the_burst() -> None:
    """400 sequential requests take (400 - burst of 10) / 40 seconds of fake time and no more."""
    fake = FakeTime()
    rl = limiter(fake)
    for _ in range(400):
        await rl.acquire()
    assert abs(fake.now - (400 - 10) / 40) < 1e-6
    assert rl.acquired == 400


async def test_burst_goes_out_without_waiting() -> None:
    """A full bucket lets 10 requests through at once (so the first second stays under 50)."""
    fake = FakeTime()
    rl = limiter(fake)
    for _ in range(10):
        await rl.acquire()
    assert fake.sleeps == []
    assert rl.ready_in() > 0


async def test_dms_are_one_per_second() -> None:
    """Ten DMs need nine seconds; channel posts in between are not held up by the DM bucket."""
    fake = FakeTime()
    rl = limiter(fake)
    for _ in range(10):
        await rl.acquire(dm=True)
        await rl.acquire()
    assert abs(fake.now - 9.0) < 1e-6


async def test_concurrent_waiters_sleep_once_each_in_order() -> None:
    """Waiters reserve slots: each sleeps once, for its own slot, without polling."""
    fake = FakeTime(advance_on_sleep=False)  # all five ask at the same instant
    rl = limiter(fake, global_rate=10.0, global_burst=1)
    await asyncio.gather(*(rl.acquire() for _ in range(5)))
    assert [round(s, 6) for s in fake.sleeps] == [0.1, 0.2, 0.3, 0.4]


async def test_pause_blocks_until_retry_after() -> None:
    """After pause(2), the next request waits two seconds and ready_in says so."""
    fake = FakeTime()
    rl = limiter(fake)
    rl.pause(2.0)
    assert abs(rl.ready_in() - 2.0) < 1e-6
    await rl.acquire()
    assert abs(fake.now - 2.0) < 1e-6


def test_bucket_refills_over_time() -> None:
    """An idle bucket earns its burst back, no more."""
    fake = FakeTime()
    bucket = TokenBucket(2.0, 2, monotonic=fake.monotonic)
    assert bucket.reserve() == 0 and bucket.reserve() == 0
    assert bucket.reserve() == 0.5
    fake.now = 100.0
    assert bucket.reserve() == 0 and bucket.reserve() == 0
    assert bucket.reserve() == 0.5


async def test_real_clock_rate_is_roughly_right() -> None:
    """On the real clock, 60 requests at 200/s with burst 10 take at least 0.25 s (generous bounds)."""
    rl = RateLimiter(global_rate=200.0, global_burst=10)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(60):
        await rl.acquire()
    elapsed = loop.time() - start
    assert elapsed >= 0.24
    assert elapsed < 5.0


async def test_a_dm_is_spaced_from_the_previous_dm_grant() -> None:
    """A DM delayed by the global queue pushes the next DM back: grants stay a full second apart."""
    fake = FakeTime()
    rl = limiter(fake, global_rate=10.0, global_burst=1)
    grants = []
    for queued_posts in (5, 0, 3, 0, 0, 7, 1):
        for _ in range(queued_posts):  # posts that reserved their global slots before this DM
            rl.global_bucket.reserve()
        await rl.acquire(dm=True)
        grants.append(fake.now)
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= 1.0 - 1e-9
    assert abs(grants[0] - 0.5) < 1e-9  # behind the five queued posts


async def test_a_dm_waits_out_a_dm_pause() -> None:
    """pause(dm=True) holds DMs back but not channel posts."""
    fake = FakeTime()
    rl = limiter(fake)
    rl.pause(5.0, dm=True)
    await rl.acquire()
    assert fake.now == 0.0
    await rl.acquire(dm=True)
    assert fake.now >= 5.0 - 1e-9


async def test_concurrent_dms_go_one_at_a_time_while_posts_pass() -> None:
    """On the real clock, queued DMs are granted ≥ 1/dm_rate apart and posts asked later do not wait for them."""
    rl = RateLimiter(global_rate=1000.0, global_burst=10, dm_rate=10.0)
    dm_grants: list[float] = []
    post_grants: list[float] = []

    async def dm() -> None:
        await rl.acquire(dm=True)
        dm_grants.append(time.monotonic())

    async def post() -> None:
        await rl.acquire()
        post_grants.append(time.monotonic())

    dms = [asyncio.create_task(dm()) for _ in range(4)]
    await asyncio.sleep(0)  # the DMs queue first
    await asyncio.gather(*(post() for _ in range(30)), *dms)
    gaps = [b - a for a, b in itertools.pairwise(dm_grants)]
    assert min(gaps) >= 0.1 - 0.002  # a timer may fire up to the clock's resolution early
    assert max(post_grants) < dm_grants[-1]  # ordering, not a wall-time bound
