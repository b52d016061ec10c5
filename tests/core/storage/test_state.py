"""SqlAuditRepository against a real database: one entry at a time and many with one INSERT."""

from datetime import UTC, datetime, timedelta

from bot.core.storage.database import Database
from bot.core.storage.state import NewAuditEvent, SqlAuditRepository

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


async def test_record_many_stores_every_entry_with_its_fields(database: Database) -> None:
    """record_many writes all rows in order, with guild, actor, action, clipped detail and time."""
    events = [
        NewAuditEvent(
            action=f"bulk.{i % 3}",
            created_at=NOW + timedelta(seconds=i),
            guild_id=None if i == 0 else 100 + i % 2,
            actor_id=None if i == 1 else 1000 + i,
            detail=f"row {i}",
        )
        for i in range(250)
    ]
    events.append(NewAuditEvent(action="bulk.long", created_at=NOW, detail="x" * 600))
    async with database.unit_of_work() as uow:
        audit = uow.repo(SqlAuditRepository)
        await audit.record(action="single", now=NOW, guild_id=7)
        assert await audit.record_many(events) == 251
        assert await audit.record_many([]) == 0
        await uow.commit()

    async with database.unit_of_work() as uow:
        stored = await uow.repo(SqlAuditRepository).list()
    assert len(stored) == 252
    assert stored[0].action == "single"
    bulk = stored[1:]
    assert len({e.id for e in bulk}) == 251
    got = [(e.action, e.created_at, e.guild_id, e.actor_id, e.detail) for e in bulk[:-1]]
    assert got == [(e.action, e.created_at, e.guild_id, e.actor_id, e.detail) for e in events[:-1]]
    assert bulk[-1].detail == "x" * 500
    assert all(e.created_at.tzinfo is UTC for e in bulk)


async def test_record_many_is_part_of_the_unit_of_work(database: Database) -> None:
    """Without a commit, nothing record_many wrote is kept."""
    async with database.unit_of_work() as uow:
        await uow.repo(SqlAuditRepository).record_many([NewAuditEvent(action="lost", created_at=NOW)])
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlAuditRepository).list(action="lost") == []
