"""Token-bucket rate limiting shared by the platform adapters and the dispatcher.

Discord allows 50 requests a second per bot; Blether keeps to 40 so interactions still have room,
and sends DMs at most once a second (bursts of DMs are what gets bots flagged).
Adapters call ``acquire()`` before each request (``acquire(dm=True)`` right before the request that
sends a DM, so the pace is the one the platform sees) and ``pause()`` when the platform answers with a
global rate limit; the dispatcher asks ``ready_in()`` before claiming rows so it does not take leases on
work that would only queue behind the limiter, and runs DM deliveries in a lane of their own.

Each bucket is a reservation ("virtual scheduling") token bucket: a caller reserves the next free slot
and sleeps once until it; nothing polls, and waiters are served in arrival order.

A DM is spaced from the previous DM's *grant*, not from its reservation: DMs queue one at a time, each
waits until the DM bucket is free, then for a global slot, and only then takes its DM slot. So two DMs
never go out less than 1 / dm_rate apart even when the global queue delays one of them, and a waiting
DM holds no global slot that channel posts could have used.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

GLOBAL_RATE = 40.0
DM_RATE = 1.0
_EPSILON = 1e-6  # float noise; nobody sleeps for a microsecond


class TokenBucket:
    """Hand out slots at rate per second with bursts of up to burst slots."""

    def __init__(self, rate: float, burst: int, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._monotonic = monotonic
        self._next_free = monotonic()  # the "theoretical arrival time" of GCRA

    def reserve(self) -> float:
        """Take the next slot and return how many seconds to wait for it (0 when a token is free now)."""
        now = self._monotonic()
        start = max(self._next_free, now)
        self._next_free = start + self._interval
        wait = start - self._tolerance - now
        return wait if wait > _EPSILON else 0.0

    def ready_in(self) -> float:
        """Return how long until a slot is free, without taking it."""
        now = self._monotonic()
        wait = max(self._next_free, now) - self._tolerance - now
        return wait if wait > _EPSILON else 0.0

    def block_for(self, seconds: float) -> None:
        """Give out no slot for the next seconds (e.g. the platform said "retry after")."""
        now = self._monotonic()
        self._next_free = max(self._next_free, now + seconds + self._tolerance)


class RateLimiter:
    """A global bucket (≤ 40 requests/s) and a DM bucket (≤ 1/s); a DM takes a slot from both, in that order."""

    def __init__(
        self,
        *,
        global_rate: float = GLOBAL_RATE,
        global_burst: int | None = None,
        dm_rate: float = DM_RATE,
        dm_burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        # A small burst: with burst = rate, the first second could let 2 x rate requests through
        # (a full bucket plus its refill), over Discord's 50/s global limit.
        burst = global_burst if global_burst is not None else max(1, min(10, int(global_rate)))
        self.global_bucket = TokenBucket(global_rate, burst, monotonic=monotonic)
        self.dm_bucket = TokenBucket(dm_rate, dm_burst, monotonic=monotonic)
        self._sleep = sleep
        self._dm_lock = asyncio.Lock()
        self.waited_seconds = 0.0
        self.acquired = 0

    async def acquire(self, *, dm: bool = False) -> None:
        """Wait for permission to make one request (a DM also waits for the DM pace, see the module doc)."""
        if not dm:
            await self._wait(self.global_bucket.reserve())
            self.acquired += 1
            return
        async with self._dm_lock:  # one DM at a time: the next one is spaced from this one's grant
            while True:
                await self._wait(self.dm_bucket.ready_in())
                await self._wait(self.global_bucket.reserve())
                if self.dm_bucket.ready_in() == 0.0:  # not paused while we waited for the global slot
                    break
            self.dm_bucket.reserve()
        self.acquired += 1

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited_seconds += seconds
            await self._sleep(seconds)

    def ready_in(self, *, dm: bool = False) -> float:
        """Return how many seconds until a request (a DM with dm=True) could go out."""
        wait = self.global_bucket.ready_in()
        return max(wait, self.dm_bucket.ready_in()) if dm else wait

    def pause(self, seconds: float, *, dm: bool = False) -> None:
        """Stop handing out slots for seconds (the platform answered 429 with retry_after)."""
        log.warning("Rate limited by the platform; pausing %s requests for %.2f s", "DM" if dm else "all", seconds)
        (self.dm_bucket if dm else self.global_bucket).block_for(seconds)
