"""PostgreSQL advisory-lock leadership: exactly one leader; the lock moves when the leader goes."""

import pytest

from bot.core.delivery.leadership import AdvisoryLockLeader


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
