"""Watch the event loop: a ticker that notices when something blocked it (synchronous I/O, long CPU work).

Every coroutine waits while the loop is blocked: gateway heartbeats, interaction acks (3 s deadline),
due deliveries. The watch sleeps ``tick`` seconds in a loop and records how late it woke up. A single
overshoot above ``warn_over`` is logged as a WARNING at once; every ``report_every`` seconds the
window's p99 and maximum are logged at DEBUG (the chaos run reads these lines from the bot's log).
"""

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

REPORT_PREFIX = "Event-loop lag"


@dataclass(frozen=True, slots=True)
class LagFigures:
    """Overshoot of the ticker over a window, in seconds."""

    ticks: int
    p99: float
    max: float


def lag_figures(samples: list[float]) -> LagFigures:
    """Return the count, p99 (nearest rank) and maximum of overshoot samples."""
    if not samples:
        return LagFigures(0, 0.0, 0.0)
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.99 * len(ordered)))
    return LagFigures(len(ordered), ordered[rank - 1], ordered[-1])


class LoopLagWatch:
    """Tick on the running loop; warn about blocks and report the window's lag now and then."""

    def __init__(self, *, tick: float = 0.05, report_every: float = 2.0, warn_over: float = 0.25) -> None:
        self._tick = tick
        self._report_every = report_every
        self._warn_over = warn_over
        self._window: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self.worst = 0.0

    def start(self) -> None:
        """Start ticking on the running loop (once)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="blether:loop-lag")

    async def stop(self) -> None:
        """Stop ticking and report the last window."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._report()

    async def _run(self) -> None:
        reported = time.monotonic()
        while True:
            before = time.monotonic()
            await asyncio.sleep(self._tick)
            now = time.monotonic()
            late = max(0.0, now - before - self._tick)
            self._window.append(late)
            self.worst = max(self.worst, late)
            if late > self._warn_over:
                log.warning("The event loop was blocked for %.0f ms", late * 1000)
            if now - reported >= self._report_every:
                self._report()
                reported = now

    def _report(self) -> None:
        figures = lag_figures(self._window)
        self._window = []
        if figures.ticks:
            log.debug(
                "%s: p99 %.1f ms, max %.1f ms over %d ticks",
                REPORT_PREFIX,
                figures.p99 * 1000,
                figures.max * 1000,
                figures.ticks,
            )
