"""Poll scheduling and the card, nudge and close deliveries, run through the real Dispatcher."""

from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import DeliveryStatus
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme, Session
from bot.core.reflections import deliveries as reflection_deliveries
from bot.core.reflections.attendance import AttendanceService
from bot.core.reflections.deliveries import (
    POLL_KINDS,
    REFLECTION_CARD,
    REFLECTION_CLOSE,
    REFLECTION_NUDGE,
    REFLECTION_NUDGE_DM,
    card_key,
)
from bot.core.reflections.domain import PollStatus
from bot.core.reflections.errors import PollAlreadyClosedError, PollAlreadyOpenError, PollNotOpenError
from bot.core.reflections.ids import attend_button_id, reflect_button_id
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database
from tests.core.fakes import FakeSender
from tests.core.reflections.conftest import (
    FACILITATOR,
    FACILITATOR_CHANNEL,
    REFLECTIONS_CHANNEL,
    add_session,
    answers,
    deliveries,
    join,
    member,
    move_session,
    opt_in_dms,
    pending,
)


@pytest.fixture
async def engine(database: Database, clock: ManualClock, sender: FakeSender) -> AsyncIterator[Dispatcher]:
    """A real Dispatcher with the reflection handlers registered (no timer; tests call run_due)."""
    dispatcher = Dispatcher(database, clock, worker_id="test", poll_interval=None)
    reflection_deliveries.register(dispatcher, database=database, clock=clock, sender=sender)
    yield dispatcher
    await dispatcher.stop(grace=1.0)


@pytest.fixture
def service(database: Database, clock: ManualClock, sender: FakeSender, engine: Dispatcher) -> ReflectionService:
    """The reflection service wired to the real dispatcher."""
    return ReflectionService(database, clock, sender=sender, dispatcher=engine)


async def planned(database: Database, reflections: ReflectionService, session: Session) -> None:
    """Plan a session's poll in a unit of work, as the programme service does."""
    async with database.unit_of_work() as uow:
        plan = await reflections.scheduler.schedule_poll(uow, session)
        await uow.commit()
    reflections.scheduler.wake(plan)


async def test_schedule_poll_plans_card_nudge_and_close_at_the_right_times(
    database: Database, clock: ManualClock, programme: Programme, reflections: ReflectionService
) -> None:
    """Card at end + 15 min, nudge 2 days before closing, close 7 days after the end."""
    session = await add_session(database, clock)
    await planned(database, reflections, session)
    rows = {d.kind: d for d in await pending(database, POLL_KINDS)}
    assert rows[REFLECTION_CARD].due_at == session.ends_at + timedelta(minutes=15)
    assert rows[REFLECTION_CARD].dedupe_key == card_key(session.id, session.ends_at)
    assert str(session.id) in rows[REFLECTION_CARD].dedupe_key
    assert rows[REFLECTION_CLOSE].due_at == session.ends_at + timedelta(days=7)
    assert rows[REFLECTION_NUDGE].due_at == session.ends_at + timedelta(days=5)
    assert {d.target for d in rows.values()} == {f"session:{session.id}:reflection"}


async def test_moving_a_session_replans_its_poll_and_cancels_the_old_rows(
    database: Database, clock: ManualClock, programme: Programme, reflections: ReflectionService
) -> None:
    """After an edit, reschedule_poll leaves exactly one pending row per kind, at the new times."""
    session = await add_session(database, clock)
    await planned(database, reflections, session)
    moved = await move_session(database, clock, session, session.starts_at + timedelta(days=3))
    async with database.unit_of_work() as uow:
        plan = await reflections.scheduler.reschedule_poll(uow, moved)
        await uow.commit()
    assert plan.wake_at == moved.ends_at + timedelta(minutes=15)
    rows = await pending(database, POLL_KINDS)
    assert sorted(d.kind for d in rows) == sorted([REFLECTION_CARD, REFLECTION_NUDGE, REFLECTION_CLOSE])
    card = next(d for d in rows if d.kind == REFLECTION_CARD)
    assert card.due_at == moved.ends_at + timedelta(minutes=15)
    cancelled = await deliveries(database, status=DeliveryStatus.CANCELLED)
    assert len(cancelled) == 3


async def test_cancel_poll_cancels_its_deliveries(
    database: Database, clock: ManualClock, programme: Programme, reflections: ReflectionService
) -> None:
    """A cancelled session has no pending poll deliveries, and its poll is marked cancelled."""
    session = await add_session(database, clock)
    await planned(database, reflections, session)
    async with database.unit_of_work() as uow:
        plan = await reflections.scheduler.cancel_poll(uow, session.id)
        await uow.commit()
    assert plan.poll is not None and plan.poll.status is PollStatus.CANCELLED
    assert await pending(database, POLL_KINDS) == []


async def test_ensure_polls_plans_every_session_once(
    database: Database, clock: ManualClock, programme: Programme, reflections: ReflectionService
) -> None:
    """ensure_polls covers existing sessions and is idempotent; long-closed sessions are skipped."""
    await add_session(database, clock, number=1)
    await add_session(database, clock, number=2, starts_at=clock.now() + timedelta(days=30))
    await add_session(database, clock, number=3, starts_at=clock.now() - timedelta(days=30))
    assert await reflections.ensure_polls(programme.guild_id) == 2
    assert await reflections.ensure_polls(programme.guild_id) == 2
    assert len(await pending(database, [REFLECTION_CARD])) == 2


async def test_the_card_posts_with_both_buttons_and_its_message_id_is_stored(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    engine: Dispatcher,
    sender: FakeSender,
) -> None:
    """At end + 15 minutes the card goes to the reflections channel and the poll opens."""
    session = await add_session(database, clock)
    await planned(database, service, session)
    clock.set(session.ends_at + timedelta(minutes=15))
    await engine.run_due()
    (card,) = sender.channel_posts
    assert card.channel_id == REFLECTIONS_CHANNEL
    assert f"Session {session.number}" in card.text() and "Thank you" in card.text()
    assert [b.custom_id for b in card.message.buttons] == [reflect_button_id(session.id), attend_button_id(session.id)]
    assert [b.label for b in card.message.buttons] == ["Reflect", "I attended"]
    poll = await service.poll(FACILITATOR, session.id)
    assert poll.status is PollStatus.OPEN
    assert poll.card_message_id == card.message_id
    assert poll.questions is not None and len(poll.questions) == 5
    await engine.run_due()
    assert len(sender.channel_posts) == 1


async def test_close_disables_the_card_and_posts_the_summary(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    participants: ParticipantService,
    attendance: AttendanceService,
    engine: Dispatcher,
    sender: FakeSender,
) -> None:
    """The summary gives responses against attendance, the rating distribution and ≤ 3 consented quotes only."""
    session = await add_session(database, clock)
    await planned(database, service, session)
    await join(participants, 1, 2, 3, 4, quote=True)
    await join(participants, 5, quote=False)
    await join(participants, 6)
    clock.set(session.ends_at + timedelta(minutes=15))
    await engine.run_due()
    for user_id in range(1, 9):
        if user_id <= 6:
            await attendance.mark_attendance(FACILITATOR, session.id, user_id)
    await participants.join(member(7))
    await attendance.mark_attendance(FACILITATOR, session.id, 7)
    await attendance.mark_attendance(FACILITATOR, session.id, 8)
    said = {1: "Hearing from Skye", 2: "The breakout rooms", 3: "Time to talk", 4: "@everyone the tea", 5: "Secret"}
    for user_id, words in said.items():
        await service.submit_reflection(member(user_id), session.id, answers(rating="5", worked=words, quote=True))
    await service.submit_reflection(member(6), session.id, answers(rating="2", worked="Not quoted", quote=True))
    clock.set(session.ends_at + timedelta(days=7))
    await engine.run_due()
    (channel_id, message_id, closed) = sender.edits[-1]
    assert (channel_id, message_id) == (REFLECTIONS_CHANNEL, sender.channel_posts[0].message_id)
    assert all(b.disabled for b in closed.buttons)
    summary = next(p for p in sender.channel_posts if p.channel_id == FACILITATOR_CHANNEL)
    text = summary.text()
    assert "6 responses from 8 attendees (75%)" in text
    assert "5 ★ ████████████ 5" in text and "2 ★ ██ 1" in text and "1 ★  0" in text
    assert text.count("> “") == 3
    assert "Secret" not in text and "Not quoted" not in text
    assert "@everyone" not in text
    poll = await service.poll(FACILITATOR, session.id)
    assert poll.status is PollStatus.CLOSED


async def test_nudge_posts_without_names_and_dms_attendees_who_opted_in_and_have_not_reflected(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    participants: ParticipantService,
    attendance: AttendanceService,
    engine: Dispatcher,
    sender: FakeSender,
) -> None:
    """Only attendee 2 (opted in, no reflection) gets a DM; 1 reflected, 3 did not opt in, 4 did not attend."""
    session = await add_session(database, clock)
    await planned(database, service, session)
    await join(participants, 1, 2, 3, 4)
    await opt_in_dms(database, clock, 1, 2, 4)
    clock.set(session.ends_at + timedelta(minutes=15))
    await engine.run_due()
    for user_id in (1, 2, 3):
        await attendance.mark_attendance(FACILITATOR, session.id, user_id)
    await service.submit_reflection(member(1), session.id, answers())
    clock.set(session.ends_at + timedelta(days=5))
    await engine.run_due()
    await engine.run_due()
    nudge = sender.channel_posts[-1]
    assert nudge.channel_id == REFLECTIONS_CHANNEL
    assert "user" not in nudge.text().lower()
    assert [b.custom_id for b in nudge.message.buttons] == [reflect_button_id(session.id)]
    assert [d.user_id for d in sender.dms] == [2]
    dm_rows = await deliveries(database, kind=REFLECTION_NUDGE_DM)
    assert [d.status for d in dm_rows] == [DeliveryStatus.SENT]


async def test_results_count_without_names_or_ids_and_recap_hides_small_means(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    participants: ParticipantService,
    attendance: AttendanceService,
) -> None:
    """PollResults carries counts, rates and quotes only; the recap mean needs at least five ratings."""
    session = await add_session(database, clock, starts_at=clock.now() - timedelta(hours=2))
    await join(participants, 101, 102, 103, 104, quote=True)
    for user_id, rating in ((101, "5"), (102, "4"), (103, "4"), (104, "1")):
        await attendance.mark_attendance(FACILITATOR, session.id, user_id)
        await service.submit_reflection(member(user_id), session.id, answers(rating=rating, quote=True))
    results = await service.results(FACILITATOR, session.id)
    assert (results.responses, results.attendance, results.ratings) == (4, 4, 4)
    assert results.response_rate == 1.0
    assert dict(results.distribution) == {1: 1, 2: 0, 3: 0, 4: 2, 5: 1}
    assert results.mean_rating == 3.5
    assert len(results.quotes) == 3
    flat = repr([getattr(results, f.name) for f in fields(results)])
    for user_id in (101, 102, 103, 104):
        assert str(user_id) not in flat
    recap = await service.session_recap(programme.guild_id, session.id)
    assert (recap.attendance_count, recap.reflections_count, recap.average_rating) == (4, 4, None)
    await join(participants, 105)
    await service.submit_reflection(member(105), session.id, answers(rating="3"))
    recap = await service.session_recap(programme.guild_id, session.id)
    assert recap.average_rating == 3.4 and recap.rating_count == 5
    assert len(recap.quotes) == 3
    assert recap.quoted_user_ids == (101, 102, 103)
    assert recap.session_number == session.number


async def test_withdrawn_quote_consent_removes_quotes(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    participants: ParticipantService,
) -> None:
    """The quote box alone is not enough: the person's current quote consent must be yes too."""
    session = await add_session(database, clock, starts_at=clock.now() - timedelta(hours=2))
    await join(participants, 1, quote=True)
    await service.submit_reflection(member(1), session.id, answers(worked="Lovely", quote=True))
    assert len((await service.results(FACILITATOR, session.id)).quotes) == 1
    text = await participants.consent_text(programme.guild_id)
    await participants.record_consent(member(1), {"quote": False}, text_version=text.version)
    assert (await service.results(FACILITATOR, session.id)).quotes == ()


async def test_open_and_close_by_hand(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    participants: ParticipantService,
    engine: Dispatcher,
    sender: FakeSender,
) -> None:
    """open_poll posts the card now; close_poll closes at once; reopening enables the card again."""
    session = await add_session(database, clock, starts_at=clock.now() - timedelta(minutes=60))
    await planned(database, service, session)
    await service.open_poll(FACILITATOR, session.id)
    await engine.run_due()
    assert len(sender.channel_posts) == 1
    with pytest.raises(PollAlreadyOpenError):
        await service.open_poll(FACILITATOR, session.id)
    closed = await service.close_poll(FACILITATOR, session.id)
    assert closed.status is PollStatus.CLOSED
    with pytest.raises(PollAlreadyClosedError):
        await service.close_poll(FACILITATOR, session.id)
    await engine.run_due()
    assert any(p.channel_id == FACILITATOR_CHANNEL for p in sender.channel_posts)
    assert all(b.disabled for b in sender.edits[-1][2].buttons)
    reopened = await service.open_poll(FACILITATOR, session.id)
    assert reopened.status is PollStatus.OPEN
    assert reopened.closes_at == clock.now() + timedelta(days=7)
    assert not any(b.disabled for b in sender.edits[-1][2].buttons)
    await join(participants, 1)
    assert (await service.submit_reflection(member(1), session.id, answers())).created


async def test_opening_reflections_before_the_session_lets_people_reflect_at_once(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    participants: ParticipantService,
    engine: Dispatcher,
    sender: FakeSender,
) -> None:
    """/reflection open before the start posts a card whose Reflect button works: the form opens, answers save."""
    session = await add_session(database, clock)  # tomorrow
    await join(participants, 1)
    await service.open_poll(FACILITATOR, session.id)
    await engine.run_due()
    assert len(sender.channel_posts) == 1  # the card, now
    form = await service.reflection_form(member(1), session.id)
    assert [f.id for f in form.fields][:2] == ["q1", "q2"]
    saved = await service.submit_reflection(member(1), session.id, answers())
    assert saved.created and saved.session_id == session.id


async def test_without_opening_by_hand_reflections_wait_for_the_start(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    participants: ParticipantService,
) -> None:
    """A planned poll takes no answers before its session starts, from the form or the writer alike."""
    session = await add_session(database, clock)
    await planned(database, service, session)
    await join(participants, 1)
    with pytest.raises(PollNotOpenError):
        await service.reflection_form(member(1), session.id)
    with pytest.raises(PollNotOpenError):
        await service.submit_reflection(member(1), session.id, answers())
    clock.set(session.starts_at)
    assert (await service.submit_reflection(member(1), session.id, answers())).created


async def test_a_session_moved_after_planning_does_not_post_the_stale_card(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    engine: Dispatcher,
    sender: FakeSender,
) -> None:
    """Only the card of the current end time is posted."""
    session = await add_session(database, clock)
    await planned(database, service, session)
    moved = await move_session(database, clock, session, session.starts_at + timedelta(hours=1))
    await planned(database, service, moved)
    clock.set(session.ends_at + timedelta(minutes=15))
    await engine.run_due()
    assert sender.channel_posts == []
    clock.set(moved.ends_at + timedelta(minutes=15))
    await engine.run_due()
    assert len(sender.channel_posts) == 1


async def test_without_a_reflections_channel_the_card_fails_with_a_fix(
    database: Database, clock: ManualClock, service: ReflectionService, engine: Dispatcher
) -> None:
    """No programme channel: the card fails permanently and the facilitators are told how to fix it."""
    session = await add_session(database, clock)
    await planned(database, service, session)
    clock.set(session.ends_at + timedelta(minutes=15))
    await engine.run_due()
    (card,) = await deliveries(database, kind=REFLECTION_CARD)
    assert card.status is DeliveryStatus.FAILED
    assert "reflections channel" in (card.last_error or "")


async def test_a_session_moved_without_replanning_heals_itself(
    database: Database,
    clock: ManualClock,
    programme: Programme,
    service: ReflectionService,
    engine: Dispatcher,
    sender: FakeSender,
) -> None:
    """If the poll was not re-planned after a move, the stale card re-plans it instead of posting early."""
    session = await add_session(database, clock)
    await planned(database, service, session)
    moved = await move_session(database, clock, session, session.starts_at + timedelta(days=1))
    clock.set(session.ends_at + timedelta(minutes=15))
    await engine.run_due()
    assert sender.channel_posts == []
    card = next(d for d in await pending(database, [REFLECTION_CARD]))
    assert card.due_at == moved.ends_at + timedelta(minutes=15)
    clock.set(moved.ends_at + timedelta(minutes=15))
    await engine.run_due()
    assert len(sender.channel_posts) == 1
