"""The foundation end to end: start-up, command sync, /about, /help, retries and resume."""

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.harness import REPO_ROOT, BotProcess, RunningBot, bot_env
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e


async def test_bot_syncs_commands_to_the_guild(fake: FakeDiscord, bot: RunningBot) -> None:
    """Start-up syncs the command tree to DISCORD_GUILD_ID, including /about and /help."""
    names = {command["name"] for command in fake.commands()}
    assert {"about", "help"} <= names


async def test_about_answers_privately_with_version_and_time_zone(fake: FakeDiscord, bot: RunningBot) -> None:
    """/about replies ephemerally with what Blether does and the programme time zone."""
    ix = await fake.slash("about", user=fake.users.pat)
    text = await ix.settle()
    assert ix.ephemeral
    assert "Europe/London" in text
    assert "reflection" in text.lower()


async def test_help_hides_facilitator_commands_from_participants(fake: FakeDiscord, bot: RunningBot) -> None:
    """/help lists what the caller may use: a participant sees no facilitator command."""
    participant = await (await fake.slash("help", user=fake.users.pat)).settle()
    facilitator = await (await fake.slash("help", user=fake.users.fran)).settle()
    assert "/about" in participant
    assert "facilitator commands" not in participant
    assert "facilitator commands" in facilitator


async def test_a_429_and_a_502_on_a_post_are_retried(fake: FakeDiscord, bot: RunningBot) -> None:
    """discord.py retries a rate-limited and a failed post; exactly one message arrives."""
    from bot.core.messages import OutboundMessage

    fake.inject("/channels/{channel_id}/messages", "POST", kind="429", retry_after=0.2)
    fake.inject("/channels/{channel_id}/messages", "POST", kind="502")
    sent = await bot.services.sender.post(
        fake.channels.general.id, OutboundMessage(content="hello after retries"), nonce="retry-test-nonce"
    )
    messages = [m for m in fake.channel_messages(fake.channels.general) if m.content == "hello after retries"]
    assert [m.id for m in messages] == [sent.message_id]
    statuses = [r.status for r in fake.requests_to("/channels/{channel_id}/messages", "POST")]
    assert statuses[:3] == [429, 502, 200]


async def test_gateway_drop_resumes_without_identifying_again(fake: FakeDiscord, bot: RunningBot) -> None:
    """After the gateway drops, the bot resumes its session and keeps answering."""
    identified = fake.gateway.identify_count
    await fake.drop_gateway(resume=True)
    await fake.wait_resumed()
    assert fake.gateway.identify_count == identified
    ix = await fake.slash("about", user=fake.users.pat)
    assert "Blether" in await ix.settle()


def _run_cli(*args: str, env: dict[str, str], cwd: Path) -> "asyncio.subprocess.Process":
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


async def test_missing_token_says_what_to_do(tmp_path: Path) -> None:
    """`blether run` without a token prints one line naming DISCORD_TOKEN and exits 2."""
    process = await _run_cli("--env-file", str(tmp_path / "none.env"), "run", env=_clean_env(), cwd=tmp_path)
    _, err = await process.communicate()
    assert process.returncode == 2
    text = err.decode()
    assert "DISCORD_TOKEN" in text and "developers" in text
    assert "Traceback" not in text


async def test_malformed_database_url_is_a_clear_error(tmp_path: Path) -> None:
    """A malformed DATABASE_URL names the variable and exits 2 without a traceback."""
    env = _clean_env() | {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": "sqlite:/nowhere?"}
    process = await _run_cli("--env-file", str(tmp_path / "none.env"), "run", env=env, cwd=tmp_path)
    _, err = await process.communicate()
    assert process.returncode == 2
    assert "DATABASE_URL" in err.decode()
    assert "Traceback" not in err.decode()


async def test_env_file_is_read_and_real_environment_wins(tmp_path: Path) -> None:
    """`blether check` reads .env; a real environment variable overrides it."""
    (tmp_path / ".env").write_text("BLETHER_TIMEZONE=Europe/Paris\nLOG_LEVEL=debug\n")
    env = _clean_env() | {"LOG_LEVEL": "WARNING"}
    process = await _run_cli("check", env=env, cwd=tmp_path)
    out, _ = await process.communicate()
    text = out.decode()
    assert "Europe/Paris" in text
    assert "WARNING" in text


async def test_blether_run_subprocess_migrates_connects_and_answers(
    fake: FakeDiscord, fresh_database_url: str, tmp_path: Path
) -> None:
    """`blether run` migrates (and says so), connects to the fake, syncs and answers /about; no token in logs."""
    env = bot_env(fake, fresh_database_url) | {"PYTHONPATH": str(REPO_ROOT)}
    process = BotProcess(env=env, log_path=tmp_path / "bot.log")
    process.start()
    try:
        await fake.wait_ready(timeout=20)
        await fake.wait_commands_synced(timeout=20)
        ix = await fake.slash("about", user=fake.users.pat)
        assert "Blether" in await ix.settle()
    finally:
        code = process.terminate()
    logs = process.logs()
    assert "Applying pending migrations" in logs
    assert fake.api_base_url in logs  # endpoints are logged at start
    assert TOKEN not in logs
    assert code == 0, logs[-3000:]


async def test_no_migrate_refuses_an_out_of_date_database(fresh_database_url: str, tmp_path: Path) -> None:
    """`blether run --no-migrate` on an empty database names `blether migrate` and exits 2."""
    env = _clean_env() | {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": fresh_database_url}
    process = await _run_cli("--env-file", str(tmp_path / "x.env"), "run", "--no-migrate", env=env, cwd=tmp_path)
    _, err = await process.communicate()
    assert process.returncode == 2
    assert "blether migrate" in err.decode()


async def test_a_second_process_on_the_same_sqlite_file_is_refused(fake: FakeDiscord, tmp_path: Path) -> None:
    """SQLite is single-process: a second `blether run` on the same file exits 2 and says why."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    env = bot_env(fake, url) | {"PYTHONPATH": str(REPO_ROOT)}
    first = BotProcess(env=env, log_path=tmp_path / "first.log")
    first.start()
    try:
        await fake.wait_ready(timeout=20)
        second = await _run_cli("run", env=env, cwd=tmp_path)
        _, err = await asyncio.wait_for(second.communicate(), timeout=30)
        assert second.returncode == 2
        assert "Another Blether process" in err.decode()
        assert "PostgreSQL" in err.decode()
    finally:
        first.terminate()
