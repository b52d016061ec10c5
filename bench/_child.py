"""One bot in its own process, for the memory and start-up benchmarks (run by bench.processes).

``python -m bench._child bare|libs|blether [--trace]``, with the DISCORD_* and DATABASE_URL variables naming
the fake Discord and the database, prints one JSON line ``BENCH-RESULT {...}``.

* bare: a discord.py client with the members intent and the same member-cache choices as Blether
  (``chunk_guilds_at_startup=False``), one guild slash command.
* libs: the bare client after importing the libraries Blether runs on (LIBRARIES: SQLAlchemy's ORM and
  asyncio extension, the SQLite dialect and driver, APScheduler, python-dotenv) and opening one SQLite
  connection through them: the floor for any bot built on them, with no Blether code.
* blether: ``blether run`` itself (``bot.cli.main(["run"])``, the code ``python -m bot run`` runs: settings,
  logging, the migration check, services, cogs, dispatcher, command sync), with two hooks on BletherBot:
  ``__init__`` marks "before connecting" and ``on_ready`` marks ready, runs Blether's own on_ready, then
  measures and closes the bot, so ``blether run`` returns as after a normal shutdown.

Measured in each: the CPU time the process used until ready (all threads; unlike wall time, it hardly
moves when other work shares the machine); VmRSS before connecting (imports done, client about to be
built; no garbage collection there, as it would add to the time to ready) and at ready (after a full
collection); then ``guild.chunk()`` (the member list) and VmRSS again. With ``--trace``, tracemalloc runs
only around the chunk: the bytes Python still holds afterwards are the member cache, exact and free of
allocator page noise (tracemalloc's own bookkeeping would inflate RSS, hence a separate run).
"""

import time

T_IMPORT = time.monotonic()

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

TRACE = "--trace" in sys.argv
LIBRARIES = (
    "dotenv",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "aiosqlite",
    "apscheduler.schedulers.asyncio",
    "apscheduler.triggers.date",
    "apscheduler.triggers.cron",
)


def rss_kib() -> int:
    """Return this process's resident set size (VmRSS) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def emit(result: dict[str, Any]) -> None:
    """Print the result line the parent reads."""
    print("BENCH-RESULT " + json.dumps(result), flush=True)


async def settle(client: Any, guild_id: int) -> dict[str, Any]:
    """Measure RSS at ready, then complete the member list and measure again (traced with --trace)."""
    guild = client.get_guild(guild_id)
    at_ready = len(guild.members) if guild else 0
    chunked_at_ready = bool(guild and guild.chunked)
    gc.collect()
    rss_at_ready = rss_kib()
    traced: dict[str, Any] = {}
    if TRACE:
        tracemalloc.start(1)
        start_bytes = tracemalloc.get_traced_memory()[0]
    if guild is not None and not guild.chunked:
        await guild.chunk()
    gc.collect()
    if TRACE:
        snapshot = tracemalloc.take_snapshot()
        traced["traced_growth_bytes"] = tracemalloc.get_traced_memory()[0] - start_bytes
        tracemalloc.stop()
        top = snapshot.statistics("filename")[:6]
        traced["traced_top"] = [[s.traceback[0].filename.rsplit("site-packages/", 1)[-1], s.size] for s in top]
    return {
        "members_at_ready": at_ready,
        "chunked_at_ready": chunked_at_ready,
        "members_cached": len(guild.members) if guild else 0,
        "rss_at_ready_kib": rss_at_ready,
        "rss_after_kib": rss_kib(),
        **traced,
    }


async def _open_libraries(database_url: str) -> Any:
    """Import LIBRARIES and open (and keep) one pooled SQLite connection, as Blether's migration check does."""
    import importlib

    for name in LIBRARIES:
        importlib.import_module(name)
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return engine


async def bare(with_libraries: bool = False) -> dict[str, Any]:
    """Start a bare discord.py client with the members intent (after LIBRARIES if asked); measure."""
    engine = await _open_libraries(os.environ["DATABASE_URL"]) if with_libraries else None
    import discord

    from bench._fake import running_bare

    fake = SimpleNamespace(
        token=os.environ["DISCORD_TOKEN"],
        guild_id=int(os.environ["DISCORD_GUILD_ID"]),
        api_base_url=os.environ["DISCORD_API_BASE_URL"],
        gateway_url=os.environ["DISCORD_GATEWAY_URL"],
    )

    @contextlib.contextmanager
    def patch() -> Any:
        from bot.endpoints import apply_endpoints

        apply_endpoints(fake.api_base_url, fake.gateway_url)
        yield

    fake.patch_discord_py = patch
    intents = discord.Intents.default()
    intents.members = True
    before = rss_kib()
    t0 = time.monotonic()
    async with running_bare(fake, intents=intents, chunk_guilds_at_startup=False) as client:
        ready = time.monotonic()
        cpu = time.process_time()
        settled = await settle(client, fake.guild_id)
    if engine is not None:
        await engine.dispose()
    return {
        "rss_before_kib": before,
        "t_imports_s": t0 - T_IMPORT,
        "t_main_to_ready_s": ready - t0,
        "t_ready_monotonic": ready,
        "cpu_to_ready_s": cpu,
        **settled,
    }


def blether() -> dict[str, Any]:
    """Run ``blether run`` with the two measuring hooks; return the figures once it has shut down."""
    from bot import cli
    from bot.client import BletherBot

    marks: dict[str, Any] = {}
    guild_id = int(os.environ["DISCORD_GUILD_ID"])
    original_init = BletherBot.__init__
    original_on_ready = BletherBot.on_ready

    def init(self: BletherBot, **kwargs: Any) -> None:
        marks["rss_before_kib"] = rss_kib()
        marks["t0"] = time.monotonic()
        original_init(self, **kwargs)

    async def on_ready(self: BletherBot) -> None:
        marks["t_ready_monotonic"] = time.monotonic()
        marks["cpu_to_ready_s"] = time.process_time()
        await original_on_ready(self)  # Blether's own work at ready (prepare_guild) belongs to "at ready"
        marks.update(await settle(self, guild_id))
        asyncio.get_running_loop().create_task(self.close())

    BletherBot.__init__ = init  # type: ignore[method-assign]
    BletherBot.on_ready = on_ready  # type: ignore[method-assign]
    code = cli.main(["--env-file", os.devnull, "run"])
    if code != 0 or "rss_at_ready_kib" not in marks:
        raise SystemExit(f"blether run exited with {code} before ready")
    return {
        "rss_before_kib": marks["rss_before_kib"],
        "t_imports_s": marks["t0"] - T_IMPORT,
        "t_main_to_ready_s": marks["t_ready_monotonic"] - marks["t0"],
        **{k: v for k, v in marks.items() if k not in ("t0", "rss_before_kib")},
    }


def main() -> None:
    """Run one bot and print its figures as a JSON line."""
    import logging

    kind = sys.argv[1]
    if kind in ("bare", "libs"):
        logging.basicConfig(level=logging.ERROR)
        emit(asyncio.run(bare(with_libraries=kind == "libs")))
    else:
        emit(blether())


if __name__ == "__main__":
    main()
