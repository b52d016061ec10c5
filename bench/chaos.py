"""The chaos run at length: 200 cycles of SIGKILLs, restarts and injected faults against the real bot process.

tests/e2e/chaos.py does the work (tests/e2e/test_chaos.py runs 20 cycles in CI). This prints the tallies
(missed, duplicates, lost reflections, stuck rows must all be 0) and the event-loop lag of the controller's
own loop, where the fake Discord runs, measured by bench.lag.LagMonitor beside the whole run.

    python -m bench chaos                 # 200 cycles (20 with --quick), results in bench/results.json
    python -m bench.chaos --cycles 50 --seed 7
    python -m bench.chaos --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test   # on a fresh PG database
"""

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench._fake import TOKEN
from bench._util import table
from tests.e2e.chaos import run_chaos
from tests.fakediscord import FakeDiscord
from tests.pg import pg_execute

CYCLES = 200
QUICK_CYCLES = 20


@contextlib.asynccontextmanager
async def fresh_database(directory: Path, postgres: str | None) -> AsyncIterator[str]:
    """Yield the URL of an empty database: a SQLite file in directory, or a new database on postgres (dropped after)."""
    if postgres is None:
        yield f"sqlite+aiosqlite:///{directory / 'chaos.db'}"
        return
    name = f"blether_chaos_{uuid.uuid4().hex[:12]}"
    await pg_execute(postgres, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(postgres).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await pg_execute(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run_async(cycles: int, seed: int, *, verbose: bool = False, postgres: str | None = None) -> dict[str, Any]:
    """Run the chaos controller for cycles against a fresh database (SQLite, or on postgres); return its tallies."""
    progress = (lambda line: print(line, file=sys.stderr, flush=True)) if verbose else None
    with tempfile.TemporaryDirectory(prefix="blether-chaos-") as directory:
        async with fresh_database(Path(directory), postgres) as url, FakeDiscord(token=TOKEN) as fake:
            report = await run_chaos(fake, url, Path(directory), cycles=cycles, seed=seed, progress=progress)
            errors = len(fake.internal_errors)
    result = report.tallies()
    result["fake_internal_errors"] = errors
    result["passed"] = report.ok and errors == 0
    return result


def run(cycles: int, seed: int | None = None, *, verbose: bool = False, postgres: str | None = None) -> dict[str, Any]:
    """Run the chaos bench synchronously (seed drawn at random when None)."""
    seed = random.SystemRandom().randrange(1_000_000) if seed is None else seed
    return asyncio.run(run_async(cycles, seed, verbose=verbose, postgres=postgres))


def describe(result: dict[str, Any]) -> str:
    """Render the tallies as a table."""
    lag = result["lag"]
    rows = [
        ["seed / cycles", f"{result['seed']} / {result['cycles']}"],
        ["bot processes / SIGKILLs", f"{result['processes']} / {result['kills']} {result['kill_points']}"],
        ["faults injected", f"{result['faults']} {result['fault_kinds']}"],
        ["deliveries", str(result["deliveries"])],
        ["expired with a notice", result["expired_with_notice"]],
        ["reflection submits / acknowledged", f"{result['submits']} / {result['submits_acknowledged']}"],
        ["Flash Reports acknowledged", result["publishes_acknowledged"]],
        ["creates deduplicated by nonce", result["nonce_retries"]],
        ["missed", result["missed"]],
        ["duplicates", result["duplicates"]],
        ["lost reflections", result["lost_reflections"]],
        ["stuck", result["stuck"]],
        ["loop lag p99 / max (controller + fake)", f"{lag['p99'] * 1000:.1f} ms / {lag['max'] * 1000:.1f} ms"],
        ["loop lag in the bots: window p99 median / worst, max", _bot_lag(result.get("bot_lag", {}))],
        ["wall time", f"{result['wall_s']:.0f} s"],
    ]
    text = table(["chaos", "tally"], rows)
    if result["problems"]:
        text += "\n" + "\n".join(f"  {p}" for p in result["problems"])
    return text


def _bot_lag(figures: dict[str, Any]) -> str:
    if not figures.get("windows"):
        return "no reports"
    return (
        f"{figures['p99_median_window'] * 1000:.1f} / {figures['p99_worst_window'] * 1000:.1f} ms, "
        f"{figures['max'] * 1000:.1f} ms ({figures['windows']} windows)"
    )


def main() -> None:
    """Run the chaos bench with --cycles/--seed and print its tallies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=CYCLES)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--postgres", metavar="URL", help="run on a fresh database on this PostgreSQL server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    result = run(args.cycles, args.seed, verbose=True, postgres=args.postgres)
    print(describe(result))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
