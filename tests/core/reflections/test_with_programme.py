"""The poll deliveries live beside the programme's: re-planning reminders leaves them alone."""

from datetime import timedelta

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.programme.domain import ProgrammeSettingsUpdate, SessionDraft, SessionEdit
from bot.core.programme.service import ProgrammeService
from bot.core.reflections.deliveries import POLL_KINDS, REFLECTION_CARD
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database
from tests.core.reflections.conftest import FACILITATOR, pending


async def test_programme_edits_do_not_cancel_poll_deliveries_and_a_replan_follows_the_move(
    database: Database, clock: ManualClock
) -> None:
    """sync_reminders cancels the session's reminder target only; reschedule_poll then moves the card."""
    dispatcher = Dispatcher(database, clock, worker_id="test", poll_interval=None)
    programmes = ProgrammeService(database.unit_of_work, dispatcher, clock)
    reflections = ReflectionService(database, clock, dispatcher=dispatcher)
    try:
        await programmes.setup(FACILITATOR, ProgrammeSettingsUpdate(timezone="UTC", reminder_offsets="1d"))
        change = await programmes.add_session(
            FACILITATOR, SessionDraft(number=1, title="Listening", starts="2026-02-02 18:00")
        )
        assert await reflections.ensure_polls(FACILITATOR.guild_id) == 1
        before = {d.dedupe_key for d in await pending(database, POLL_KINDS)}
        assert len(before) == 3
        await programmes.edit_session(FACILITATOR, change.session.id, SessionEdit(title="Deep listening"))
        assert {d.dedupe_key for d in await pending(database, POLL_KINDS)} == before
        moved = await programmes.edit_session(FACILITATOR, change.session.id, SessionEdit(starts="2026-02-09 18:00"))
        async with database.unit_of_work() as uow:
            plan = await reflections.scheduler.reschedule_poll(uow, moved.session)
            await uow.commit()
        (card,) = await pending(database, [REFLECTION_CARD])
        assert card.due_at == moved.session.ends_at + timedelta(minutes=15)
        assert plan.wake_at == card.due_at
    finally:
        await dispatcher.stop(grace=1.0)
