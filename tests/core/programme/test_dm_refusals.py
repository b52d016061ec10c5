"""Reminder DMs: only participants opt in, leavers are opted out, refusals make one notice, twice stops them."""

from datetime import timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import FACILITATOR_NOTICE, DeliveryStatus, NewDelivery
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.participants.errors import NotRegisteredError
from bot.core.participants.service import ParticipantService
from bot.core.programme.deliveries import SESSION_REMINDER_DM, SESSION_REMINDER_DM_SUMMARY
from bot.core.programme.domain import Programme, ProgrammeSettingsUpdate, SessionDraft
from bot.core.programme.render import DM_STOPPED_NOTE
from bot.core.programme.repository import SqlReminderPreferenceRepository
from bot.core.programme.service import ProgrammeService
from bot.core.storage.database import Database
from tests.core.programme.conftest import ADMIN, FACILITATOR, FACILITATOR_CHANNEL, GUILD, deliveries, join
from tests.core.programme.fakes import FakeSender
from tests.core.programme.test_reminders import START, content_of

OPEN = (801, 802)
CLOSED = tuple(range(901, 908))  # seven people whose settings refuse DMs from the server's bots


async def preference(database: Database, user_id: int):
    """Return someone's stored reminder preference."""
    async with database.unit_of_work() as uow:
        return await uow.repo(SqlReminderPreferenceRepository).get(GUILD, user_id)


async def opt_in(service: ProgrammeService, database: Database, clock: ManualClock, *user_ids: int) -> None:
    """Join and turn reminder DMs on for each person."""
    await join(database, clock, *user_ids)
    for user_id in user_ids:
        await service.set_dm_reminders(GUILD, user_id, True)


async def run_reminder(dispatcher: Dispatcher, clock: ManualClock, at: timedelta) -> None:
    """Run the reminder due `at` before START, its DMs, then its refused-DM count a few minutes later."""
    clock.set(START - at)
    await dispatcher.run_due()  # the channel post, which queues the DMs and the count
    await dispatcher.run_due()  # the DMs
    clock.advance(timedelta(minutes=5))
    await dispatcher.run_due()  # the count of refused DMs


async def hold_back_dms(database: Database, clock: ManualClock, delay: timedelta) -> None:
    """Make every pending reminder DM due only after delay (re-adding a cancelled key re-opens it)."""
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlDeliveryRepository)
        for dm in await repo.list(kind=SESSION_REMINDER_DM, status=DeliveryStatus.PENDING):
            await repo.cancel(dm.dedupe_key, now=clock.now())
            later = NewDelivery(
                dm.guild_id, dm.kind, dm.target, dm.dedupe_key, clock.now() + delay, dm.deliver_before, dm.payload
            )
            await repo.add(later, now=clock.now())
        await uow.commit()


def facilitator_posts(sender: FakeSender) -> list[str]:
    """Return what was posted in the facilitator channel."""
    return [content_of(p.message) for p in sender.posts if p.channel_id == FACILITATOR_CHANNEL]


async def test_only_active_participants_can_turn_reminder_dms_on(
    service: ProgrammeService, programme: Programme, database: Database, clock: ManualClock
) -> None:
    """Without /join (or after leaving) "on" is refused, pointing to /join, and nothing is stored; "off" works."""
    with pytest.raises(NotRegisteredError, match="/join"):
        await service.set_dm_reminders(GUILD, 701, True)
    assert await preference(database, 701) is None
    assert not await service.set_dm_reminders(GUILD, 701, False)
    await join(database, clock, 701)
    assert await service.set_dm_reminders(GUILD, 701, True)
    await ParticipantService(database, clock).mark_left(GUILD, 701)
    with pytest.raises(NotRegisteredError):
        await service.set_dm_reminders(GUILD, 701, True)


async def test_leaving_the_server_turns_reminder_dms_off_for_good(
    service: ProgrammeService, programme: Programme, database: Database, clock: ManualClock
) -> None:
    """A participant who leaves stops getting reminder DMs, and coming back does not turn them on again."""
    participants = ParticipantService(database, clock)
    await opt_in(service, database, clock, 701)
    await participants.mark_left(GUILD, 701)
    assert not await service.dm_reminders_enabled(GUILD, 701)
    await participants.mark_rejoined(GUILD, 701)
    assert not await service.dm_reminders_enabled(GUILD, 701)


async def test_a_legacy_opt_in_without_join_gets_no_dm(
    service: ProgrammeService,
    programme: Programme,
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """An opt-in stored before only participants could opt in (no participant row) is not sent a reminder."""
    await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    async with database.unit_of_work() as uow:
        await uow.repo(SqlReminderPreferenceRepository).set_dm(GUILD, 777, True, now=clock.now())
        await uow.commit()
    await opt_in(service, database, clock, 801)
    await run_reminder(dispatcher, clock, timedelta(hours=1))
    assert [d.user_id for d in sender.dms] == [801]


async def test_refused_dms_of_one_reminder_make_one_notice(
    service: ProgrammeService,
    programme: Programme,
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """Seven refused DMs give one facilitator notice ("7 participants could not be reached by DM"), no names."""
    await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    await opt_in(service, database, clock, *OPEN, *CLOSED)
    sender.closed_dms.update(CLOSED)
    await run_reminder(dispatcher, clock, timedelta(hours=1))
    assert {d.user_id for d in sender.dms} == set(OPEN)
    [notice] = facilitator_posts(sender)
    assert notice.startswith("7 participants could not be reached by DM for the reminder 1 hour before Session 1")
    assert "DMs closed" in notice and not any(str(u) in notice for u in CLOSED)
    assert await deliveries(database, kind=FACILITATOR_NOTICE) == []
    dms = await deliveries(database, kind=SESSION_REMINDER_DM)
    assert sorted(d.status for d in dms).count(DeliveryStatus.FAILED) == 7
    await dispatcher.run_due()
    assert len(facilitator_posts(sender)) == 1


async def test_no_refusal_means_no_notice(
    service: ProgrammeService,
    programme: Programme,
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """When every DM goes out the count posts nothing (its row is done without a message)."""
    await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    await opt_in(service, database, clock, *OPEN)
    await run_reminder(dispatcher, clock, timedelta(hours=1))
    assert facilitator_posts(sender) == []
    [count] = await deliveries(database, kind=SESSION_REMINDER_DM_SUMMARY)
    assert (count.status, count.message_id) == (DeliveryStatus.SENT, None)


async def test_the_notice_waits_for_dms_still_on_their_way(
    service: ProgrammeService,
    programme: Programme,
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """If the count comes due while DMs are still queued, it waits for them instead of counting too early."""
    await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    await opt_in(service, database, clock, *CLOSED)
    sender.closed_dms.update(CLOSED)
    clock.set(START - timedelta(hours=1))
    await dispatcher.run_due()  # posts the reminder, queues seven DMs and the count
    [count] = await deliveries(database, kind=SESSION_REMINDER_DM_SUMMARY)
    await hold_back_dms(database, clock, timedelta(minutes=30))  # as if the DM lane were far behind
    clock.set(count.due_at)
    await dispatcher.run_due()
    assert facilitator_posts(sender) == []
    [waiting] = await deliveries(database, kind=SESSION_REMINDER_DM_SUMMARY)
    assert (waiting.status, waiting.attempts) == (DeliveryStatus.PENDING, 0)
    clock.advance(timedelta(minutes=30))
    await dispatcher.run_due()  # the DMs
    clock.advance(timedelta(minutes=10))
    await dispatcher.run_due()  # the count
    assert [p.split(" could")[0] for p in facilitator_posts(sender)] == ["7 participants"]


async def test_two_refusals_in_a_row_turn_dms_off_and_leave_one_note(
    service: ProgrammeService,
    programme: Programme,
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """Refused at the 1-day and the 1-hour reminders: DMs go off and the person is told once; one DM between resets."""
    await service.setup(ADMIN, ProgrammeSettingsUpdate(reminder_offsets="7d,1d,1h"))
    await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    await opt_in(service, database, clock, 901, 902)
    sender.closed_dms.update({901, 902})
    await run_reminder(dispatcher, clock, timedelta(days=7))
    assert (await preference(database, 901)).dm_failures == 1
    sender.closed_dms.discard(902)  # 902 opened their DMs: the count starts again
    await run_reminder(dispatcher, clock, timedelta(days=1))
    stopped, kept = await preference(database, 901), await preference(database, 902)
    assert (stopped.dm_enabled, stopped.stopped_notice_pending) == (False, True)
    assert (kept.dm_enabled, kept.dm_failures, kept.stopped_notice_pending) == (True, 0, False)
    assert await service.take_dm_stopped_note(GUILD, 901) == DM_STOPPED_NOTE
    assert await service.take_dm_stopped_note(GUILD, 901) is None
    assert await service.take_dm_stopped_note(GUILD, 902) is None
    await run_reminder(dispatcher, clock, timedelta(hours=1))
    assert [d.user_id for d in sender.dms].count(902) == 2 and 901 not in {d.user_id for d in sender.dms}
    assert await service.set_dm_reminders(GUILD, 901, True)
    assert (await preference(database, 901)).dm_failures == 0
