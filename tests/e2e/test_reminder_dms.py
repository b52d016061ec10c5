"""Reminder DMs end to end: participants only, one facilitator notice per reminder, twice refused means off."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.domain import DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.programme.deliveries import SESSION_REMINDER_DM
from tests.e2e.harness import RunningBot, running_bot
from tests.e2e.test_programme import command, local, setup_options
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e

UNREACHED = "could not be reached by DM"


async def dms_finished(running: RunningBot, expected: int, timeout: float = 20) -> None:
    """Run the dispatcher until `expected` reminder DM rows exist and none is still pending or claimed."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with running.database.unit_of_work() as uow:
            rows = await uow.repo(SqlDeliveryRepository).list(kind=SESSION_REMINDER_DM)
        if len(rows) >= expected and all(
            r.status not in (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED) for r in rows
        ):
            return
        assert asyncio.get_running_loop().time() < deadline, [(r.dedupe_key, r.status) for r in rows]
        await running.services.dispatcher.run_due()  # the clock is manual: the dispatcher's own wake-ups lag
        await asyncio.sleep(0.1)


async def test_reminder_dms_need_join_refusals_make_one_notice_and_twice_turns_them_off(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """nora is sent to /join first; three closed DMs give one notice per reminder; after two they are off and told."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = ManualClock(now)
    start = now + timedelta(days=2)
    cara = await fake.member_join("cara", roles=[fake.roles.participant])
    closed = [fake.users.sam, fake.users.nora, cara]
    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        await command(fake, "programme setup", setup_options(fake, reminder_offsets="2h,1h"))
        _, refused = await command(fake, "reminders dm", {"setting": "on"}, user=fake.users.nora)
        assert "/join" in refused and "Reminder DMs are on" not in refused
        assert not await running.services.programme.dm_reminders_enabled(fake.guild_id, fake.users.nora.id)
        for user in (fake.users.pat, *closed):
            await command(fake, "join", user=user)
            _, text = await command(fake, "reminders dm", {"setting": "on"}, user=user)
            assert "Reminder DMs are on" in text
        for user in closed:
            fake.set_dms_open(user, False)
        await command(fake, "session add", {"number": 1, "title": "Welcome", "starts": local(start)})

        for round_, before in enumerate((timedelta(hours=2), timedelta(hours=1)), start=1):
            clock.set(start - before)  # a manual clock: run the dispatcher by hand after each jump
            await running.services.dispatcher.run_due()
            await fake.wait_for_message(
                fake.channels.announcements, lambda m: "Session 1 starts" in m.content and m.id, timeout=10
            )
            await dms_finished(running, expected=4 * round_)
            clock.advance(timedelta(minutes=5))
            await running.services.dispatcher.run_due()
            await fake.wait_until(
                lambda r=round_: (
                    len([m for m in fake.channel_messages(fake.channels.facilitators) if UNREACHED in m.content]) == r
                ),
                10,
                f"notice {round_}",
            )
        facilitators = fake.channel_messages(fake.channels.facilitators)
        notices = [m for m in facilitators if "DM" in m.text() or "direct message" in m.text().lower()]
        assert [m.content.split(" could")[0] for m in notices] == ["3 participants", "3 participants"], [
            m.content for m in notices
        ]
        assert all(m.mentions == [] and m.mention_roles == [] for m in notices)
        assert len([m for m in fake.dms_to(fake.users.pat) if "Session 1 starts" in m.text()]) == 2

        programme = running.services.programme
        for user in closed:
            assert not await programme.dm_reminders_enabled(fake.guild_id, user.id)
        ix, _ = await command(fake, "sessions", user=fake.users.sam)
        assert ix.original is not None and "Welcome" in ix.original.text()
        await fake.wait_until(lambda: len(ix.followups) >= 1, 5, "the DM note")
        note = ix.followups[-1]
        assert note.ephemeral and "reminder DMs are now off" in note.text() and "/reminders dm on" in note.text()
        again, _ = await command(fake, "sessions", user=fake.users.sam)
        await asyncio.sleep(0.5)
        assert not any("reminder DMs are now off" in m.text() for m in again.followups)

        await fake.member_leave(fake.users.pat)
        await fake.wait_until(
            lambda: running.bot.get_guild(fake.guild_id).get_member(fake.users.pat.id) is None,  # type: ignore[union-attr]
            5,
            "the bot to see pat leave",
        )
        for _ in range(50):
            if not await programme.dm_reminders_enabled(fake.guild_id, fake.users.pat.id):
                break
            await asyncio.sleep(0.1)
        assert not await programme.dm_reminders_enabled(fake.guild_id, fake.users.pat.id)
