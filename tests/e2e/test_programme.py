"""The programme end to end: setup, sessions, reminders with their buttons, imports, refusals and bad input."""

import asyncio
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.core.delivery.domain import DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.programme.ids import ics_button_id, rsvp_button_id
from tests.e2e.harness import REPO_ROOT, RunningBot, bot_env, running_bot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.interactions import InteractionHandle
from tests.fakediscord.state import Message

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
REMINDER_LEAD = 12.0  # seconds from the bot's start to the first reminder (the commands before it take ~5 s)

GOOD_YAML = b"""sessions:
  - number: 4
    title: Carers and caring
    start: "2030-02-07 18:30"
    location: https://meet.example.org/carers
  - number: 5
    title: "Schools: what works"
    start: "2030-03-07 18:30"
    duration: 60
    speaker: Dr Ada
"""

BROKEN_CSV = b"""number,title,start,duration,location
1,Welcome,2030-02-05 18:30,90,https://meet.example.org/a
2,Grief,2030-13-05 18:30,90,https://meet.example.org/a
3,Carers,2030-04-02 18:30,90,https://meet.example.org/a
4,Schools,2030-05-07 18:30,9000,https://meet.example.org/a
5,Work,2030-06-04 18:30,90,ftp://example.org
"""


class ShiftedClock:
    """The system clock moved by a fixed offset, so that a minute-aligned due time is only seconds away.

    The dispatcher schedules its APScheduler wake-up by distance (due - clock.now()) on real time, so a
    constant shift keeps every wake-up exactly on the shifted due time.
    """

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        """Return the shifted time."""
        return datetime.now(UTC) + self.offset

    def real(self, shifted: datetime) -> datetime:
        """Return the real moment at which the shifted clock shows `shifted`."""
        return shifted - self.offset


def local(moment: datetime) -> str:
    """Format a moment as the commands take it (programme time zone Europe/London)."""
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def future(days: int = 30) -> str:
    """Return a start time well in the future."""
    return local(datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=days))


async def command(
    fake: FakeDiscord,
    name: str,
    options: Mapping[str, Any] | None = None,
    *,
    user: Any = None,
    channel: Any = None,
    strict: bool = True,
) -> tuple[InteractionHandle, str]:
    """Run a slash command, wait for its final answer and check that it was private."""
    ix = await fake.slash(name, dict(options or {}), user=user or fake.users.fran, channel=channel, strict=strict)
    text = await ix.settle(timeout=10)
    assert ix.ephemeral, f"/{name} answered publicly: {text}"
    return ix, text


def setup_options(fake: FakeDiscord, **changes: Any) -> dict[str, Any]:
    """Return a full /programme setup."""
    return {
        "timezone": "Europe/London",
        "announcements": fake.channels.announcements,
        "reflections": fake.channels.reflections,
        "flash_reports": fake.channels.flash_reports,
        "facilitator_role": fake.roles.facilitator,
        "participant_role": fake.roles.participant,
        "reminder_offsets": "7d,1d,1h",
        "facilitator_channel": fake.channels.facilitators,
    } | changes


async def pending_reminders(bot: RunningBot, session_id: int) -> list[datetime]:
    """Return the due times of a session's pending channel reminders."""
    async with bot.database.unit_of_work() as uow:
        rows = await uow.repo(SqlDeliveryRepository).list(
            target=f"session:{session_id}", kind="session_reminder", status=DeliveryStatus.PENDING
        )
    return [row.due_at for row in rows]


async def pending_kinds(bot: RunningBot, session_id: int) -> set[str]:
    """Return the kinds of a session's pending deliveries (reminders, and whatever other features plan)."""
    async with bot.database.unit_of_work() as uow:
        rows = await uow.repo(SqlDeliveryRepository).list(target=f"session:{session_id}", status=DeliveryStatus.PENDING)
    return {row.kind for row in rows}


async def all_deliveries(bot: RunningBot) -> list[tuple[int, str, str]]:
    """Return every delivery row (id, kind, status)."""
    async with bot.database.unit_of_work() as uow:
        rows = await uow.repo(SqlDeliveryRepository).list()
    return [(row.id, row.kind, str(row.status)) for row in rows]


def reminders_in(fake: FakeDiscord, number: int) -> list[Message]:
    """Return the reminders posted in the announcements channel for session `number`."""
    head = f"Session {number} starts"
    return [m for m in fake.channel_messages(fake.channels.announcements) if head in m.content]


def events_by_name(fake: FakeDiscord) -> dict[str, Any]:
    """Return the fake's scheduled events by name."""
    return {event.name: event for event in fake.scheduled_events}


async def test_setup_changes_only_the_options_given_and_show_displays_them(fake: FakeDiscord, bot: RunningBot) -> None:
    """A second /programme setup with two options keeps the rest; /programme show lists every setting."""
    _, first = await command(
        fake,
        "programme setup",
        {"timezone": "Europe/Paris", "announcements": fake.channels.announcements, "reminder_offsets": "1d,1h"},
    )
    assert "set up" in first
    _, second = await command(
        fake,
        "programme setup",
        {"participant_role": fake.roles.participant, "facilitator_channel": fake.channels.facilitators},
    )
    assert "Saved: facilitator channel, participant role." in second
    programme = await bot.services.programme.get_programme(fake.guild_id)
    assert programme is not None
    assert programme.timezone == "Europe/Paris"
    assert programme.announcements_channel_id == fake.channels.announcements.id
    assert programme.reminder_offsets == (1440, 60)
    assert programme.participant_role_id == fake.roles.participant.id
    assert programme.facilitator_channel_id == fake.channels.facilitators.id
    _, shown = await command(fake, "programme show")
    assert "Europe/Paris" in shown and "1d,1h" in shown
    assert fake.channels.announcements.mention in shown and fake.roles.participant.mention in shown
    assert "Reflections\nnot set" in shown
    choices = await fake.autocomplete("programme setup", focused="timezone", value="Lond")
    await choices.response()
    assert {"name": "Europe/London", "value": "Europe/London"} in choices.choices


async def test_a_session_is_reminded_on_time_with_working_buttons_and_follows_edits_and_cancellation(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """Add, edit and cancel sessions; the due reminder arrives on time, pings only participants and its buttons work."""
    real_now = datetime.now(UTC)
    start = real_now.replace(second=0, microsecond=0) + timedelta(minutes=3)  # minute-aligned, 2-3 min ahead
    due = start - timedelta(minutes=1)  # the "1m" reminder
    clock = ShiftedClock(due - real_now - timedelta(seconds=REMINDER_LEAD))
    participant = fake.roles.participant
    async with running_bot(fake, fresh_database_url, clock=clock) as bot:
        await fake.wait_commands_synced()
        programme = bot.services.programme
        await command(fake, "programme setup", setup_options(fake, reminder_offsets="1m"))
        _, dm_text = await command(fake, "reminders dm", {"setting": "on"}, user=fake.users.pat)
        assert "Reminder DMs are on" in dm_text

        _, added = await command(
            fake,
            "session add",
            {
                "number": 1,
                "title": "Welcome",
                "starts": local(start),
                "channel": fake.channels.session_room,
                "speaker": "Fran",
            },
        )
        assert "Session 1 added: Welcome" in added and f"<t:{int(due.timestamp())}:f>" in added
        for number, title in ((2, "Grief and loss"), (3, "Carers")):
            await command(
                fake,
                "session add",
                {"number": number, "title": title, "starts": local(start), "location": "https://meet.example.org/x"},
            )
        one, two, three = [await programme.get_session_by_number(fake.guild_id, n) for n in (1, 2, 3)]
        events = events_by_name(fake)
        assert events["Session 1: Welcome"].channel_id == fake.channels.session_room.id
        assert events["Session 2: Grief and loss"].location == "https://meet.example.org/x"

        # Editing session 2's start moves its pending reminder; the old one must never go out.
        choices = await fake.autocomplete("session edit", focused="session", value="Grief")
        await choices.response()
        assert [c["value"] for c in choices.choices] == [two.number]
        moved = start + timedelta(days=1)
        _, edited = await command(fake, "session edit", {"session": two.number, "starts": local(moved)})
        assert "Session 2 updated" in edited
        assert await pending_reminders(bot, two.id) == [moved - timedelta(minutes=1)]
        assert events_by_name(fake)["Session 2: Grief and loss"].scheduled_start_time.startswith(
            moved.strftime("%Y-%m-%dT%H:%M")
        )

        # Cancelling session 3 stops its reminder and announces the cancellation at once.
        _, cancelled = await command(fake, "session cancel", {"session": three.number, "reason": "Snow"})
        assert "Session 3 cancelled" in cancelled
        assert await pending_reminders(bot, three.id) == []
        announcement = await fake.wait_for_message(fake.channels.announcements, lambda m: "is cancelled" in m.content)
        assert announcement.content.startswith(participant.mention) and announcement.mention_roles == [participant.id]
        assert "Snow" in announcement.text()
        assert events_by_name(fake)["Session 3: Carers"].status == 4  # CANCELED

        # Everyone: /sessions and /calendar.
        _, listing = await command(fake, "sessions", user=fake.users.pat)
        assert "1. Welcome" in listing and "2. Grief and loss" in listing and "Carers" not in listing
        ix, _ = await command(fake, "calendar", user=fake.users.pat)
        calendar = Calendar.from_ical(ix.last_reply().attachments[0].data)
        assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == [
            "Session 1: Welcome",
            "Session 2: Grief and loss",
            "Session 3: Carers",
        ]

        # The reminder of session 1 arrives on time, with the participant role as the only ping.
        assert clock.now() < due - timedelta(seconds=1), "the commands took longer than REMINDER_LEAD"
        reminder = await fake.wait_for_message(
            fake.channels.announcements, lambda m: "Session 1 starts" in m.content, timeout=REMINDER_LEAD + 5
        )
        lateness = (reminder.created_at - clock.real(due)).total_seconds()
        assert -0.05 <= lateness < 1.5, f"reminder {lateness:.2f} s off its due time"
        assert reminder.content.startswith(participant.mention)
        assert reminder.mention_roles == [participant.id] and reminder.mentions == []
        assert not reminder.mention_everyone
        allowed = reminder.allowed_mentions or {}
        assert [int(r) for r in allowed.get("roles", [])] == [participant.id] and allowed.get("parse") == []
        assert "Session 1 of 3" not in reminder.text()  # session 3 is cancelled: 1 of 2
        assert "Session 1 of 2" in reminder.text()
        assert reminder.find_component(ics_button_id(one.id)) and reminder.find_component(rsvp_button_id(one.id))
        assert reminder.nonce is not None and fake.nonce_counts[reminder.nonce] == 1

        dm = await fake.wait_for_dm(fake.users.pat, lambda m: "Session 1 starts" in m.content)
        assert dm.mention_roles == [] and participant.mention not in dm.content

        # "I'll be there" toggles and counts; "Add to calendar" answers with this session's .ics.
        click = await fake.click(reminder, rsvp_button_id(one.id), user=fake.users.pat)
        assert "1 person is coming" in await click.settle() and click.ephemeral
        click = await fake.click(reminder, rsvp_button_id(one.id), user=fake.users.sam)
        assert "2 people are coming" in await click.settle()
        click = await fake.click(reminder, rsvp_button_id(one.id), user=fake.users.pat)
        assert "no longer down as coming (1 person is coming)" in await click.settle()
        assert await programme.rsvp_count(one.id) == 1
        click = await fake.click(reminder, ics_button_id(one.id), user=fake.users.nora)
        await click.settle()
        assert click.ephemeral
        reply = click.last_reply()
        assert reply is not None and reply.attachments[0].filename == "session-1.ics"
        (event,) = Calendar.from_ical(reply.attachments[0].data).walk("VEVENT")
        assert event.decoded("DTSTART") == start and str(event["SUMMARY"]) == "Session 1: Welcome"

        # Past the old due time: neither the moved nor the cancelled session was reminded.
        await asyncio.sleep(1.0)
        assert len(reminders_in(fake, 1)) == 1
        assert reminders_in(fake, 2) == [] and reminders_in(fake, 3) == []
        assert [m.content for m in fake.dms_to(fake.users.pat)] == [dm.content]
        assert fake.ping_violations(allow_roles=[participant.id]) == []


async def test_the_session_option_means_the_session_number_whether_typed_or_picked(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    """Sessions 7 then 1 (ids 1 and 2): typing 1 edits session 1, not the row with id 1; unknown numbers are named."""
    await command(fake, "programme setup", setup_options(fake))
    await command(fake, "session add", {"number": 7, "title": "Celebrating", "starts": future()})
    await command(fake, "session add", {"number": 1, "title": "Welcome", "starts": future()})
    programme = bot.services.programme
    seven, one = [await programme.get_session_by_number(fake.guild_id, n) for n in (7, 1)]
    assert (seven.id, one.id) == (1, 2)  # the trap: id 1 is session 7

    choices = await fake.autocomplete("session edit", focused="session", value="Welc")
    await choices.response()
    assert [c["value"] for c in choices.choices] == [1]
    _, edited = await command(fake, "session edit", {"session": 1, "title": "Welcome and introductions"})
    assert "Session 1 updated" in edited
    assert (await programme.get_session_by_number(fake.guild_id, 1)).title == "Welcome and introductions"
    assert (await programme.get_session_by_number(fake.guild_id, 7)).title == "Celebrating"

    _, missing = await command(fake, "session cancel", {"session": 3, "reason": "Snow"})
    assert "could not find session 3" in missing
    _, refused = await command(fake, "session cancel", {"session": 3}, user=fake.users.pat, strict=False)
    assert refused.startswith("Only facilitators can"), refused  # who asks is checked before what they typed
    assert [s.is_cancelled for s in await programme.list_sessions(fake.guild_id)] == [False, False]


async def test_participants_and_members_without_the_role_are_refused_every_facilitator_command(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    """pat and nora get a friendly private refusal from every facilitator command, and nothing changes."""
    await command(fake, "programme setup", setup_options(fake))
    await command(fake, "session add", {"number": 1, "title": "Welcome", "starts": future()})
    programme = bot.services.programme
    session = await programme.get_session_by_number(fake.guild_id, 1)
    before = (
        await programme.get_programme(fake.guild_id),
        await programme.list_sessions(fake.guild_id),
        await all_deliveries(bot),
        [(e.id, e.name, e.scheduled_start_time, e.status) for e in fake.scheduled_events],
    )
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("programme setup", {"timezone": "Europe/Paris", "announcements": fake.channels.general}),
        ("programme show", {}),
        ("programme import", {"file": ("sessions.yaml", GOOD_YAML)}),
        ("session add", {"number": 2, "title": "Mine", "starts": future()}),
        ("session series", {"rule": "first Thursday of each month at 18:30", "count": 2}),
        ("session edit", {"session": session.number, "title": "Hijacked"}),
        ("session cancel", {"session": session.number, "reason": "because"}),
    ]
    for user in (fake.users.pat, fake.users.nora):
        with pytest.raises(ValueError, match="default_member_permissions"):
            await fake.slash("session add", {"number": 2, "title": "x", "starts": future()}, user=user)
        for name, options in attempts:
            _, text = await command(fake, name, options, user=user, strict=False)
            assert text.startswith("Only facilitators can"), (user.name, name, text)
    after = (
        await programme.get_programme(fake.guild_id),
        await programme.list_sessions(fake.guild_id),
        await all_deliveries(bot),
        [(e.id, e.name, e.scheduled_start_time, e.status) for e in fake.scheduled_events],
    )
    assert after == before
    assert fake.cdn_requests == []  # the refused import was never downloaded
    _, help_text = await command(fake, "help", user=fake.users.pat)
    assert "/sessions" in help_text and "/calendar" in help_text and "/reminders dm" in help_text
    assert "/session add" not in help_text and "/programme" not in help_text


async def test_bad_input_is_explained_privately_and_changes_nothing(fake: FakeDiscord, bot: RunningBot) -> None:
    """Unknown zone, bad offsets, bad dates, duplicates, text channels, broken files and DMs are explained."""
    programme = bot.services.programme
    _, text = await command(fake, "programme setup", {"timezone": "Europe/Londn"})
    assert '"Europe/Londn" is not a time zone I know' in text and "Europe/London" in text
    assert await programme.get_programme(fake.guild_id) is None
    await command(fake, "programme setup", setup_options(fake))
    _, text = await command(fake, "programme setup", {"reminder_offsets": "7d,1x,,1h"})
    assert '"1x" (part 2) is not a time' in text and "Part 3 is empty" in text
    assert (await programme.get_programme(fake.guild_id)).reminder_offsets == (10080, 1440, 60)  # type: ignore[union-attr]

    await command(fake, "session add", {"number": 1, "title": "Welcome", "starts": future()})
    before = (await programme.list_sessions(fake.guild_id), await all_deliveries(bot), len(fake.scheduled_events))
    stage = fake.channels.stage
    bad_sessions = [
        ({"number": 2, "title": "Past", "starts": "2020-01-02 18:30"}, "is in the past"),
        ({"number": 2, "title": "Vague", "starts": "tomorrow 6pm"}, "is not a date and time like 2026-10-01 18:30"),
        ({"number": 1, "title": "Again", "starts": future()}, "Session 1 already exists"),
        ({"number": 2, "title": "Text", "starts": future(), "channel": fake.channels.general}, "is a text channel"),
        ({"number": 2, "title": "Room", "starts": future(), "location": "Room 5"}, "neither an http(s) link"),
        ({"number": 2, "title": "Both", "starts": future(), "location": "https://a.org", "channel": stage}, "not both"),
    ]
    for options, expected in bad_sessions:
        _, text = await command(fake, "session add", options, strict=False)
        assert expected in text, (options, text)
    _, text = await command(fake, "programme import", {"file": ("sessions.csv", BROKEN_CSV)})
    assert text.startswith("Nothing was imported: the file has 4 problems.")  # row 1 clashes with session 1
    assert "line 2: Session 1 already exists" in text
    assert "line 3: " in text and "line 5: " in text and "line 6: " in text
    _, text = await command(fake, "programme import", {"file": ("big.csv", b"number,title,start\n" * 15_000)})
    assert "the limit is 256 KiB" in text
    assert [path for path in fake.cdn_requests if "big.csv" in path] == []
    dm = fake.dm_channel(fake.users.pat)
    _, text = await command(fake, "reminders dm", {"setting": "on"}, user=fake.users.pat, channel=dm, strict=False)
    assert "inside the programme's server, not in direct messages" in text
    assert not await programme.dm_reminders_enabled(fake.guild_id, fake.users.pat.id)
    after = (await programme.list_sessions(fake.guild_id), await all_deliveries(bot), len(fake.scheduled_events))
    assert after == before


async def test_import_and_series_add_every_session_or_none(
    fake: FakeDiscord, bot: RunningBot, fresh_database_url: str, tmp_path: Path
) -> None:
    """/programme import (dry run, then for real), /session series and `blether programme import` add sessions."""
    programme = bot.services.programme
    await command(fake, "programme setup", setup_options(fake))
    _, text = await command(fake, "programme import", {"file": ("sessions.yaml", GOOD_YAML), "dry_run": True})
    assert "Dry run" in text and "2 sessions are ready to add" in text
    assert await programme.list_sessions(fake.guild_id) == []
    _, text = await command(fake, "programme import", {"file": ("sessions.yaml", GOOD_YAML)})
    assert "Imported 2 sessions from sessions.yaml" in text and "5.** Schools: what works" in text

    _, text = await command(
        fake,
        "session series",
        {"rule": "first Thursday of each month at 18:30", "titles": "Tools, Stories", "start_number": 10},
    )
    assert "Added 2 sessions" in text
    numbers = [s.number for s in await programme.list_sessions(fake.guild_id)]
    assert sorted(numbers) == [4, 5, 10, 11]
    assert len(fake.scheduled_events) == 4

    env = bot_env(fake, fresh_database_url) | {"PYTHONPATH": str(REPO_ROOT)}
    good = tmp_path / "more.csv"
    good.write_text("number,title,start\n20,Harvest,2030-09-05 18:30\n21,Winter,2030-12-05 18:30\n")
    broken = tmp_path / "broken.csv"
    broken.write_bytes(BROKEN_CSV)
    guild = ("--guild", str(fake.guild_id))
    code, out, _ = await cli(env, tmp_path, "programme", "import", str(good), *guild, "--dry-run")
    assert code == 0 and "2 sessions are ready to add; nothing was stored." in out
    code, out, _ = await cli(env, tmp_path, "programme", "import", str(good), *guild)
    assert code == 0 and "Imported 2 sessions" in out and "2030-09-05 18:30" in out
    code, _, err = await cli(env, tmp_path, "programme", "import", str(broken), *guild)
    assert code == 1 and "line 3: " in err and "line 6: " in err
    sessions = {s.number: s for s in await programme.list_sessions(fake.guild_id)}
    assert sorted(sessions) == [4, 5, 10, 11, 20, 21]
    # The command line wires the same services as the bot: its sessions get the same scheduled work.
    assert await pending_kinds(bot, sessions[20].id) == await pending_kinds(bot, sessions[4].id)
    assert "session_reminder" in await pending_kinds(bot, sessions[20].id)
    # The command line cannot reach Discord: the bot creates the missing Scheduled Events when it (re)connects.
    assert len(fake.scheduled_events) == 4
    await bot.services.prepare_guild(fake.guild_id)
    assert {"Session 20: Harvest", "Session 21: Winter"} <= {e.name for e in fake.scheduled_events}
    assert len(fake.scheduled_events) == 6
    assert (await programme.get_session_by_number(fake.guild_id, 20)).event_id is not None


async def cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` and return its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_learning_outcomes_commands_and_import(fake: FakeDiscord, bot: RunningBot) -> None:
    """/programme outcomes add|edit|remove|list, and the shipped example file imports its four outcomes."""
    await command(fake, "programme setup", setup_options(fake))
    _, text = await command(fake, "programme outcomes add", {"text": "grow in confidence"})
    assert "1. grow in confidence" in text
    _, text = await command(fake, "programme outcomes edit", {"number": 1, "text": "grow **in** confidence"})
    assert "Changed outcome 1" in text
    _, text = await command(fake, "programme outcomes remove", {"number": 1})
    assert "No learning outcomes yet" in text
    _, text = await command(fake, "programme outcomes remove", {"number": 3})
    assert "no learning outcome 3" in text
    _, text = await command(fake, "programme outcomes add", {"text": "x"}, user=fake.users.pat, strict=False)
    assert "grow" not in text
    example = (REPO_ROOT / "docs" / "examples" / "programme-ten-sessions.yaml").read_bytes()
    _, text = await command(fake, "programme import", {"file": ("programme.yaml", example)})
    assert "Imported 10 sessions" in text and "Added 4 learning outcomes." in text
    _, text = await command(fake, "programme outcomes list")
    assert "4. value, empower, support and sustain volunteering" in text
