"""UTCDateTime round-trips aware UTC on SQLite and PostgreSQL and refuses naive values."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import StatementError

from bot.core.storage.database import Database
from bot.core.storage.state import SqlAuditRepository, SqlStateRepository


async def test_aware_datetimes_come_back_as_the_same_instant_in_utc(database: Database) -> None:
    """A London summer time and a +05:30 time are read back as equal UTC instants."""
    london = datetime(2026, 7, 1, 18, 30, tzinfo=ZoneInfo("Europe/London"))
    india = datetime(2026, 7, 1, 23, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    async with database.unit_of_work() as uow:
        audit = uow.repo(SqlAuditRepository)
        await audit.record(action="a", now=london)
        await audit.record(action="b", now=india)
        await uow.commit()
    async with database.unit_of_work() as uow:
        events = await uow.repo(SqlAuditRepository).list()
    assert [e.created_at for e in events] == [london, india]
    assert all(e.created_at.tzinfo is UTC for e in events)
    assert events[0].created_at.hour == 17  # 18:30 BST is 17:30 UTC


async def test_naive_datetimes_are_refused(database: Database) -> None:
    """Storing a naive datetime fails loudly instead of guessing its zone."""
    async with database.unit_of_work() as uow:
        with pytest.raises((ValueError, StatementError)):
            await uow.repo(SqlStateRepository).set("k", "v", now=datetime(2026, 1, 1, 12, 0))


async def test_unit_of_work_rolls_back_without_commit(database: Database) -> None:
    """Leaving a unit of work without commit keeps nothing."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        await uow.repo(SqlStateRepository).set("draft", "x", now=now)
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlStateRepository).get("draft") is None
        await uow.repo(SqlStateRepository).set("kept", "y", now=now)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlStateRepository).get("kept") == "y"
