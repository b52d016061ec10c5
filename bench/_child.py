"""One bot in its own process, for the memory and start-up benchmarks (run by bench.processes).

``python -m bench._child bare|blether`` with BENCH_* variables naming the fake Discord; prints one JSON
line: VmRSS before connecting and after ready (and after the member list is complete), the seconds from
this script's first line to ready, and how many members the client caches.
"""

import time

T_IMPORT = time.monotonic()

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402


def rss_kib() -> int:
    """Return this process's resident set size (VmRSS) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


async def _settle(client: Any, guild_id: int) -> dict[str, Any]:
    guild = client.get_guild(guild_id)
    at_ready = len(guild.members) if guild else 0
    chunked_at_ready = bool(guild and guild.chunked)
    if guild is not None and not guild.chunked:
        await guild.chunk()
    gc.collect()
    return {
        "members_at_ready": at_ready,
        "chunked_at_ready": chunked_at_ready,
        "members_cached": len(guild.members) if guild else 0,
        "rss_after_kib": rss_kib(),
    }


async def bare(env: dict[str, str]) -> dict[str, Any]:
    """Start a bare discord.py client with the members intent; measure."""
    import discord

    from bench._fake import running_bare

    fake = SimpleNamespace(
        token=env["BENCH_TOKEN"],
        guild_id=int(env["BENCH_GUILD"]),
        api_base_url=env["BENCH_API"],
        gateway_url=env["BENCH_GW"],
    )

    @contextlib.contextmanager
    def patch() -> Any:
        from bot.endpoints import apply_endpoints

        apply_endpoints(fake.api_base_url, fake.gateway_url)
        yield

    fake.patch_discord_py = patch
    intents = discord.Intents.default()
    intents.members = True
    gc.collect()
    before = rss_kib()
    t0 = time.monotonic()
    async with running_bare(fake, intents=intents) as client:
        ready = time.monotonic()
        settled = await _settle(client, fake.guild_id)
    return {
        "rss_before_kib": before,
        "t_imports_s": t0 - T_IMPORT,
        "t_main_to_ready_s": ready - t0,
        "t_ready_monotonic": ready,
        **settled,
    }


async def blether(env: dict[str, str]) -> dict[str, Any]:
    """Start the real bot (running_bot: migrations, services, cogs, dispatcher); measure."""
    import bot.app  # noqa: F401  (import cost belongs to "before", as for discord in bare)
    from tests.e2e.harness import running_bot

    fake = SimpleNamespace(
        token=env["BENCH_TOKEN"],
        guild_id=int(env["BENCH_GUILD"]),
        api_base_url=env["BENCH_API"],
        gateway_url=env["BENCH_GW"],
    )
    gc.collect()
    before = rss_kib()
    t0 = time.monotonic()
    async with running_bot(fake, env["BENCH_DB"]) as running:
        ready = time.monotonic()
        settled = await _settle(running.bot, fake.guild_id)
    return {
        "rss_before_kib": before,
        "t_imports_s": t0 - T_IMPORT,
        "t_main_to_ready_s": ready - t0,
        "t_ready_monotonic": ready,
        **settled,
    }


def main() -> None:
    """Run one bot and print its figures as a JSON line."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    kind = sys.argv[1]
    result = asyncio.run(bare(dict(os.environ)) if kind == "bare" else blether(dict(os.environ)))
    print("BENCH-RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
