"""What the command line writes (backups, exports, reports, Flash Report exports) is owner-only."""

import asyncio
import contextlib
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.clock import ManualClock
from bot.core.files import make_private_dir, write_private_file
from bot.core.storage.database import Database
from tests.core.evaluation.conftest import EXPORT_KEY, GUILD, World, build_world, populate


def mode(path: Path) -> int:
    """Return a path's permission bits."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """Run with the common umask 022, under which Python writes files 0644 and directories 0755."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
async def world(database: Database, clock: ManualClock) -> AsyncIterator[World]:
    """Return the evaluation cohort (12 participants, 5 sessions, Flash Report #1 published)."""
    async for built in build_world(database, clock):
        await populate(built)
        yield built


def test_private_files_and_directories_ignore_the_umask(tmp_path: Path) -> None:
    """New nested directories are 0700, files 0600, and an existing 0644 file becomes 0600 when rewritten."""
    older = tmp_path / "older.txt"
    older.write_text("old")
    assert mode(older) == 0o644
    write_private_file(older, "new")
    assert (mode(older), older.read_text()) == (0o600, "new")
    nested = make_private_dir(tmp_path / "a" / "b" / "c")
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", nested)] == [0o700] * 3
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    make_private_dir(shared / "mine")
    assert (mode(shared), mode(shared / "mine")) == (0o755, 0o700)  # an existing directory is left alone
    assert mode(write_private_file(tmp_path / "x" / "y.bin", b"\x00")) == 0o600
    assert mode(tmp_path / "x") == 0o700


async def test_export_report_and_flash_export_write_owner_only_files(
    world: World, fresh_database_url: str, tmp_path: Path, cli_env: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`blether export`, `blether report` and `blether flash export --out` write 0600 files in 0700 directories."""
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("BLETHER_EXPORT_KEY", EXPORT_KEY)
    guild = ["--guild", str(GUILD)]
    exports, reports, issues = tmp_path / "exports" / "2026", tmp_path / "reports" / "july", tmp_path / "issues" / "1"
    for argv in (
        ["export", *guild, "--out", str(exports)],
        ["report", *guild, "--out", str(reports)],
        ["flash", "export", "1", *guild, "--format", "html", "--out", str(issues / "issue-1.html")],
    ):
        assert await asyncio.to_thread(main, [*cli_env, *argv]) == 0, argv

    written = [*exports.iterdir(), *reports.iterdir(), *issues.iterdir()]
    assert {p.suffix for p in written} == {".zip", ".html", ".png"}
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}
    created = [tmp_path / "exports", exports, tmp_path / "reports", reports, tmp_path / "issues", issues]
    assert [mode(d) for d in created] == [0o700] * len(created)


def test_backup_is_owner_only(tmp_path: Path, cli_env: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`blether backup` makes a 0600 copy (in a 0700 directory it creates) that holds the data."""
    source = tmp_path / "blether.db"
    with contextlib.closing(sqlite3.connect(source)) as db:
        db.execute("CREATE TABLE t (answer TEXT)")
        db.execute("INSERT INTO t VALUES ('kept')")
        db.commit()
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{source}")
    target = tmp_path / "backups" / "daily" / "blether-copy.db"
    assert main([*cli_env, "backup", str(target)]) == 0
    assert (mode(target), mode(target.parent), mode(target.parent.parent)) == (0o600, 0o700, 0o700)
    assert [p.name for p in target.parent.iterdir()] == ["blether-copy.db"]
    with contextlib.closing(sqlite3.connect(target)) as copy:
        assert copy.execute("SELECT answer FROM t").fetchall() == [("kept",)]
    assert main([*cli_env, "backup", str(target)]) == 2  # never overwrites
