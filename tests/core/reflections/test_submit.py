"""Reflection forms and answers: built from the question sets, validated, saved once per person, closed on time."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.clock import ManualClock
from bot.core.errors import ClosedError, ValidationError
from bot.core.participants.errors import NotRegisteredError
from bot.core.participants.membership import NotAMemberError
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.programme.errors import SessionNotFoundError
from bot.core.reflections.errors import MissingAnswerError, PollClosedError, PollNotOpenError, TamperedAnswersError
from bot.core.reflections.questions import QuestionKind
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database
from bot.core.storage.models.reflections import ResponseRow
from tests.core.reflections.conftest import FACILITATOR, add_session, answers, join, member


async def response_count(database: Database) -> int:
    """Count stored responses."""
    async with database.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count(ResponseRow.id))) or 0)


@pytest.fixture
async def ended(database: Database, clock: ManualClock, programme: Programme, participants: ParticipantService):
    """A session that ended 20 minutes ago, and participant 1."""
    session = await add_session(database, clock, starts_at=clock.now() - timedelta(minutes=110))
    await join(participants, 1)
    return session


async def test_form_of_the_appreciative_set_has_five_fields_with_stable_ids(
    reflections: ReflectionService, ended
) -> None:
    """The default form has q1..q5: a 1-5 rating, two long texts, a short text and the quote checkbox."""
    form = await reflections.reflection_form(member(1), ended.id)
    assert form.custom_id == f"blether:reflection:{ended.id}"
    assert len(form.title) <= 45
    assert [f.id for f in form.fields] == ["q1", "q2", "q3", "q4", "q5"]
    assert [f.kind for f in form.fields] == [
        QuestionKind.RATING,
        QuestionKind.LONG_TEXT,
        QuestionKind.LONG_TEXT,
        QuestionKind.SHORT_TEXT,
        QuestionKind.CHECKBOX,
    ]
    assert [o.value for o in form.fields[0].options] == ["1", "2", "3", "4", "5"]
    assert form.fields[0].required and not any(f.required for f in form.fields[1:])
    assert form.fields[1].max_length == 1000
    assert form.fields[4].quote_permission
    assert all(len(f.label) <= 45 for f in form.fields)
    assert not form.editing


async def test_submit_saves_and_a_second_submit_edits_the_same_row(
    reflections: ReflectionService, database: Database, clock: ManualClock, ended
) -> None:
    """One response per person: the second submit replaces the first, and the form is pre-filled."""
    first = await reflections.submit_reflection(member(1), ended.id, answers(rating="3", worked="Stories"))
    assert first.created and first.rating == 3
    assert first.answers[1].value == "Stories"
    clock.advance(timedelta(minutes=5))
    second = await reflections.submit_reflection(member(1), ended.id, answers(rating="5", quote=True))
    assert not second.created
    assert second.rating == 5 and second.quote_allowed
    assert second.submitted_at == first.submitted_at
    assert second.updated_at == clock.now()
    assert await response_count(database) == 1
    form = await reflections.reflection_form(member(1), ended.id)
    assert form.editing
    assert form.fields[0].default == "5"
    assert [o.default for o in form.fields[0].options] == [False, False, False, False, True]
    assert form.fields[4].default is True


async def test_text_is_trimmed_cleaned_and_cut_to_its_limit(reflections: ReflectionService, ended) -> None:
    """Control characters go, whitespace is trimmed, long text stops at 1,000 and short text at 200."""
    saved = await reflections.submit_reflection(
        member(1),
        ended.id,
        answers(worked="  Good\x00 talk\u202e  \n\n\n\nThanks ", better="x" * 5000, take="y" * 500),
    )
    values = {a.field_id: a.value for a in saved.answers}
    assert values["q2"] == "Good talk\n\nThanks"
    assert values["q3"] == "x" * 1000
    assert values["q4"] == "y" * 200


async def test_empty_optional_text_is_stored_as_no_answer(reflections: ReflectionService, ended) -> None:
    """Blank optional answers are None; the checkbox defaults to False."""
    saved = await reflections.submit_reflection(member(1), ended.id, {"q1": "2", "q2": "   "})
    assert [a.value for a in saved.answers] == [2, None, None, None, False]


async def test_after_close_submit_raises_a_friendly_closed_error(
    reflections: ReflectionService, database: Database, clock: ManualClock, ended
) -> None:
    """Seven days after the session the poll is closed: nothing is saved and the message says so."""
    await reflections.submit_reflection(member(1), ended.id, answers())
    clock.advance(timedelta(days=7))
    with pytest.raises(PollClosedError) as caught:
        await reflections.submit_reflection(member(1), ended.id, answers(rating="1"))
    assert isinstance(caught.value, ClosedError)
    assert "closed" in str(caught.value)
    with pytest.raises(PollClosedError):
        await reflections.reflection_form(member(1), ended.id)


async def test_closing_by_hand_stops_edits_at_once(reflections: ReflectionService, ended) -> None:
    """close_poll takes effect immediately for answers."""
    await reflections.close_poll(FACILITATOR, ended.id)
    with pytest.raises(PollClosedError):
        await reflections.submit_reflection(member(1), ended.id, answers())


async def test_a_non_participant_is_told_to_join_first(
    reflections: ReflectionService, database: Database, ended
) -> None:
    """Someone who has not joined gets NotRegisteredError suggesting /join, and nothing is stored."""
    with pytest.raises(NotRegisteredError) as caught:
        await reflections.submit_reflection(member(2), ended.id, answers())
    assert "/join" in str(caught.value)
    with pytest.raises(NotRegisteredError):
        await reflections.reflection_form(member(2), ended.id)
    assert await response_count(database) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"q1": "6"},
        {"q1": "0"},
        {"q1": "4.5"},
        {"q1": True},
        {"q1": "4", "q6": "extra"},
        {"q1": "4", "unknown": "x"},
        {"q1": "4", "q5": "yes"},
        {"q1": "4", "q2": ["a", "b"]},
    ],
)
async def test_tampered_answers_are_refused_and_nothing_is_stored(
    reflections: ReflectionService, database: Database, ended, bad, caplog: pytest.LogCaptureFixture
) -> None:
    """Ratings outside 1-5, unknown fields and wrong types raise ValidationError; a warning names the user only."""
    with pytest.raises(TamperedAnswersError) as caught:
        await reflections.submit_reflection(member(1), ended.id, bad)
    assert isinstance(caught.value, ValidationError)
    assert await response_count(database) == 0
    warnings = [r for r in caplog.records if "tampered" in r.getMessage()]
    assert warnings and "user 1 " in warnings[0].getMessage()
    assert "extra" not in warnings[0].getMessage()


async def test_a_missing_required_rating_is_a_validation_error(
    reflections: ReflectionService, database: Database, ended
) -> None:
    """The rating is required in the built-in sets."""
    with pytest.raises(MissingAnswerError):
        await reflections.submit_reflection(member(1), ended.id, {"q2": "Lovely"})
    assert await response_count(database) == 0


async def test_a_choice_outside_the_list_is_refused(
    reflections: ReflectionService, database: Database, clock: ManualClock, programme: Programme, participants
) -> None:
    """A custom set's choice question accepts only its own options."""
    session = await add_session(database, clock, number=2, starts_at=clock.now() - timedelta(hours=2))
    await join(participants, 1)
    await reflections.create_question_set(
        FACILITATOR, "Breakouts", ["rating*: How was it?", "choice: Best part? = Talk; Groups; Q and A"]
    )
    await reflections.assign_question_set(FACILITATOR, session.id, "breakouts")
    form = await reflections.reflection_form(member(1), session.id)
    assert [o.value for o in form.fields[1].options] == ["Talk", "Groups", "Q and A"]
    with pytest.raises(TamperedAnswersError):
        await reflections.submit_reflection(member(1), session.id, {"q1": "4", "q2": "Lunch"})
    assert await response_count(database) == 0
    saved = await reflections.submit_reflection(member(1), session.id, {"q1": "4", "q2": ["Groups"]})
    assert saved.answers[1].value == "Groups"


async def test_reflecting_before_the_session_starts_is_refused(
    reflections: ReflectionService, database: Database, clock: ManualClock, programme: Programme, participants
) -> None:
    """There is nothing to reflect on before the start."""
    session = await add_session(database, clock)
    await join(participants, 1)
    with pytest.raises(PollNotOpenError):
        await reflections.reflection_form(member(1), session.id)


async def test_another_servers_session_is_not_found(reflections: ReflectionService, ended) -> None:
    """Session ids from another server are refused as unknown."""
    with pytest.raises(SessionNotFoundError):
        await reflections.submit_reflection(member(1, guild_id=5), ended.id, answers())


async def test_a_button_pressed_in_a_dm_reflects_in_the_sessions_server(
    reflections: ReflectionService, database: Database, ended
) -> None:
    """An actor from a DM (guild 0) reflects as a participant of the session's server."""
    saved = await reflections.submit_reflection(member(1, guild_id=0), ended.id, answers())
    assert saved.created
    assert await response_count(database) == 1


async def test_concurrent_submits_each_get_their_own_outcome(
    reflections: ReflectionService, database: Database, participants: ParticipantService, ended
) -> None:
    """A burst is committed together, but every caller gets its own result or error; nothing is lost."""
    await join(participants, *range(2, 21))
    calls = [reflections.submit_reflection(member(u), ended.id, answers(rating=str(1 + u % 5))) for u in range(1, 21)]
    calls.append(reflections.submit_reflection(member(99), ended.id, answers()))  # not a participant
    calls.append(reflections.submit_reflection(member(5), ended.id, {"q1": "9"}))  # tampered
    calls.append(reflections.submit_reflection(member(6), ended.id, answers(rating="1")))  # second answer
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    saved = outcomes[:20]
    assert all(not isinstance(o, BaseException) for o in saved)
    assert isinstance(outcomes[20], NotRegisteredError)
    assert isinstance(outcomes[21], TamperedAnswersError)
    assert not outcomes[22].created and outcomes[22].rating == 1
    assert await response_count(database) == 20
    records = {r.user_id: r.rating for r in await reflections.list_responses(ended.guild_id, ended.id)}
    assert records[6] == 1 and records[7] == 3


async def test_reflecting_from_a_dm_refuses_someone_who_left(
    reflections: ReflectionService, participants: ParticipantService, database: Database, ended
) -> None:
    """From a DM (guild 0) a participant who left the server can neither open the form nor submit it."""
    await participants.mark_left(ended.guild_id, 1)
    with pytest.raises(NotAMemberError, match="no longer a member"):
        await reflections.reflection_form(member(1, guild_id=0), ended.id)
    with pytest.raises(NotAMemberError):
        await reflections.submit_reflection(member(1, guild_id=0), ended.id, answers())
    assert await response_count(database) == 0
