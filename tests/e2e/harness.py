"""Start the real bot against the fake Discord: as a `blether run` subprocess or in-process."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import Services, build_services
from bot.client import BletherBot
from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery.limiter import RateLimiter
from bot.core.storage.database import Database
from bot.core.storage.migrations import upgrade_to_head
from bot.discord_ports import (
    DiscordChannelDirectory,
    DiscordEventMirror,
    DiscordRoleMembers,
    DiscordSender,
    DiscordThreads,
)
from bot.endpoints import apply_endpoints

REPO_ROOT = Path(__file__).resolve().parents[2]


def bot_env(fake: Any, database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment a bot process needs to talk to the fake."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "BLETHER_", "DATABASE_URL", "LOG_LEVEL"))
    }
    env.update(
        {
            "DISCORD_TOKEN": fake.token,
            "DATABASE_URL": database_url,
            "DISCORD_GUILD_ID": str(fake.guild_id),
            "DISCORD_API_BASE_URL": fake.api_base_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "LOG_LEVEL": "DEBUG",
            "BLETHER_EXPORT_KEY": "test-export-key-0123456789abcdef0123456789",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """A `blether run` subprocess whose logs are kept in a file."""

    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    _log_file: Any = field(default=None, repr=False)

    def start(self) -> None:
        """Start the process (python -m bot run, the same entry point as the console script)."""
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *self.args],
            cwd=self.log_path.parent,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL the process (a crash, no clean-up)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def terminate(self, timeout: float = 10) -> int | None:
        """Ask the process to stop, then kill it if it does not."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.process.returncode

    def logs(self) -> str:
        """Return everything the process wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_for_log(self, text: str, timeout: float = 20) -> None:
        """Wait until text appears in the log, failing early if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.logs():
                return
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"bot exited with {self.process.returncode} before {text!r}:\n{self.logs()[-4000:]}"
                )
            await asyncio.sleep(0.05)
        raise AssertionError(f"{text!r} not logged within {timeout}s:\n{self.logs()[-4000:]}")


@dataclass
class RunningBot:
    """An in-process bot and its services (faster than a subprocess; same code path after start-up)."""

    bot: BletherBot
    services: Services
    database: Database
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def running_bot(
    fake: Any,
    database_url: str,
    *,
    clock: Clock | None = None,
    configure: Callable[[Settings], Settings] | None = None,
) -> AsyncIterator[RunningBot]:
    """Run BletherBot in this event loop against the fake until the block ends."""
    settings = Settings.from_env(bot_env(fake, database_url))
    if configure is not None:
        settings = configure(settings)
    apply_endpoints(settings.api_base_url, settings.gateway_url)
    await upgrade_to_head(database_url)
    database = Database(database_url)
    holder: dict[str, Services] = {}

    limiter = RateLimiter()  # shared by the sender and the dispatcher

    def factory(client: BletherBot) -> Services:
        services = build_services(
            settings,
            database,
            sender=DiscordSender(client, limiter),
            limiter=limiter,
            mirror=DiscordEventMirror(client),
            channels=DiscordChannelDirectory(client),
            clock=clock,
            threads=DiscordThreads(client, limiter),
            roles=DiscordRoleMembers(client),
        )
        holder["services"] = services
        return services

    bot = BletherBot(settings=settings, database=database, services_factory=factory)
    task = asyncio.create_task(bot.start(settings.discord_token))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), timeout=15)
        yield RunningBot(bot=bot, services=holder["services"], database=database, task=task)
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=10)
        await database.dispose()


CLOCK_SHIM = '''"""Test-only (tests/e2e/harness.py Bots): move Blether's SystemClock by BLETHER_TEST_CLOCK_OFFSET."""
import os
from datetime import timedelta

_offset = float(os.environ.get("BLETHER_TEST_CLOCK_OFFSET") or 0)
if _offset:
    from bot.core import clock as _clock

    _system_now = _clock.SystemClock.now
    _clock.SystemClock.now = lambda self: _system_now(self) + timedelta(seconds=_offset)
'''


class Bots:
    """Start `python -m bot run` processes one after another against one fake Discord and one database."""

    def __init__(self, fake: Any, database_url: str, directory: Path) -> None:
        self.fake = fake
        self.database_url = database_url
        self.directory = directory
        self.started: list[BotProcess] = []
        shim = directory / "clock-shim"
        shim.mkdir()
        (shim / "sitecustomize.py").write_text(CLOCK_SHIM)
        self._pythonpath = f"{shim}:{REPO_ROOT}"

    async def start(
        self, *, shifted_to: datetime | None = None, offset: float | None = None, wait: bool = True
    ) -> tuple[BotProcess, float]:
        """Start a bot whose clock shows `shifted_to` now (or runs `offset` seconds ahead); wait until connected."""
        if offset is None:
            offset = (shifted_to - datetime.now(UTC)).total_seconds() if shifted_to else 0.0
        env = bot_env(self.fake, self.database_url) | {
            "PYTHONPATH": self._pythonpath,
            "BLETHER_TEST_CLOCK_OFFSET": f"{offset:.3f}",
        }
        process = BotProcess(env=env, log_path=self.directory / f"bot-{len(self.started) + 1}.log")
        self.started.append(process)
        process.start()
        if wait:
            await process.wait_for_log("Connected as", timeout=30)
        return process, offset

    def stop_all(self) -> None:
        """Kill whatever is still running (end of test)."""
        for process in self.started:
            process.kill()
            process.terminate()
