"""`blether check` refuses what would stop Blether working: a guessable export key, unknown PostgreSQL options, a
dispatcher leader connection that cannot be opened."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from bot.cli import main
from tests.pg import pg_execute

TOKEN = "MTA5MjM0NTY3ODkwMTIzNDU2Nw.GQ2x9a.abcdefghijklmnopqrstuvwxyz012345"
SOCKET_DIR = os.environ.get("TEST_PG_SOCKET_DIR", "/var/run/postgresql")


@pytest.fixture
def pg_url(fresh_database_url: str) -> str:
    """Skip unless the suite runs on PostgreSQL."""
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")
    return fresh_database_url


def check(cli_env: list[str], monkeypatch: pytest.MonkeyPatch, **env: str) -> int:
    """Run `blether check` in this process with the given settings (and a token); return its exit code."""
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return main([*cli_env, "check"])


def test_check_refuses_a_guessable_export_key_in_one_line(
    tmp_path: Path, cli_env: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`blether check` with a repetitive BLETHER_EXPORT_KEY exits 2 with one line showing the generator."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'blether.db'}")
    monkeypatch.setenv("BLETHER_EXPORT_KEY", "programme" * 4)
    assert main([*cli_env, "check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "BLETHER_EXPORT_KEY is too easy to guess" in err
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in err
    assert "programme" * 4 not in err


@pytest.mark.parametrize(
    ("option", "named"),
    [("sslmode=verify-full", "sslmode (asyncpg's name is ssl)"), ("colour=blue", "colour")],
)
def test_check_names_a_database_url_option_asyncpg_does_not_know(
    cli_env: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], option: str, named: str
) -> None:
    """An option the leader (and the engine) would choke on exits 2 with one line naming it, before connecting."""
    url = f"postgresql+asyncpg://blether:hunter2@127.0.0.1:1/blether?{option}"
    assert check(cli_env, monkeypatch, DATABASE_URL=url) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DATABASE_URL" in err and named in err
    assert "hunter2" not in err and "Traceback" not in err


@pytest.fixture
def one_connection_role(pg_url: str, pg_server_url: str) -> Iterator[str]:
    """Yield pg_url logging in as a new role allowed a single connection at a time (dropped afterwards)."""
    role = f"blether_one_{uuid.uuid4().hex[:10]}"
    asyncio.run(pg_execute(pg_server_url, f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 1'))
    try:
        yield make_url(pg_url).set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        asyncio.run(pg_execute(pg_server_url, f'DROP ROLE IF EXISTS "{role}"'))


def test_check_fails_when_the_dispatcher_leader_connection_cannot_be_opened(
    one_connection_role: str, cli_env: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The database opens but the leader's extra connection is refused (the role's limit is 1): exit 2, one line."""
    assert check(cli_env, monkeypatch, DATABASE_URL=one_connection_role) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "leader connection" in err and "cannot be opened" in err and "too many connections" in err


def test_check_passes_with_the_unix_socket_in_the_query_string(
    pg_url: str, cli_env: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DATABASE_URL with no host but ?host=<socket directory>: the database and the leader both open."""
    parsed = make_url(pg_url)
    port = parsed.port or 5432
    if not (Path(SOCKET_DIR) / f".s.PGSQL.{port}").exists():
        pytest.skip(f"no PostgreSQL Unix socket in {SOCKET_DIR} (set TEST_PG_SOCKET_DIR)")
    url = URL.create(
        parsed.drivername, username=parsed.username, port=port, database=parsed.database, query={"host": SOCKET_DIR}
    )
    assert check(cli_env, monkeypatch, DATABASE_URL=url.render_as_string(hide_password=False)) == 0
    out = capsys.readouterr().out
    assert "Dispatcher leader" in out and "Configuration OK." in out
