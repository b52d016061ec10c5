"""Revisions 0005, 0006 and 0008 build exactly the Flash Report tables the models describe; downgrades remove them."""

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from bot.core.storage.database import Database
from bot.core.storage.models import Base

FLASH_TABLES = {"flash_issues", "flash_items", "flash_tags", "flash_schedules", "flash_settings"}
VERSIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"
REVISIONS = (
    "0005_create_flash_reports.py",
    "0006_flash_limits_and_url_normal_form.py",
    "0008_restricted_nominations.py",
)


def _revision(filename: str = REVISIONS[0]) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"flash_revision_{filename[:4]}", VERSIONS / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flash_metadata() -> MetaData:
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for name in sorted(FLASH_TABLES):
        Base.metadata.tables[name].to_metadata(metadata)
    return metadata


def _run(connection: Connection, step: str) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
    with Operations.context(context):
        for filename in REVISIONS if step == "upgrade" else reversed(REVISIONS):
            getattr(_revision(filename), step)()
    if step == "downgrade":
        return []
    return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), _flash_metadata())


async def test_revision_0005_matches_the_models_and_downgrades(fresh_database_url: str) -> None:
    """Upgrade gives no difference with the flash models; downgrade leaves no flash table."""
    module = _revision()
    assert (module.revision, module.down_revision) == ("0005", "0004")
    assert _revision(REVISIONS[1]).down_revision == "0005"  # 0007 (between them) rewrites delivery keys only
    database = Database(fresh_database_url)
    try:
        async with database.engine.begin() as conn:
            assert await conn.run_sync(_run, "upgrade") == []
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert tables >= FLASH_TABLES
            await conn.run_sync(_run, "downgrade")
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert not FLASH_TABLES & tables
    finally:
        await database.dispose()
