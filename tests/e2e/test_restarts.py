"""Reminders survive crashes: `python -m bot run` processes SIGKILLed around a due time, on one database.

One fake Discord keeps running while bot processes come and go. Reminder times are whole minutes, so
each process runs with Blether's SystemClock shifted by a fixed number of seconds (a test-only
sitecustomize reads BLETHER_TEST_CLOCK_OFFSET): a due time is then seconds away instead of minutes,
and a later process can start "long after" the session began. The dispatcher schedules its wake-ups
by distance from the clock, so a constant shift within a process keeps every wake-up on time.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.delivery.domain import Delivery
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.programme.ids import rsvp_button_id
from bot.core.storage.database import Database
from tests.e2e.harness import Bots
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Message

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LONDON = ZoneInfo("Europe/London")
MESSAGES = "/channels/{channel_id}/messages"
STATUS_TIMEOUT = 15.0


@pytest.fixture
async def bots(fake: FakeDiscord, fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Bots]:
    """Yield a starter of bot processes; every process is killed at the end."""
    starter = Bots(fake, fresh_database_url, tmp_path)
    try:
        yield starter
    finally:
        starter.stop_all()


async def reminder_rows(database_url: str) -> list[Delivery]:
    """Read the session_reminder rows straight from the database."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            return await uow.repo(SqlDeliveryRepository).list(kind="session_reminder")
    finally:
        await database.dispose()


async def set_up_with_session(fake: FakeDiscord, start: datetime) -> None:
    """Set the programme up with a 1-minute reminder and add session 1 starting at `start`."""
    setup = await fake.slash(
        "programme setup",
        {
            "timezone": "Europe/London",
            "announcements": fake.channels.announcements,
            "facilitator_channel": fake.channels.facilitators,
            "participant_role": fake.roles.participant,
            "reminder_offsets": "1m",
        },
    )
    assert "set up" in await setup.settle(timeout=10)
    starts = start.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    added = await fake.slash("session add", {"number": 1, "title": "Welcome", "starts": starts})
    assert "Session 1 added" in await added.settle(timeout=10)


def reminders(fake: FakeDiscord) -> list[Message]:
    """Return the reminders of session 1 in the announcements channel."""
    return [m for m in fake.channel_messages(fake.channels.announcements) if "Session 1 starts" in m.content]


def is_reminder(message: Message) -> bool:
    """Tell whether a message is session 1's reminder."""
    return "Session 1 starts" in message.content


async def wait_for_status(database_url: str, wanted: str) -> Delivery:
    """Wait (up to STATUS_TIMEOUT s) until the one reminder row has the wanted status; return it."""
    deadline = time.monotonic() + STATUS_TIMEOUT
    while True:
        rows = await reminder_rows(database_url)
        if len(rows) == 1 and str(rows[0].status) == wanted:
            return rows[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"the reminder rows are {[(r.id, str(r.status)) for r in rows]}, not one {wanted}")
        await asyncio.sleep(0.2)


def next_minute(after: timedelta) -> datetime:
    """Return the first whole minute at least `after` from now."""
    return (datetime.now(UTC) + after).replace(second=0, microsecond=0) + timedelta(minutes=1)


async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_after_the_restart(
    fake: FakeDiscord, bots: Bots, fresh_database_url: str
) -> None:
    """Killed before the due time, restarted after it: the reminder goes out once, late; a further restart adds none."""
    start = next_minute(timedelta(minutes=4))
    due = start - timedelta(minutes=1)
    first, _ = await bots.start()
    await set_up_with_session(fake, start)
    first.kill()  # before the due time
    assert reminders(fake) == []

    second, offset = await bots.start(shifted_to=due + timedelta(seconds=3))  # restarted after it
    reminder = await fake.wait_for_message(fake.channels.announcements, is_reminder, timeout=10)
    row = await wait_for_status(fresh_database_url, "sent")
    second.kill()

    third, _ = await bots.start(offset=offset)  # another crash and restart: nothing is sent again
    click = await fake.click(reminder, rsvp_button_id(int(row.payload["session_id"])), user=fake.users.pat)
    assert "1 person is coming" in await click.settle(timeout=10)  # the button still works after restarts
    assert [m.id for m in reminders(fake)] == [reminder.id]
    assert reminder.nonce is not None and fake.nonce_counts[reminder.nonce] == 1
    third.terminate()


async def test_a_reminder_posted_just_before_a_crash_is_not_posted_again(
    fake: FakeDiscord, bots: Bots, fresh_database_url: str
) -> None:
    """Killed right after posting (before recording it): on restart the same nonce makes Discord drop the repeat."""
    start = next_minute(timedelta(minutes=2))
    due = start - timedelta(minutes=1)
    first, offset = await bots.start(shifted_to=due - timedelta(seconds=20))  # room for set-up on a busy machine
    await set_up_with_session(fake, start)
    rows = await reminder_rows(fresh_database_url)
    assert [str(r.status) for r in rows] == ["pending"], "the set-up took longer than the lead before the due time"
    # Discord creates the message but the bot never hears back (the connection drops): then the bot dies.
    fake.inject(MESSAGES, "POST", kind="reset_after", where=lambda r: str(fake.channels.announcements.id) in r.path)
    reminder = await fake.wait_for_message(fake.channels.announcements, is_reminder, timeout=30)
    first.kill()
    assert str((await reminder_rows(fresh_database_url))[0].status) != "sent"

    second, _ = await bots.start(offset=offset)
    await wait_for_status(fresh_database_url, "sent")
    assert [m.id for m in reminders(fake)] == [reminder.id]
    assert reminder.nonce is not None and fake.nonce_counts[reminder.nonce] >= 2  # retried, and deduplicated
    assert len(fake.messages_by_nonce[reminder.nonce]) == 1
    second.terminate()


async def test_a_reminder_missed_past_the_session_start_expires_and_the_facilitators_are_told(
    fake: FakeDiscord, bots: Bots, fresh_database_url: str
) -> None:
    """Down from before the due time until long after the session began: no reminder, a notice naming it."""
    start = next_minute(timedelta(minutes=4))
    first, _ = await bots.start()
    await set_up_with_session(fake, start)
    first.kill()

    second, _ = await bots.start(shifted_to=start + timedelta(hours=3))
    notice = await fake.wait_for_message(
        fake.channels.facilitators, lambda m: "While Blether was offline" in m.content, timeout=10
    )
    assert "reminder 1 minute before session 1" in notice.content
    assert "Nothing was posted for these" in notice.content
    assert notice.mentions == [] and notice.mention_roles == [] and not notice.mention_everyone
    row = await wait_for_status(fresh_database_url, "expired")
    assert row.due_at == start - timedelta(minutes=1)
    assert reminders(fake) == []
    second.terminate()
