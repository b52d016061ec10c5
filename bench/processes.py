"""Memory per member and time to ready: a bare discord.py bot beside Blether, each in its own process.

The fake Discord runs in this process; each bot runs in a fresh subprocess (``bench._child``) so their
heaps and import costs do not mix.

* memory: VmRSS before connecting (imports done) and after ready with the member list complete (a guild
  above 250 members is sent as large and chunked; Blether does not chunk at start-up, so the child calls
  ``guild.chunk()`` for both to compare the same cache), with 0 and with M extra members in the guild.
  KiB per member = (RSS growth with M − RSS growth with 0) / M. Target: Blether ≤ 1.5 × the baseline.
* startup: wall time from spawning the process to ready, split into imports (and building the client)
  and connect→ready (for Blether: migrations check, services, cogs, dispatcher start, gateway);
  Blether on a fresh SQLite file (migrations run) and on a file already at head. Median of R runs.
  Target: Blether (already at head) ≤ 1.5 × the baseline.
"""

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._fake import TOKEN
from bench._util import table
from tests.fakediscord import FakeDiscord

TARGET_RATIO = 1.5
REPO_ROOT = Path(__file__).resolve().parents[1]


async def _child(kind: str, fake: FakeDiscord, database_url: str = "") -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_", "DATABASE_URL"))}
    env.update(
        BENCH_TOKEN=fake.token,
        BENCH_GUILD=str(fake.guild_id),
        BENCH_API=fake.api_base_url,
        BENCH_GW=fake.gateway_url,
        BENCH_DB=database_url,
        PYTHONPATH=str(REPO_ROOT),
    )
    spawned = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench._child",
        kind,
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    for line in out.decode().splitlines():
        if line.startswith("BENCH-RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
            result["t_spawn_to_ready_s"] = result["t_ready_monotonic"] - spawned
            return result
    raise RuntimeError(f"{kind} child failed ({process.returncode}):\n{err.decode()[-3000:]}")


async def _one(kind: str, members: int, directory: Path, *, migrated: bool = True) -> dict[str, Any]:
    async with FakeDiscord(token=TOKEN) as fake:
        if members:
            fake.add_members(members)
        database = directory / f"{kind}-{members}-{time.monotonic_ns()}.db"
        url = f"sqlite+aiosqlite:///{database}"
        if kind == "blether" and migrated:
            await _child("blether", fake, url)  # first run migrates; the measured run starts at head
        async with FakeDiscord(token=TOKEN) as fresh_fake:
            if members:
                fresh_fake.add_members(members)
            return await _child(kind, fresh_fake, url)


async def memory(members: int, directory: Path) -> dict[str, Any]:
    """Return KiB per member for both bots and their ratio."""
    result: dict[str, Any] = {"members": members}
    for kind in ("bare", "blether"):
        empty = await _one(kind, 0, directory)
        full = await _one(kind, members, directory)
        growth_empty = empty["rss_after_kib"] - empty["rss_before_kib"]
        growth_full = full["rss_after_kib"] - full["rss_before_kib"]
        result[kind] = {
            "rss_before_kib": full["rss_before_kib"],
            "rss_after_kib": full["rss_after_kib"],
            "rss_growth_kib": growth_full,
            "members_cached": full["members_cached"],
            "members_at_ready": full["members_at_ready"],
            "chunked_at_ready": full["chunked_at_ready"],
            "kib_per_member": (growth_full - growth_empty) / members,
        }
    result["ratio_per_member"] = result["blether"]["kib_per_member"] / result["bare"]["kib_per_member"]
    result["ratio_total_rss"] = result["blether"]["rss_after_kib"] / result["bare"]["rss_after_kib"]
    result["target_ratio"] = TARGET_RATIO
    result["passed"] = result["ratio_per_member"] <= TARGET_RATIO
    return {"name": "memory", **result}


async def startup(repeats: int, directory: Path) -> dict[str, Any]:
    """Return median times to ready for the baseline and Blether (fresh file and at head)."""
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "blether_fresh_db": [], "blether_at_head": []}
    for _ in range(repeats):
        runs["bare"].append(await _one("bare", 0, directory))
        runs["blether_fresh_db"].append(await _one("blether", 0, directory, migrated=False))
        runs["blether_at_head"].append(await _one("blether", 0, directory, migrated=True))
    result: dict[str, Any] = {"repeats": repeats}
    for key, values in runs.items():
        result[key] = {
            field: statistics.median(v[field] for v in values)
            for field in ("t_spawn_to_ready_s", "t_main_to_ready_s", "t_imports_s")
        }
    bare = result["bare"]["t_spawn_to_ready_s"]
    result["ratio_at_head"] = result["blether_at_head"]["t_spawn_to_ready_s"] / bare
    result["ratio_fresh_db"] = result["blether_fresh_db"]["t_spawn_to_ready_s"] / bare
    result["target_ratio"] = TARGET_RATIO
    result["passed"] = result["ratio_at_head"] <= TARGET_RATIO
    return {"name": "startup", **result}


def run_memory(members: int = 1000) -> dict[str, Any]:
    """Measure memory per member (KiB) for both bots."""
    with tempfile.TemporaryDirectory(prefix="blether-mem-") as tmp:
        return asyncio.run(memory(members, Path(tmp)))


def run_startup(repeats: int = 3) -> dict[str, Any]:
    """Measure time to ready for both bots."""
    with tempfile.TemporaryDirectory(prefix="blether-start-") as tmp:
        return asyncio.run(startup(repeats, Path(tmp)))


def report_memory(r: dict[str, Any]) -> str:
    """Render the memory result."""
    rows = [
        [
            k,
            r[k]["rss_before_kib"],
            r[k]["rss_after_kib"],
            r[k]["members_at_ready"],
            r[k]["members_cached"],
            f"{r[k]['kib_per_member']:.2f}",
        ]
        for k in ("bare", "blether")
    ]
    return (
        table(["", "RSS before KiB", "RSS after KiB", "members at ready", "after chunk", "KiB/member"], rows)
        + f"\nratio per member {r['ratio_per_member']:.2f} (target ≤ {TARGET_RATIO}):"
        f" {'met' if r['passed'] else 'MISSED'}"
    )


def report_startup(r: dict[str, Any]) -> str:
    """Render the start-up result."""
    rows = [
        [k, f"{r[k]['t_spawn_to_ready_s']:.2f}", f"{r[k]['t_imports_s']:.2f}", f"{r[k]['t_main_to_ready_s']:.2f}"]
        for k in ("bare", "blether_fresh_db", "blether_at_head")
    ]
    return (
        table(["", "spawn→ready s", "imports s", "connect→ready s"], rows)
        + f"\nratio at head {r['ratio_at_head']:.2f}, fresh DB {r['ratio_fresh_db']:.2f} (target ≤ {TARGET_RATIO}):"
        f" {'met' if r['passed'] else 'MISSED'}"
    )


def main() -> None:
    """Run from the command line and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(report_memory(run_memory(args.members)))
    print(report_startup(run_startup(args.repeats)))


if __name__ == "__main__":
    main()
