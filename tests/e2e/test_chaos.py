"""The chaos test (short): bots SIGKILLed at random points under injected faults miss, repeat and lose nothing.

tests/e2e/chaos.py describes the run; `python -m bench chaos` runs the long version. Set CHAOS_SEED to
replay a failing run (the seed is in the assertion message) and CHAOS_CYCLES to change its length.
"""

import logging
import os
import random
from pathlib import Path

import pytest

from tests.e2e.chaos import run_chaos
from tests.fakediscord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

log = logging.getLogger(__name__)


async def test_chaos_misses_duplicates_loses_and_strands_nothing(
    fake: FakeDiscord, fresh_database_url: str, tmp_path: Path
) -> None:
    """Twenty cycles of kills and faults: 0 missed, 0 duplicates, 0 lost reflections, 0 stuck rows."""
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1_000_000))
    cycles = int(os.environ.get("CHAOS_CYCLES") or 20)
    report = await run_chaos(fake, fresh_database_url, tmp_path, cycles=cycles, seed=seed)
    tallies = report.tallies()
    log.warning("chaos tallies: %s", tallies)
    assert report.missed == [], tallies
    assert report.duplicates == [], tallies
    assert report.lost_reflections == [], tallies
    assert report.stuck == [], tallies
    # The run must really have exercised what it claims to.
    assert sum(report.kills.values()) >= cycles, tallies
    assert sum(report.faults.values()) >= cycles, tallies
    assert report.deliveries.get("sent", 0) >= cycles, tallies
    assert report.submits_acknowledged >= 1, tallies
    assert report.bot_lag.get("windows", 0) >= 1, tallies  # the bots' own loop-lag watch reported
