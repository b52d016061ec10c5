"""Buttons pressed in direct messages carry a session but no server: only current members of its server may use them."""

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.core.programme.ids import ics_button_id, rsvp_button_id
from bot.core.programme.permissions import command_line_actor
from bot.core.programme.render import reminder_message
from bot.core.reflections import render as reflection_render
from bot.core.reflections.ids import attend_button_id, reflect_button_id
from tests.e2e.harness import RunningBot, running_bot
from tests.e2e.test_reflections import seed
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Message

pytestmark = pytest.mark.e2e


async def dm_buttons(running: RunningBot, fake: FakeDiscord, user: Any, session_id: int) -> Message:
    """DM user a reminder's and a reflection card's buttons, as Blether did before they left; return the DM."""
    services = running.services
    session = await services.programme.get_session(fake.guild_id, session_id)
    programme = await services.programme.show(fake.guild_id)
    reminder = reminder_message(programme, session, active_count=1, offset_minutes=60, direct=True)
    card = reflection_render.reflection_card(session, session.ends_at + timedelta(days=7))
    both = dataclasses.replace(reminder, buttons=reminder.buttons + card.buttons)
    sent = await services.sender.send_dm(user.id, both)
    return fake.message(sent.message_id)


async def test_old_dm_buttons_refuse_someone_who_left_the_server(fake: FakeDiscord, fresh_database_url: str) -> None:
    """After pat leaves, her old DM gives no calendar link, no RSVP, no reflection form and no check-in; sam's works."""
    now = datetime.now(UTC)
    session_id = await seed(fake, fresh_database_url, now - timedelta(minutes=30), now)
    async with running_bot(fake, fresh_database_url, clock=ManualClock(now)) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        for user in (fake.users.pat, fake.users.sam):
            await (await fake.slash("join", user=user)).settle()
        pat_dm = await dm_buttons(running, fake, fake.users.pat, session_id)
        sam_dm = await dm_buttons(running, fake, fake.users.sam, session_id)
        await fake.member_leave(fake.users.pat)
        await fake.wait_until(
            lambda: running.bot.get_guild(fake.guild_id).get_member(fake.users.pat.id) is None,  # type: ignore[union-attr]
            5,
            "the bot to see pat leave",
        )
        for custom_id in (
            ics_button_id(session_id),
            rsvp_button_id(session_id),
            reflect_button_id(session_id),
            attend_button_id(session_id),
        ):
            click = await fake.click(pat_dm, custom_id, user=fake.users.pat)
            text = await click.settle(timeout=10)
            assert "no longer a member" in text, (custom_id, text)
            assert click.ephemeral and click.modal is None
            assert all(not m.attachments for m in click.messages()), custom_id
        assert await running.services.programme.rsvp_count(session_id) == 0
        attended = await running.services.attendance.attendance(command_line_actor(fake.guild_id), session_id)
        assert attended.user_ids == ()

        calendar = await fake.click(sam_dm, ics_button_id(session_id), user=fake.users.sam)
        await calendar.settle(timeout=10)
        reply = calendar.last_reply()
        assert reply is not None and reply.attachments[0].filename == "session-1.ics"
        going = await fake.click(sam_dm, rsvp_button_id(session_id), user=fake.users.sam)
        assert "1 person is coming" in await going.settle(timeout=10)
        reflect = await fake.click(sam_dm, reflect_button_id(session_id), user=fake.users.sam)
        await reflect.settle(timeout=10)
        assert reflect.modal is not None
