"""PostgreSQL advisory-lock leadership: exactly one leader; the lock moves when the leader goes."""

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from bot.core.clock import ManualClock
from bot.core.delivery.domain import NONCE_WINDOW
from bot.core.delivery.leadership import (
    AdvisoryLockLeader,
    LeaderConnectionError,
    asyncpg_connect_kwargs,
    connect_options_problem,
)
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


SOCKET_DIR = os.environ.get("TEST_PG_SOCKET_DIR", "/var/run/postgresql")


def test_every_url_option_reaches_the_leader_connection() -> None:
    """The query string of DATABASE_URL reaches asyncpg as SQLAlchemy reads it: socket, ssl, several hosts."""
    url = "postgresql+asyncpg://blether:pw@/blether?host=/var/run/postgresql&ssl=verify-full&command_timeout=30"
    assert asyncpg_connect_kwargs(url) == {
        "user": "blether",
        "password": "pw",
        "database": "blether",
        "host": "/var/run/postgresql",
        "ssl": "verify-full",
        "command_timeout": "30",
    }
    several = asyncpg_connect_kwargs(
        "postgresql+asyncpg://u@/db?host=db1:5432&host=db2:5433&target_session_attrs=primary"
    )
    assert (several["host"], several["port"], several["target_session_attrs"]) == (
        ["db1", "db2"],
        [5432, 5433],
        "primary",
    )
    assert "prepared_statement_cache_size" not in asyncpg_connect_kwargs(
        "postgresql+asyncpg://u@h/db?prepared_statement_cache_size=0"
    )


def test_options_asyncpg_does_not_know_are_named() -> None:
    """An unknown option (or libpq's sslmode) is named, with asyncpg's own name when there is one."""
    assert connect_options_problem("postgresql+asyncpg://u@h/db?ssl=verify-full&host=/run/pg") is None
    problem = connect_options_problem("postgresql+asyncpg://u@h/db?sslmode=verify-full&colour=blue")
    assert problem is not None and "colour" in problem and "sslmode (asyncpg's name is ssl)" in problem


def _socket_url(pg_url: str) -> str:
    """Return pg_url with no host of its own and ?host=<the server's Unix socket directory>, or skip."""
    parsed = make_url(pg_url)
    port = parsed.port or 5432
    if not (Path(SOCKET_DIR) / f".s.PGSQL.{port}").exists():
        pytest.skip(f"no PostgreSQL Unix socket in {SOCKET_DIR} (set TEST_PG_SOCKET_DIR)")
    socket = URL.create(
        parsed.drivername,
        username=parsed.username,
        password=parsed.password,
        port=port,
        database=parsed.database,
        query={"host": SOCKET_DIR},
    )
    return socket.render_as_string(hide_password=False)


async def test_the_leader_connects_through_the_unix_socket_named_in_the_url(pg_url: str, database: Database) -> None:
    """DATABASE_URL ?host=/var/run/postgresql: the leader's connection comes through the socket, not 127.0.0.1."""
    leader = AdvisoryLockLeader(_socket_url(pg_url), key=777003)
    try:
        assert await leader() is True
        async with database.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT client_addr, client_port FROM pg_stat_activity "
                        "WHERE application_name = 'blether-dispatcher-leader' AND datname = current_database()"
                    )
                )
            ).all()
        assert [(row.client_addr, row.client_port) for row in rows] == [(None, -1)]  # -1: a Unix-socket client
        await leader.probe()
    finally:
        await leader.close()


async def test_the_leader_honours_ssl_verify_full_instead_of_falling_back(pg_url: str) -> None:
    """?ssl=verify-full without the server's CA at hand: the leader does not connect (no silent plain fallback)."""
    url = make_url(pg_url).update_query_dict({"ssl": "verify-full"}).render_as_string(hide_password=False)
    home = Path.home() / ".postgresql" / "root.crt"
    if home.exists():
        pytest.skip(f"{home} exists: verify-full might succeed here")
    leader = AdvisoryLockLeader(url, key=777004, connect_timeout=5)
    try:
        assert await leader() is False
        with pytest.raises(LeaderConnectionError, match=r"root certificate|SSL|ssl"):
            await leader.probe()
    finally:
        await leader.close()
