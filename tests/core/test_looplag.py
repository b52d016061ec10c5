"""The event-loop lag watch: figures, a warning when the loop is blocked, DEBUG reports."""

import asyncio
import logging
import time

import pytest

from bot.core.looplag import REPORT_PREFIX, LoopLagWatch, lag_figures


def test_figures_are_nearest_rank_p99_and_max() -> None:
    """p99 of 1..100 ms is 99 ms; the maximum is the largest; no samples give zeros."""
    samples = [i / 1000 for i in range(1, 101)]
    figures = lag_figures(samples)
    assert figures.ticks == 100 and figures.p99 == pytest.approx(0.099) and figures.max == pytest.approx(0.1)
    assert lag_figures([]).ticks == 0


async def test_a_blocked_loop_is_warned_about_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    """Blocking the loop with time.sleep is seen: a WARNING naming how long, and a DEBUG window report."""
    watch = LoopLagWatch(tick=0.01, report_every=0.05, warn_over=0.1)
    with caplog.at_level(logging.DEBUG, logger="bot.core.looplag"):
        watch.start()
        await asyncio.sleep(0.05)
        time.sleep(0.3)  # noqa: ASYNC251 - the point of the test: block the loop
        await asyncio.sleep(0.1)
        await watch.stop()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith("The event loop was blocked for") for w in warnings), warnings
    reports = [r.getMessage() for r in caplog.records if r.getMessage().startswith(REPORT_PREFIX)]
    assert reports and watch.worst >= 0.25
