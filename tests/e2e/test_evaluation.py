"""Evaluation end to end: /export, /report, /privacy, /me data and /me delete through the fake Discord."""

import asyncio
import csv
import dataclasses
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.evaluation import write_report
from bot.core.evaluation.ids import erase_button_id
from bot.core.participants.domain import ConsentPurpose
from bot.core.programme.domain import ProgrammeSettingsUpdate, SessionDraft
from tests.e2e.harness import RunningBot, running_bot
from tests.fakediscord import FakeDiscord
from tests.hardening.tamper import click_with_id

pytestmark = pytest.mark.e2e

EXPORT_KEY = "e2e-evaluation-export-key-0123456789abcdef"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EPHEMERAL = 1 << 6
COMMUNITIES = {"pat": "Portobello Carers Circle", "sam": "Strathpeffer Shed"}
START = datetime.now(UTC).replace(microsecond=0)  # the fake Discord refuses Scheduled Events in its past


@pytest.fixture
async def clock() -> ManualClock:
    """A clock the test moves through the sessions."""
    return ManualClock(START)


@pytest.fixture
async def ev_bot(fake: FakeDiscord, fresh_database_url: str, clock: ManualClock) -> AsyncIterator[RunningBot]:
    """Yield the real bot with a valid export key and a manual clock."""

    def configure(settings: Any) -> Any:
        return dataclasses.replace(settings, export_key=EXPORT_KEY)

    async with running_bot(fake, fresh_database_url, clock=clock, configure=configure) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        yield running


def _actor(fake: FakeDiscord, member: Any, *, facilitator: bool = False) -> Actor:
    return Actor(
        guild_id=fake.guild_id,
        user_id=member.id,
        display_name=member.display_name,
        can_manage_events=facilitator,
        role_ids=frozenset(member.roles),
    )


async def _seed(fake: FakeDiscord, running: RunningBot, clock: ManualClock) -> None:
    """Programme, two sessions, pat and sam joined with consent, attendance and reflections."""
    s = running.services
    fran = _actor(fake, fake.users.fran, facilitator=True)
    await s.programme.setup(
        fran,
        ProgrammeSettingsUpdate(
            timezone="Europe/London",
            reflections_channel_id=fake.channels.reflections.id,
            flash_reports_channel_id=fake.channels.flash_reports.id,
            facilitator_channel_id=fake.channels.facilitators.id,
            facilitator_role_id=fake.roles.facilitator.id,
            participant_role_id=fake.roles.participant.id,
            reminder_offsets="none",
        ),
    )
    sessions = []
    for number in (1, 2):
        start = START + timedelta(days=7 * number)
        sessions.append((await s.programme.add_session(fran, SessionDraft(number, f"Theme {number}", start))).session)
    people = {"pat": fake.users.pat, "sam": fake.users.sam}
    for key, member in people.items():
        actor = _actor(fake, member)
        joined = await s.participants.join(actor, community=COMMUNITIES[key], area="", role="")
        version = joined.consent_prompt.version if joined.consent_prompt else 1
        await s.participants.record_consent(
            actor, {ConsentPurpose.EVALUATION: True, ConsentPurpose.QUOTE: False}, text_version=version
        )
    for number, session in enumerate(sessions, start=1):
        clock.set(session.starts_at + timedelta(minutes=30))
        for member in people.values():
            await s.attendance.check_in(_actor(fake, member), session.id)
        clock.set(session.ends_at + timedelta(hours=1))
        for rating, member in enumerate(people.values(), start=3):
            answers = {"q1": str(rating), "q2": f"Session {number} was useful.", "q3": "", "q4": "", "q5": False}
            await s.reflections.submit_reflection(_actor(fake, member), session.id, answers)


def _attachments(ix: Any) -> list[Any]:
    messages = [m for m in [ix.original, *ix.followups] if m is not None]
    seen: dict[int, Any] = {}
    for message in messages:
        for attachment in message.attachments:
            seen[attachment.id] = attachment
    return list(seen.values())


def _identifiers(fake: FakeDiscord) -> list[re.Pattern[bytes]]:
    """Every Discord id, username and display name of the fake's humans, as whole-word byte patterns.

    Whole words, because the short usernames ("pat", "sam") are also parts of ordinary words ("same").
    """
    needles = [str(fake.guild_id)]
    for member in (fake.users.pat, fake.users.sam, fake.users.fran, fake.users.owner, fake.users.nora):
        needles += [str(member.id), member.name, member.display_name]
    return [re.compile(rb"(?<![A-Za-z0-9])" + re.escape(n.encode()) + rb"(?![A-Za-z0-9])") for n in needles]


async def _export_all(fake: FakeDiscord) -> dict[str, bytes]:
    ix = await fake.slash("export", {"kind": "all", "format": "csv"}, user=fake.users.fran)
    await ix.settle(timeout=20)
    assert ix.ephemeral
    zips = [a for a in _attachments(ix) if a.filename.endswith(".zip")]
    assert len(zips) == 1, ix.final_text()
    with zipfile.ZipFile(io.BytesIO(fake.attachment(zips[0].id).data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _pseudonyms(files: dict[str, bytes]) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(files["participants.csv"].decode("utf-8"))))
    column = next(c for c in rows[0] if "pseudonym" in c or c.endswith("_id"))
    return {r[column] for r in rows}


async def test_export_all_is_a_zip_of_parseable_csv_without_discord_ids_or_names(
    fake: FakeDiscord, ev_bot: RunningBot, clock: ManualClock
) -> None:
    """/export kind:all format:csv as fran: one zip, every CSV parses, no Discord id or name in any byte."""
    await _seed(fake, ev_bot, clock)
    files = await _export_all(fake)
    csvs = [name for name in files if name.endswith(".csv")]
    assert "participants.csv" in csvs and "responses.csv" in csvs and "attendance.csv" in csvs
    for name in csvs:
        rows = list(csv.reader(io.StringIO(files[name].decode("utf-8"))))
        assert rows and all(len(r) == len(rows[0]) for r in rows), name
    blob = b"\n".join(files.values())
    for needle in _identifiers(fake):
        assert needle.search(blob) is None, needle.pattern
    assert COMMUNITIES["pat"].encode() in files["participants.csv"]


async def test_report_programme_posts_embeds_and_png_charts(
    fake: FakeDiscord, ev_bot: RunningBot, clock: ManualClock
) -> None:
    """/report programme answers privately with summary embeds and PNG chart attachments."""
    await _seed(fake, ev_bot, clock)
    ix = await fake.slash("report programme", {}, user=fake.users.fran)
    await ix.settle(timeout=60)
    messages = [m for m in [ix.original, *ix.followups] if m is not None]
    assert any(m.embeds for m in messages), ix.final_text()
    pngs = [a for a in _attachments(ix) if a.filename.endswith(".png")]
    assert pngs
    for attachment in pngs:
        assert fake.attachment(attachment.id).data.startswith(PNG_MAGIC), attachment.filename


@pytest.mark.parametrize("command", ["export", "report programme", "retention set"])
async def test_participants_are_refused_facilitator_commands(
    fake: FakeDiscord, ev_bot: RunningBot, clock: ManualClock, command: str
) -> None:
    """pat is refused /export, /report programme and /retention set (privately, with no file)."""
    await _seed(fake, ev_bot, clock)
    options = {"months": 6} if command == "retention set" else {}
    ix = await fake.slash(command, options, user=fake.users.pat, strict=False)
    text = await ix.settle(timeout=20)
    assert ix.ephemeral
    assert "facilitator" in text.lower(), text
    assert _attachments(ix) == []


async def test_privacy_shows_the_notice_to_anyone(fake: FakeDiscord, ev_bot: RunningBot, clock: ManualClock) -> None:
    """/privacy answers a participant privately with the notice."""
    await _seed(fake, ev_bot, clock)
    ix = await fake.slash("privacy", {}, user=fake.users.pat)
    text = await ix.settle()
    assert ix.ephemeral and "What Blether keeps about you" in text


async def test_me_data_then_delete_leaves_no_trace(fake: FakeDiscord, ev_bot: RunningBot, clock: ManualClock) -> None:
    """/me data gives pat a JSON file with their community; /me delete + confirm removes pat everywhere."""
    await _seed(fake, ev_bot, clock)
    before = await _export_all(fake)
    fran = _actor(fake, fake.users.fran, facilitator=True)
    figures_before = await ev_bot.services.evaluation.programme_figures(fran)

    ix = await fake.slash("me data", {}, user=fake.users.pat)
    await ix.settle(timeout=20)
    assert ix.ephemeral
    (file,) = [a for a in _attachments(ix) if a.filename.endswith(".json")]
    data = json.loads(fake.attachment(file.id).data)
    assert COMMUNITIES["pat"] in json.dumps(data, ensure_ascii=False)

    ix = await fake.slash("me delete", {}, user=fake.users.pat)
    await ix.settle()
    assert ix.ephemeral and ix.original is not None
    custom_id = erase_button_id(fake.users.pat.id)
    # Someone else pressing pat's button (a forged click: Discord would not show it to sam) erases nothing.
    flags = ix.original.flags
    ix.original.flags = flags & ~EPHEMERAL
    forged = await click_with_id(fake, ix.original, custom_id, fake.users.sam)
    ix.original.flags = flags
    assert "belongs to the person" in await forged.settle()
    assert COMMUNITIES["pat"].encode() in (await _export_all(fake))["participants.csv"]

    confirm = await fake.click(ix.original, custom_id, user=fake.users.pat)
    assert "Receipt" in await confirm.settle(timeout=20)

    after = await _export_all(fake)
    blob = b"\n".join(after.values())
    assert COMMUNITIES["pat"].encode() not in blob
    gone = _pseudonyms(before) - _pseudonyms(after)
    assert len(gone) == 1
    (pat_pseudonym,) = gone
    assert pat_pseudonym.encode() not in blob
    figures_after = await ev_bot.services.evaluation.programme_figures(fran)
    assert COMMUNITIES["pat"] not in repr(figures_after)
    assert repr(figures_after) != repr(figures_before)


@pytest.mark.skipif(shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(), reason="no chromium")
async def test_html_report_renders_in_headless_chromium(
    fake: FakeDiscord, ev_bot: RunningBot, clock: ManualClock, tmp_path: Path
) -> None:
    """The HTML report written by the core renders headless to a non-trivial screenshot."""
    await _seed(fake, ev_bot, clock)
    paths = await write_report(ev_bot.database, fake.guild_id, tmp_path / "report", now=clock.now())
    page = paths[0]
    shot = tmp_path / "report.png"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000",
        f"file://{page}",
    ]  # fmt: skip
    result = await asyncio.to_thread(subprocess.run, command, capture_output=True, timeout=120, check=False)
    assert shot.exists(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000


async def test_cli_export_and_report_write_files(
    fake: FakeDiscord,
    ev_bot: RunningBot,
    clock: ManualClock,
    fresh_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`blether export` writes the zip and `blether report` the HTML page with its charts."""
    from bot.cli import main

    await _seed(fake, ev_bot, clock)
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("BLETHER_EXPORT_KEY", EXPORT_KEY)
    env_file = str(tmp_path / "absent.env")
    out = tmp_path / "export"
    assert (
        await asyncio.to_thread(
            main, ["--env-file", env_file, "export", "--guild", str(fake.guild_id), "--out", str(out)]
        )
        == 0
    )
    (archive,) = out.glob("*.zip")
    with zipfile.ZipFile(archive) as opened:
        assert "participants.csv" in opened.namelist()
    page = tmp_path / "site" / "report.html"
    argv = ["--env-file", env_file, "report", "--guild", str(fake.guild_id), "--out", str(page)]
    assert await asyncio.to_thread(main, argv) == 0
    assert "<html" in page.read_text(encoding="utf-8").lower()
    assert list(page.parent.glob("*.png"))


async def test_me_delete_edits_the_summary_that_quoted_the_person(
    fake: FakeDiscord, ev_bot: RunningBot, clock: ManualClock
) -> None:
    """A reflection summary in the facilitators' channel quotes pat; after pat's /me delete Blether edits that
    message (through the delivery engine and Discord's message edit) so the quote is gone and sam's count stays."""
    await _seed(fake, ev_bot, clock)
    s = ev_bot.services
    pat, fran = _actor(fake, fake.users.pat), _actor(fake, fake.users.fran, facilitator=True)
    await s.participants.record_consent(pat, {ConsentPurpose.QUOTE: True}, text_version=1)
    session = (await s.programme.list_sessions(fake.guild_id))[1]  # its reflections are still open
    answers = {"q1": "5", "q2": "Pat's kettle-club idea 4471 helped.", "q3": "", "q4": "", "q5": True}
    await s.reflections.submit_reflection(pat, session.id, answers)
    await s.reflections.close_poll(fran, session.id)
    await s.dispatcher.run_due()
    summary = await fake.wait_for_message(fake.channels.facilitators, lambda m: "kettle-club idea 4471" in m.text())

    ix = await fake.slash("me delete", {}, user=fake.users.pat)
    await ix.settle()
    confirm = await fake.click(ix.original, erase_button_id(fake.users.pat.id), user=fake.users.pat)
    assert "earlier posts" in await confirm.settle(timeout=20)
    await s.dispatcher.run_due()
    await fake.wait_until(lambda: bool(summary.edits), timeout=10, what="the summary edited")
    assert "kettle-club idea 4471" not in summary.text()
    assert "1 response from 1 attendee" in summary.text()  # sam's stays
