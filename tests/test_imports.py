"""Start-up stays light: heavy libraries load where they are used, not when the bot is imported or started.

Each check runs a fresh interpreter (this test process has imported everything already) with this
worktree first on the path. Figures and the reasons are in docs/performance.md.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.core.storage.database import Database
from bot.core.storage.migrations import (
    MIGRATIONS_DIR,
    downgrade_to,
    head_revision,
    is_at_head,
    shipped_head,
    upgrade_to_head,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
CHARTS = ("matplotlib", "numpy", "PIL")  # the report's charts (about 50 MiB and 0.5 s)
LATER = ("icalendar", "yaml", "alembic", "mako", "pygments", "sqlalchemy.dialects.postgresql")


def loaded_after(code: str, modules: tuple[str, ...], env: dict[str, str] | None = None) -> list[str]:
    """Run code in a fresh interpreter and return which of modules it left in sys.modules."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_importing_the_bot_loads_no_chart_libraries() -> None:
    """`import bot.app, bot.client` leaves matplotlib, numpy and PIL unloaded."""
    assert loaded_after("import bot.app, bot.client", CHARTS) == []


def test_the_run_path_loads_no_library_it_does_not_need_yet() -> None:
    """The CLI, the app, the client and every cog load no calendar, YAML, Alembic or PostgreSQL dialect code."""
    code = textwrap.dedent(
        """
        import importlib
        import bot.cli, bot.app, bot.client, bot.discord_ports, cogs
        for name in cogs.EXTENSIONS:
            importlib.import_module(name)
        """
    )
    assert loaded_after(code, CHARTS + LATER) == []


def test_shipped_head_matches_alembic() -> None:
    """The head read from the versions folder's text is the head Alembic computes."""
    assert shipped_head() == head_revision()
    assert any(MIGRATIONS_DIR.joinpath("versions").glob("*.py"))


async def test_is_at_head_only_at_head(fresh_database_url: str) -> None:
    """is_at_head is False on a fresh database and one revision behind, True at head."""
    database = Database(fresh_database_url)
    try:
        assert not await is_at_head(database)
        await upgrade_to_head(fresh_database_url)
        assert await is_at_head(database)
        await downgrade_to(fresh_database_url, "-1")
        assert not await is_at_head(database)
        await upgrade_to_head(fresh_database_url)
        assert await is_at_head(database)
    finally:
        await database.dispose()


async def test_starting_on_a_database_at_head_does_not_import_alembic(fresh_database_url: str) -> None:
    """`blether run`'s migration check on an up-to-date database answers without Alembic; a fresh one migrates."""
    check = textwrap.dedent(
        f"""
        import asyncio
        from bot.cli import _migrate_or_refuse
        from bot.core.storage.database import Database

        async def main():
            database = Database({fresh_database_url!r})
            try:
                await _migrate_or_refuse(database, migrate=True)
            finally:
                await database.dispose()

        asyncio.run(main())
        """
    )
    assert loaded_after(check, ("alembic",)) == ["alembic"]  # fresh: migrated through Alembic
    database = Database(fresh_database_url)
    try:
        assert await is_at_head(database)
    finally:
        await database.dispose()
    assert loaded_after(check, ("alembic",)) == []  # at head: no Alembic
