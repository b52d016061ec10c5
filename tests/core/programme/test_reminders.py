"""Reminder rendering, button ids and the delivery handlers run through the real dispatcher."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.messages import ButtonStyle, OutboundMessage
from bot.core.ports import PermanentSendError
from bot.core.programme.deliveries import FacilitatorNoticeHandler
from bot.core.programme.domain import Programme, ProgrammeSettingsUpdate, SessionDraft, SessionEdit
from bot.core.programme.ids import (
    ICS_TEMPLATE,
    ics_button_id,
    parse_ics_button_id,
    parse_rsvp_button_id,
    rsvp_button_id,
)
from bot.core.programme.render import reminder_message
from bot.core.programme.service import ProgrammeService
from bot.core.storage.database import Database
from bot.discord_render import render_message
from tests.core.programme.conftest import (
    ADMIN,
    ANNOUNCEMENTS,
    FACILITATOR,
    FACILITATOR_CHANNEL,
    GUILD,
    PARTICIPANT_ROLE,
    deliveries,
)
from tests.core.programme.fakes import FakeSender

START = datetime(2026, 3, 5, 18, 30, tzinfo=UTC)


async def add_ten(service: ProgrammeService) -> list:
    """Add sessions 1-10, one a week from 5 March 2026 at 18:30."""
    sessions = []
    for number in range(1, 11):
        when = (START + timedelta(weeks=number - 1)).astimezone().strftime("%Y-%m-%d")
        draft = SessionDraft(number, f"Theme {number}", f"{when} 18:30", description="We talk @everyone <@1>")
        sessions.append((await service.add_session(FACILITATOR, draft)).session)
    return sessions


def text_of(message: OutboundMessage) -> str:
    """Return every readable part of a message, as Discord gets it."""
    return render_message(message).text()


def content_of(message: OutboundMessage) -> str:
    """Return a message's content as Discord gets it."""
    return render_message(message).content or ""


async def test_reminder_renders_place_times_role_ping_and_buttons(
    service: ProgrammeService, programme: Programme
) -> None:
    """The reminder says "Session 3 of 10", shows full and relative times, pings only the role, has two buttons."""
    sessions = await add_ten(service)
    third = sessions[2]
    message = reminder_message(programme, third, active_count=10, offset_minutes=60)
    text = text_of(message)
    unix = int(third.starts_at.timestamp())
    assert "Session 3 of 10" in text
    assert f"<t:{unix}:F>" in text and f"<t:{unix}:R>" in text
    assert content_of(message) == f"<@&{PARTICIPANT_ROLE}> Session 3 starts <t:{unix}:R>"
    assert message.mention_role_ids == (PARTICIPANT_ROLE,)
    assert "@everyone" not in text and "<@1>" not in text
    assert [b.label for b in message.buttons] == ["Add to calendar", "I'll be there"]
    assert message.buttons[1].style == ButtonStyle.SUCCESS
    assert [b.custom_id for b in message.buttons] == [f"blether:ics:{third.id}", f"blether:rsvp:{third.id}"]
    assert parse_ics_button_id(message.buttons[0].custom_id or "") == third.id
    assert parse_rsvp_button_id(message.buttons[1].custom_id or "") == third.id
    dm = reminder_message(programme, third, active_count=10, offset_minutes=60, direct=True)
    assert dm.mention_role_ids == () and "<@&" not in content_of(dm)


def test_custom_ids_are_strict() -> None:
    """Only well-formed ids parse; all fit Discord's 100 characters."""
    assert ics_button_id(42) == "blether:ics:42" and rsvp_button_id(42) == "blether:rsvp:42"
    assert len(rsvp_button_id(9_223_372_036_854_775_807)) <= 100
    for bad in ["blether:ics:", "blether:ics:0", "blether:ics:01", "blether:ics:4x", "blether:ics:42 ", "x:ics:1"]:
        assert parse_ics_button_id(bad) is None
    assert parse_rsvp_button_id("blether:ics:1") is None
    assert re.fullmatch(ICS_TEMPLATE, "blether:ics:7")
    with pytest.raises(ValueError):
        ics_button_id(0)


async def test_due_reminder_is_posted_once_and_queues_opted_in_dms(
    service: ProgrammeService,
    programme: Programme,
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """At the 1h mark the reminder is posted in announcements and each opted-in person gets one DM."""
    sessions = await add_ten(service)
    await service.set_dm_reminders(GUILD, 701, True)
    await service.set_dm_reminders(GUILD, 702, True)
    await service.set_dm_reminders(GUILD, 703, False)
    clock.set(START - timedelta(hours=1))
    await dispatcher.run_due()
    await dispatcher.run_due()  # the DMs the reminder queued
    posts = [p for p in sender.posts if p.channel_id == ANNOUNCEMENTS]
    assert len(posts) == 1
    assert "Session 1 of 10" in text_of(posts[0].message)
    assert {d.user_id for d in sender.dms} == {701, 702}
    assert all(d.message.mention_role_ids == () for d in sender.dms)
    reminders = await deliveries(database, target=f"session:{sessions[0].id}")
    statuses = {r.payload["offset_minutes"]: r.status for r in reminders}
    # The 7d and 1d reminders were missed (nothing ran before): only the closest one goes out.
    assert statuses == {60: DeliveryStatus.SENT, 1440: DeliveryStatus.CANCELLED, 10080: DeliveryStatus.CANCELLED}
    await dispatcher.run_due()
    assert len(sender.posts) == 1 and len(sender.dms) == 2


async def test_moved_session_sends_only_the_new_reminder(
    service: ProgrammeService, programme: Programme, dispatcher: Dispatcher, clock: ManualClock, sender: FakeSender
) -> None:
    """After a move, reminders follow the new start only; the old start never appears."""
    session = (await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))).session
    await service.edit_session(FACILITATOR, session.id, SessionEdit(starts="2026-03-06 18:30"))
    new_start = START + timedelta(days=1)
    for offset in (timedelta(days=7), timedelta(days=1), timedelta(hours=1)):
        clock.set(new_start - offset)
        await dispatcher.run_due()
    assert len(sender.posts) == 3
    assert all(f"<t:{int(new_start.timestamp())}:R>" in content_of(p.message) for p in sender.posts)


async def test_cancellation_is_announced(
    service: ProgrammeService, programme: Programme, dispatcher: Dispatcher, sender: FakeSender
) -> None:
    """Cancelling posts one announcement with the reason and no reminder follows."""
    session = (await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))).session
    await service.cancel_session(FACILITATOR, session.id, "Speaker unwell")
    await dispatcher.run_due()
    assert len(sender.posts) == 1
    post = sender.posts[0]
    assert post.channel_id == ANNOUNCEMENTS and "Speaker unwell" in text_of(post.message)
    assert post.message.mention_role_ids == (PARTICIPANT_ROLE,)


async def test_facilitator_notices_go_to_the_facilitator_channel(
    service: ProgrammeService, database: Database, sender: FakeSender
) -> None:
    """A notice posts its text in the facilitator channel, or fails permanently with how to fix it."""
    handler = FacilitatorNoticeHandler(database.unit_of_work, sender)
    notice = _notice()
    with pytest.raises(PermanentSendError) as caught:
        await handler(notice)
    assert caught.value.reason == "set a facilitator channel with /programme setup facilitator_channel"
    await service.setup(ADMIN, ProgrammeSettingsUpdate(facilitator_channel_id=FACILITATOR_CHANNEL))
    await handler(notice)
    assert sender.posts[0].channel_id == FACILITATOR_CHANNEL
    assert content_of(sender.posts[0].message).startswith("The event could not be created")
    assert sender.posts[0].message.mention_role_ids == ()


def _notice() -> Delivery:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    return Delivery(
        id=1,
        guild_id=GUILD,
        kind="facilitator_notice",
        target="x",
        dedupe_key="notice:test",
        payload={"text": "The event could not be created."},
        due_at=now,
        deliver_before=now + timedelta(days=1),
        status=DeliveryStatus.CLAIMED,
        attempts=1,
        lease_until=None,
        message_id=None,
        last_error=None,
        created_at=now,
        sent_at=None,
    )


async def test_dm_is_skipped_for_someone_who_opted_out_meanwhile(
    service: ProgrammeService,
    programme: Programme,
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """A queued DM is cancelled, not sent, when its person turned DMs off before it went out."""
    await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    await service.set_dm_reminders(GUILD, 701, True)
    clock.set(START - timedelta(hours=1))
    await dispatcher.run_due()  # posts the reminder and queues the DM
    await service.set_dm_reminders(GUILD, 701, False)
    await dispatcher.run_due()
    assert sender.dms == []
    dms = await deliveries(database, kind="session_reminder_dm")
    assert [d.status for d in dms] == [DeliveryStatus.CANCELLED]


async def test_reminder_without_announcements_channel_fails_and_tells_facilitators(
    service: ProgrammeService, database: Database, dispatcher: Dispatcher, clock: ManualClock, sender: FakeSender
) -> None:
    """With no announcements channel the reminder fails for good and a notice explains the fix."""
    await service.setup(
        ADMIN, ProgrammeSettingsUpdate(facilitator_channel_id=FACILITATOR_CHANNEL, reminder_offsets="1h")
    )
    await service.add_session(ADMIN, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    clock.set(START - timedelta(hours=1))
    await dispatcher.run_due()
    await dispatcher.run_due()
    [reminder] = await deliveries(database, kind="session_reminder")
    assert reminder.status == DeliveryStatus.FAILED
    notices = [p for p in sender.posts if p.channel_id == FACILITATOR_CHANNEL]
    assert notices and "/programme setup announcements" in content_of(notices[0].message)
