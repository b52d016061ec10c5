"""Two real `python -m bot run` processes on one PostgreSQL: one leader sends, nothing twice, takeover on a kill.

Work is added straight to the delivery table (facilitator notices, due at once), as any process's
services would add it; the processes notice it at their next poll (10 s on PostgreSQL).
"""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.delivery.domain import Delivery
from bot.core.delivery.notices import FACILITATOR_NOTICE, facilitator_notice
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.programme.domain import Programme
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.storage.database import Database
from bot.core.storage.migrations import upgrade_to_head
from tests.e2e.harness import BotProcess, Bots
from tests.fakediscord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LEADER_LINE = "This process is now the delivery dispatcher leader"
TAKEOVER_SECONDS = 30.0  # the bound for a new leader to send what was due


@pytest.fixture
async def migrated_pg(fresh_database_url: str) -> AsyncIterator[Database]:
    """Skip unless on PostgreSQL; migrate (the bot refuses an old schema), and yield a Database on it."""
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("several processes need PostgreSQL (set TEST_DATABASE_URL)")
    await upgrade_to_head(fresh_database_url)
    database = Database(fresh_database_url)
    try:
        yield database
    finally:
        await database.dispose()


async def add_notices(database: Database, guild_id: int, keys: list[str]) -> None:
    """Add facilitator notices due now, one per key."""
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlDeliveryRepository)
        for key in keys:
            await repo.add(facilitator_notice(guild_id, key, f"Scale-out check {key}", now=now), now=now)
        await uow.commit()


async def wait_sent(database: Database, count: int, timeout: float) -> list[Delivery]:
    """Wait until count notices are sent; return them (AssertionError with their statuses otherwise)."""
    deadline = time.monotonic() + timeout
    while True:
        async with database.unit_of_work() as uow:
            rows = await uow.repo(SqlDeliveryRepository).list(kind=FACILITATOR_NOTICE)
        sent = [r for r in rows if str(r.status) == "sent"]
        if len(sent) >= count:
            return sent
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(sent)} of {count} sent: {[(r.dedupe_key, str(r.status)) for r in rows]}")
        await asyncio.sleep(0.2)


def leaders(processes: list[BotProcess]) -> list[BotProcess]:
    """Return the processes whose log says they became the dispatcher leader."""
    return [p for p in processes if LEADER_LINE in p.logs()]


async def test_two_processes_one_leader_nothing_twice_and_a_takeover_after_a_kill(
    fake: FakeDiscord, migrated_pg: Database, fresh_database_url: str, tmp_path: Path
) -> None:
    database = migrated_pg
    """Both processes run; only one leads and every notice is posted once; SIGKILL it and the other takes over."""
    async with database.unit_of_work() as uow:
        programme = Programme(id=0, guild_id=fake.guild_id, facilitator_channel_id=fake.channels.facilitators.id)
        await uow.repo(SqlProgrammeRepository).create(programme, now=datetime.now(UTC))
        await uow.commit()
    bots = Bots(fake, fresh_database_url, tmp_path)
    try:
        first, _ = await bots.start()
        second, _ = await bots.start()
        processes = [first, second]
        await add_notices(database, fake.guild_id, [f"before-{i}" for i in range(6)])
        await wait_sent(database, 6, timeout=20)
        assert len(leaders(processes)) == 1, [p.logs()[-2000:] for p in processes]
        leader = leaders(processes)[0]
        follower = second if leader is first else first

        leader.kill()  # SIGKILL: its connection, and with it the advisory lock, is gone
        killed_at = time.monotonic()
        await add_notices(database, fake.guild_id, [f"after-{i}" for i in range(3)])
        await wait_sent(database, 9, timeout=TAKEOVER_SECONDS)
        assert time.monotonic() - killed_at <= TAKEOVER_SECONDS
        assert LEADER_LINE in follower.logs()

        posted = [m for m in fake.channel_messages(fake.channels.facilitators) if "Scale-out check" in m.content]
        texts = sorted(m.content.split("Scale-out check ")[1].split()[0] for m in posted)
        assert texts == sorted([f"before-{i}" for i in range(6)] + [f"after-{i}" for i in range(3)])
        assert all(count == 1 for count in fake.nonce_counts.values())
    finally:
        bots.stop_all()
