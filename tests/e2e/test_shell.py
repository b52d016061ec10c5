"""`blether shell --script docs/examples/demo.blether`: a whole programme, offline, start to finish."""

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import REPO_ROOT, RunningBot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e

DEMO = REPO_ROOT / "docs" / "examples" / "demo.blether"


async def _run_demo(cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_", "DATABASE_URL", "LOG_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        str(cwd / "none.env"),
        "shell",
        "--script",
        str(DEMO),
        "--db",
        "demo.db",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _block(transcript: str, heading: str) -> str:
    """Return the first message posted under a heading ("── #flash-reports · …") up to the next heading or command."""
    start = transcript.index(heading)
    rest = transcript[start + len(heading) :]
    end = re.search(r"\n(── |\n\[)", rest)
    return rest[: end.start()] if end else rest


async def test_the_demo_runs_a_programme_start_to_finish(tmp_path: Path) -> None:
    """The demo exits 0 and its transcript shows reminders in local time, the card, a saved reflection, the
    Flash Report with the shared resource and the report, in plain text; a second run prints the same."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (code, transcript, errors), (code_again, transcript_again, _) = await asyncio.gather(
        _run_demo(first), _run_demo(second)
    )
    assert code == 0, transcript[-3000:] + errors[-3000:]
    assert "Traceback" not in errors and "\x1b[" not in transcript

    # Reminders: in the announcements channel and by DM, at their own simulated times, in London time.
    reminder = _block(transcript, "── #announcements · Wed 13 Jan 2027 18:30 GMT")
    assert "@Participant Session 1 starts in 1 day" in reminder
    assert "Thu 14 Jan 2027 18:30 GMT (in 1 day)" in reminder
    assert re.search(r"\[\d+\] 📅 Add to calendar   \[\d+\] ✋ I'll be there", reminder)
    assert "── ✉ DM to morag · Wed 13 Jan 2027 18:30 GMT" in transcript
    assert "Session 1 starts in 1 hour" in _block(transcript, "── #announcements · Thu 14 Jan 2027 17:30 GMT")

    # The reflection card and its buttons, a quarter of an hour after the session.
    card = _block(transcript, "── #reflections · Thu 14 Jan 2027 20:15 GMT")
    assert "╭─ How was Session 1?" in card
    assert "Reflections close Thu 21 Jan 2027 20:00 GMT (in 7 days)" in card
    assert re.search(r"\[\d+\] Reflect   \[\d+\] I attended", card)

    # morag's answers, saved and confirmed; the closed card later shows its buttons disabled.
    assert "╭─ Reflection saved — thank you!" in transcript
    assert "Your reflection on Session 1: Mapping our communities is saved." in transcript
    assert "★★★★★ (5/5)" in transcript and "Seeing everyone's map side by side" in transcript
    assert re.search(r"\[\d+\] Reflect \(disabled\)", transcript)

    # Only facilitators may change the programme (the line is marked as expected to fail).
    assert "✖ Only facilitators can use /session cancel" in transcript

    # The Flash Report, published to its channel with the shared resource and the story.
    report = _block(transcript, "── #flash-reports · Thu 14 Jan 2027 20:30 GMT")
    assert "╭─ Flash Report #1 · January 2027" in report
    assert "Community Planning Toolkit" in report
    assert "https://www.communityplanningtoolkit.org/" in report
    assert "shared by morag" in report
    assert "our hall committee found three new volunteers" in report
    assert "── #flash-reports · Mon 1 Feb 2027 09:00 GMT" in transcript  # the schedule's next issue

    # The programme report, with its files written into the folder beside the database.
    assert "╭─ Programme report" in transcript
    assert "Sessions held: 3 of 3 planned" in transcript
    assert "📎 wrote demo-files/report.html" in transcript
    assert (first / "demo-files" / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert (first / "demo-files" / "programme.ics").read_text().startswith("BEGIN:VCALENDAR")

    # Deterministic: the same script prints the same transcript.
    assert code_again == 0
    assert transcript_again == transcript


async def test_a_failing_script_line_exits_non_zero(tmp_path: Path) -> None:
    """A line that fails stops the script with exit 1 and says which line."""
    script = tmp_path / "bad.blether"
    script.write_text('clock 2027-01-04 09:00\nas morag /session add number:1 title:x starts:"2027-02-01 18:30"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_", "DATABASE_URL", "LOG_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "shell", "--script", str(script),
        "--db", str(tmp_path / "bad.db"), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 1
    assert f"{script}:2: this line failed; stopped here." in out.decode()
    assert "✖ This server has no programme yet." in out.decode()


def _discord_commands(payloads: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Flatten synced chat-input commands to {"session add": [option payloads]}."""
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(path: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            found[path] = options
        for sub in subs:
            walk(f"{path} {sub['name']}", sub.get("options", []))

    for payload in payloads:
        if payload.get("type", 1) == 1:
            walk(payload["name"], payload.get("options", []))
    return found


def _limits(option: dict[str, Any]) -> tuple[object, ...]:
    """What Discord enforces on an option: name, required, length or value range, choices."""
    low = option.get("min_length", option.get("min_value"))
    high = option.get("max_length", option.get("max_value"))
    choices = tuple(str(c["value"]) for c in option.get("choices", ()))
    return option["name"], bool(option.get("required")), low, high, choices


async def test_the_shell_offers_every_discord_command_with_the_same_options(fake: FakeDiscord, bot: RunningBot) -> None:
    """Each slash command the bot syncs to Discord exists in the shell, with the same options and limits."""
    from bot.shell.features import build_registry
    from bot.shell.options import Kind

    discord_side = _discord_commands(fake.commands())
    registry = build_registry()
    assert sorted(registry.commands) == sorted(discord_side)
    for path, options in discord_side.items():
        shell_options = registry.commands[path].options
        expected = [_limits(o) for o in options]
        actual = []
        for option in shell_options:
            if option.kind is Kind.SESSION:
                low, high = 1, None  # the session number, an integer from 1
            elif option.kind in (Kind.TEXT, Kind.INTEGER):
                low, high = option.min, option.max
            else:
                low = high = None
            actual.append((option.name, option.required, low, high, tuple(c.value for c in option.choices)))
        assert actual == expected, path


async def test_lines_piped_in_run_as_a_script(tmp_path: Path) -> None:
    """Without --script and without a terminal, the shell reads its standard input as a script."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_", "DATABASE_URL", "LOG_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "shell", "--db", "piped.db",
        cwd=tmp_path, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    script = "clock 2027-01-04 09:00\n/about\nas morag /join community:Oban\npeople\n"
    out, err = await asyncio.wait_for(process.communicate(script.encode()), timeout=300)
    text = out.decode()
    assert process.returncode == 0, text + err.decode()
    assert "╭─ Blether" in text and "Welcome to the programme!" in text
    assert "@morag (participant)" in text
    assert "\x1b[" not in text
