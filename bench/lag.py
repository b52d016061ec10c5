"""Event-loop lag monitor: a ticker that sleeps 10 ms and records how late it woke up.

Run it beside a benchmark in the same loop (``async with LagMonitor() as lag: ...``); a large overshoot
means something blocked the loop (synchronous I/O, a long CPU stretch) and every other coroutine,
including the gateway heartbeat and interaction acks, waited that long too.
"""

import asyncio
import time
from types import TracebackType
from typing import Any

from bench._util import summarise

TICK_S = 0.010
MAX_SAMPLES = 1_000_000  # a bound on memory: ~3 h of ticks


class LagMonitor:
    """Record the overshoot of a 10 ms sleep for as long as the block runs."""

    def __init__(self, tick: float = TICK_S) -> None:
        self.tick = tick
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while len(self.samples) < MAX_SAMPLES:
            before = time.perf_counter()
            await asyncio.sleep(self.tick)
            self.samples.append(max(0.0, time.perf_counter() - before - self.tick))

    async def __aenter__(self) -> "LagMonitor":
        self._task = asyncio.get_running_loop().create_task(self._run(), name="bench:lag")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def figures(self) -> dict[str, Any]:
        """Return p50/p99/max lag in seconds and the number of ticks."""
        return {**summarise(self.samples), "ticks": len(self.samples)}


async def with_lag(coro: Any) -> tuple[Any, dict[str, Any]]:
    """Await coro with a LagMonitor running beside it; return (its result, the lag figures)."""
    async with LagMonitor() as lag:
        result = await coro
    return result, lag.figures()
