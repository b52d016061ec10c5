"""PostgreSQL advisory-lock leadership: exactly one leader; the lock moves when the leader goes."""

import asyncio
from datetime import timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.domain import NONCE_WINDOW
from bot.core.delivery.leadership import AdvisoryLockLeader
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.storage.database import Database
from tests.core.delivery.conftest import DispatcherFactory, add_all, new_delivery
from tests.core.fakes import FakeSender


@pytest.fixture
def pg_url(fresh_database_url: str) -> str:
    """Skip unless the suite runs on PostgreSQL."""
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("leadership needs PostgreSQL (set TEST_DATABASE_URL)")
    return fresh_database_url


async def test_only_one_of_two_processes_leads_and_the_other_takes_over(pg_url: str) -> None:
    """Two candidates: one leads; when it closes, the other becomes leader on its next check."""
    key = 424242
    first, second = AdvisoryLockLeader(pg_url, key=key), AdvisoryLockLeader(pg_url, key=key)
    try:
        assert await first() is True
        assert await second() is False
        assert await first() is True  # stays leader while its connection lives
        await first.close()
        assert await second() is True
        assert await first() is False
    finally:
        await first.close()
        await second.close()


async def test_unreachable_database_means_not_leader() -> None:
    """A leader check against a closed port answers False instead of raising."""
    leader = AdvisoryLockLeader("postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_timeout=1)
    assert await leader() is False
    await leader.close()


async def test_two_dispatchers_one_leader_nothing_twice_and_takeover(
    pg_url: str, database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """Two workers share PostgreSQL: only the leader sends; when it goes, the other sends what is due."""
    first_leader = AdvisoryLockLeader(pg_url, key=777001)
    second_leader = AdvisoryLockLeader(pg_url, key=777001)
    first = make_dispatcher("worker-a", leader=first_leader)
    second = make_dispatcher("worker-b", leader=second_leader)
    try:
        await add_all(database, clock, *(new_delivery(f"k{i}", clock.now()) for i in range(20)))
        await asyncio.gather(first.run_due(), second.run_due(), first.run_due(), second.run_due())
        assert len(sender.channel_posts) == 20
        assert len({p.nonce for p in sender.channel_posts}) == 20
        assert sorted([first.stats.sent, second.stats.sent]) == [0, 20]  # whichever took the lock sent all
        leader, follower = (first_leader, second) if first.stats.sent else (second_leader, first)

        await leader.close()  # the leader dies: its connection (and lock) is gone
        clock.advance(timedelta(seconds=5))
        await add_all(database, clock, new_delivery("after-takeover", clock.now()))
        assert await follower.run_due() >= 1
        assert [p.nonce for p in sender.channel_posts].count(sender.channel_posts[-1].nonce) == 1
        assert len(sender.channel_posts) == 21
    finally:
        await first_leader.close()
        await second_leader.close()


async def test_a_new_leader_resends_the_dead_leaders_claims_at_once_with_their_nonce(
    pg_url: str, database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A leader dies holding a claim (lease far from over): the next leader releases and sends it now."""
    old_leader = AdvisoryLockLeader(pg_url, key=777002)
    new_leader = AdvisoryLockLeader(pg_url, key=777002)
    old = make_dispatcher("worker-old", leader=old_leader)
    new = make_dispatcher("worker-new", leader=new_leader)
    try:
        await add_all(database, clock, new_delivery("held", clock.now()))
        assert await old_leader() is True
        async with database.unit_of_work() as uow:  # the old leader claims, then dies before sending
            claimed = await uow.repo(SqlDeliveryRepository).claim_due(
                clock.now(), limit=10, lease=timedelta(minutes=2), worker_id=old.worker_id, nonce_window=NONCE_WINDOW
            )
            await uow.commit()
        assert [d.dedupe_key for d in claimed] == ["held"]
        await old_leader.close()

        clock.advance(timedelta(seconds=1))  # far inside the two-minute lease
        assert await new.run_due() == 1
        assert [p.nonce for p in sender.channel_posts] == [claimed[0].nonce]
        assert new.stats.released == 1 and new.stats.sent == 1
    finally:
        await old_leader.close()
        await new_leader.close()
