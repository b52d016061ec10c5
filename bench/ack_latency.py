"""How quickly is a slash command acknowledged: a bare discord.py bot beside Blether, in one run.

Both run in this process against the loopback fake Discord (one fresh fake each, one after the other):
the baseline is a bare ``discord.Client`` whose one guild command replies "ok"; Blether is the real bot
(``tests.e2e.harness.running_bot``: migrations, services, cogs, dispatcher) answering ``/about``. Each
gets warm-up interactions, then N sequential ones; latency is the fake's own clock from dispatching
INTERACTION_CREATE to receiving the interaction callback (gateway frame, discord.py parsing, the
command, the REST callback). The two alternate over ROUNDS rounds (fresh fake and bot each round) so a
burst of noise from other work on the machine hits both; p50 is over every sample, p99 is the median of
the rounds' p99s (at 200 samples a p99 is the second-worst one, so one stall would decide it).
Target: Blether p50 and p99 ≤ 1.5 × the baseline's.
"""

import argparse
import asyncio
import logging
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench._fake import TOKEN, running_bare
from bench._util import summarise, table
from tests.e2e.harness import running_bot
from tests.fakediscord import FakeDiscord

TARGET_RATIO = 1.5
WARMUP = 20
ROUNDS = 3


async def _measure(fake: FakeDiscord, command: str, count: int) -> list[float]:
    """Send count sequential slash commands; return each dispatch-to-callback latency (s)."""
    latencies: list[float] = []
    for i in range(WARMUP + count):
        ix = await fake.slash(command, user=fake.users.pat)
        callback = await ix.response(timeout=10)
        if i >= WARMUP:
            latencies.append(callback.at - ix.record.created)
    return latencies


async def _bare(count: int) -> list[float]:
    async with FakeDiscord(token=TOKEN) as fake, running_bare(fake):
        await fake.wait_commands_synced(timeout=10)
        return await _measure(fake, "ok", count)


async def _blether(count: int, directory: Path, name: str = "ack.db") -> list[float]:
    async with FakeDiscord(token=TOKEN) as fake, running_bot(fake, f"sqlite+aiosqlite:///{directory / name}"):
        await fake.wait_commands_synced(timeout=10)
        return await _measure(fake, "about", count)


def _pooled(rounds: list[list[float]]) -> dict[str, Any]:
    figures = summarise([x for r in rounds for x in r])
    round_p99 = [summarise(r)["p99"] for r in rounds]
    return {**figures, "p99_pooled": figures["p99"], "p99": statistics.median(round_p99), "round_p99": round_p99}


async def _run(count: int, rounds: int = ROUNDS) -> dict[str, Any]:
    bare_rounds: list[list[float]] = []
    blether_rounds: list[list[float]] = []
    with tempfile.TemporaryDirectory(prefix="blether-ack-") as tmp:
        for i in range(rounds):
            bare_rounds.append(await _bare(count))
            blether_rounds.append(await _blether(count, Path(tmp), f"ack-{i}.db"))
    bare, blether = _pooled(bare_rounds), _pooled(blether_rounds)
    ratio_p50 = blether["p50"] / bare["p50"]
    ratio_p99 = blether["p99"] / bare["p99"]
    return {
        "name": "ack_latency",
        "count": count,
        "rounds": rounds,
        "baseline": bare,
        "blether": blether,
        "ratio_p50": ratio_p50,
        "ratio_p99": ratio_p99,
        "target_ratio": TARGET_RATIO,
        "passed": ratio_p50 <= TARGET_RATIO and ratio_p99 <= TARGET_RATIO,
    }


async def run_async(count: int = 200, rounds: int = ROUNDS) -> dict[str, Any]:
    """Measure both bots in the running loop and return the figures (seconds) and ratios."""
    return await _run(count, rounds)


def run(count: int = 200, rounds: int = ROUNDS) -> dict[str, Any]:
    """Measure both bots and return the figures (seconds) and ratios."""
    return asyncio.run(_run(count, rounds))


def report(result: dict[str, Any]) -> str:
    """Render the result as a small table."""
    rows = [
        [
            name,
            f"{result[key]['p50'] * 1000:.2f}",
            f"{result[key]['p99'] * 1000:.2f}",
            f"{result[key]['max'] * 1000:.2f}",
        ]
        for name, key in (("bare discord.py /ok", "baseline"), ("Blether /about", "blether"))
    ]
    verdict = "met" if result["passed"] else "MISSED"
    return (
        f"{table(['', 'p50 ms', 'p99 ms', 'max ms'], rows)}\n"
        f"ratio p50 {result['ratio_p50']:.2f}, p99 {result['ratio_p99']:.2f} (target ≤ {TARGET_RATIO}): {verdict}"
    )


def main() -> None:
    """Run from the command line and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(report(run(args.count)))


if __name__ == "__main__":
    main()
