"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and downgrade cleanly."""

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import Connection

from bot.core.delivery.keys import delivery_key, key_time
from bot.core.reflections.deliveries import card_key, close_key, nudge_dm_key
from bot.core.storage.database import Database
from bot.core.storage.migrations import current_revision, downgrade_to, head_revision, upgrade_to_head
from bot.core.storage.models import Base
from bot.core.storage.models.delivery import DeliveryRow


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
    return compare_metadata(context, Base.metadata)


async def test_models_and_migrations_agree(fresh_database_url: str) -> None:
    """After upgrading to head, autogenerate finds no difference with the models."""
    await upgrade_to_head(fresh_database_url)
    database = Database(fresh_database_url)
    try:
        assert await current_revision(database) == head_revision()
        async with database.engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == []
    finally:
        await database.dispose()


async def test_downgrade_to_base_removes_every_table(fresh_database_url: str) -> None:
    """Every revision's downgrade works: base leaves only Alembic's own table."""
    await upgrade_to_head(fresh_database_url)
    await downgrade_to(fresh_database_url, "base")
    database = Database(fresh_database_url)
    try:
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
    finally:
        await database.dispose()
    await upgrade_to_head(fresh_database_url)  # and back up again


async def test_reflection_delivery_keys_are_rewritten_in_the_one_format(fresh_database_url: str) -> None:
    """Reflection rows stored with compact stamps get the keys and payload times the code now builds, and back."""
    ends = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
    closes = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
    again = datetime(2026, 1, 14, 9, 30, tzinfo=UTC)
    user = 123_456_789  # nine digits: an id, never a time
    old = {
        "reflection_card:7:20260105T200000Z": {"session_id": 7, "ends_at": "20260105T200000Z"},
        "reflection_card:7:20260105T200000Z:again:20260114T093000Z": {"session_id": 7, "ends_at": "20260105T200000Z"},
        "reflection_close:7:20260112T200000Z": {"session_id": 7, "closes_at": "20260112T200000Z"},
        f"reflection_nudge_dm:7:20260112T200000Z:{user}": {"session_id": 7, "user_id": user},
    }
    kinds = {key: key.split(":")[0] for key in old}
    await upgrade_to_head(fresh_database_url)
    await downgrade_to(fresh_database_url, "0006_flash_floods")
    database = Database(fresh_database_url)
    try:
        async with database.engine.begin() as conn:
            for key, payload in old.items():
                await conn.execute(
                    insert(DeliveryRow.__table__).values(
                        guild_id=1,
                        kind=kinds[key],
                        target="session:7:reflection",
                        dedupe_key=key,
                        payload=payload,
                        due_at=ends,
                        deliver_before=closes,
                        next_attempt_at=ends,
                        status="sent",
                        attempts=1,
                        created_at=ends,
                        updated_at=ends,
                    )
                )
        await upgrade_to_head(fresh_database_url)
        async with database.engine.connect() as conn:
            rows = {r.dedupe_key: r.payload for r in await conn.execute(select(DeliveryRow.__table__))}
        assert rows == {
            card_key(7, ends): {"session_id": 7, "ends_at": key_time(ends)},
            delivery_key(card_key(7, ends), "again", again): {"session_id": 7, "ends_at": key_time(ends)},
            close_key(7, closes): {"session_id": 7, "closes_at": key_time(closes)},
            nudge_dm_key(7, closes, user): {"session_id": 7, "user_id": user},
        }
        await downgrade_to(fresh_database_url, "0006_flash_floods")
        async with database.engine.connect() as conn:
            rows = {r.dedupe_key: r.payload for r in await conn.execute(select(DeliveryRow.__table__))}
        assert rows == old
    finally:
        await database.dispose()
