"""custom_id builders and strict parsers; built-in and facilitators' question sets."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.clock import ManualClock
from bot.core.errors import PermissionDeniedError
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.reflections import ids
from bot.core.reflections.errors import (
    DuplicateQuestionSetError,
    QuestionSetError,
    QuestionSetInUseError,
    QuestionSetNotFoundError,
)
from bot.core.reflections.questions import APPRECIATIVE, QUICK, QuestionKind, parse_question
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database
from tests.core.reflections.conftest import FACILITATOR, add_session, answers, join, member


def test_custom_ids_round_trip_and_fit_discord() -> None:
    """Builders and parsers agree; ids are at most 100 characters."""
    big = 2**63 - 1
    for build, parse in (
        (ids.reflect_button_id, ids.parse_reflect_button_id),
        (ids.attend_button_id, ids.parse_attend_button_id),
        (ids.reflection_modal_id, ids.parse_reflection_modal_id),
    ):
        assert parse(build(42)) == 42
        assert len(build(big)) <= 100
        assert parse(build(big)) == big
    assert ids.reflect_button_id(7) == "blether:reflect:7"
    assert ids.attend_button_id(7) == "blether:attend:7"
    assert ids.reflection_modal_id(7) == "blether:reflection:7"


@pytest.mark.parametrize(
    "tampered",
    [
        "blether:reflect:",
        "blether:reflect:0",
        "blether:reflect:012",
        "blether:reflect:12 ",
        "blether:reflect:12:1",
        "blether:reflect:-3",
        "blether:reflect:99999999999999999999",
        "blether:reflect:9223372036854775808",
        "blether:attend:12",
        "x" * 200,
    ],
)
def test_tampered_ids_parse_to_none(tampered: str) -> None:
    """Anything but the exact format is refused."""
    assert ids.parse_reflect_button_id(tampered) is None


@given(st.text(max_size=120))
def test_parsers_never_raise(text: str) -> None:
    """Arbitrary input returns an id or None, never an exception."""
    for parse in (ids.parse_reflect_button_id, ids.parse_attend_button_id, ids.parse_reflection_modal_id):
        result = parse(text)
        assert result is None or result >= 1


def test_built_in_sets_fit_a_discord_modal() -> None:
    """Each built-in set has 1-5 questions with labels of at most 45 characters."""
    for question_set in (APPRECIATIVE, QUICK):
        assert 1 <= len(question_set.questions) <= 5
        assert all(len(q.label) <= 45 for q in question_set.questions)
    assert [q.kind for q in QUICK.questions] == [QuestionKind.RATING, QuestionKind.LONG_TEXT]
    assert APPRECIATIVE.questions[0].label == "How valuable was this session for you?"
    assert APPRECIATIVE.questions[4].quote_permission


def test_parse_question_reads_kinds_required_and_options() -> None:
    """The one-line format covers every kind."""
    rating = parse_question("rating*: How useful was the speaker?")
    assert rating.kind is QuestionKind.RATING and rating.required
    choice = parse_question("choice: Best part? = Talk; Groups ;  Q and A")
    assert choice.choices == ("Talk", "Groups", "Q and A")
    assert parse_question("quote: You may quote me").quote_permission
    assert parse_question("long: Anything else?").kind is QuestionKind.LONG_TEXT
    with pytest.raises(QuestionSetError):
        parse_question("essay: Tell me everything")
    with pytest.raises(QuestionSetError):
        parse_question("choice: Only one option = A")
    with pytest.raises(QuestionSetError):
        parse_question("short: " + "x" * 46)


async def test_question_sets_are_facilitator_only_and_validated(
    reflections: ReflectionService, programme: Programme
) -> None:
    """Six questions, duplicates and built-in names are refused; members cannot create sets."""
    with pytest.raises(PermissionDeniedError):
        await reflections.create_question_set(member(1), "Mine", ["rating: How was it?"])
    with pytest.raises(QuestionSetError) as caught:
        await reflections.create_question_set(FACILITATOR, "Too many", ["short: One?"] * 6)
    assert "1 to 5" in str(caught.value.problems)
    with pytest.raises(QuestionSetError):
        await reflections.create_question_set(FACILITATOR, "Quick", ["short: One?"])
    created = await reflections.create_question_set(FACILITATOR, "Speaker night", ["rating*: Speaker?", "long: Why?"])
    assert created.key.startswith("custom:")
    with pytest.raises(DuplicateQuestionSetError):
        await reflections.create_question_set(FACILITATOR, "speaker  NIGHT", ["short: Again?"])
    names = [s.name for s in await reflections.question_sets(programme.guild_id)]
    assert names == ["appreciative", "quick", "Speaker night"]
    assert await reflections.question_set_choices(programme.guild_id, "sp") == ["Speaker night"]
    with pytest.raises(QuestionSetNotFoundError):
        await reflections.assign_question_set(FACILITATOR, 1, "nope")


async def test_default_and_session_sets_and_questions_freeze_once_answered(
    reflections: ReflectionService,
    database: Database,
    clock: ManualClock,
    programme: Programme,
    participants: ParticipantService,
) -> None:
    """The programme default applies to sessions without a set; answered sessions keep their questions."""
    session = await add_session(database, clock, starts_at=clock.now() - timedelta(hours=2))
    await join(participants, 1)
    await reflections.set_default_question_set(FACILITATOR, "quick")
    form = await reflections.reflection_form(member(1), session.id)
    assert len(form.fields) == 2
    await reflections.create_question_set(FACILITATOR, "Mine", ["rating*: How was it?", "short: One word?"])
    await reflections.assign_question_set(FACILITATOR, session.id, "mine")
    form = await reflections.reflection_form(member(1), session.id)
    assert [f.label for f in form.fields] == ["How was it?", "One word?"]
    await reflections.submit_reflection(member(1), session.id, {"q1": "4", "q2": "Warm"})
    with pytest.raises(QuestionSetInUseError):
        await reflections.assign_question_set(FACILITATOR, session.id, "appreciative")
    used = await reflections.session_question_set(programme.guild_id, session.id)
    assert [q.label for q in used.questions] == ["How was it?", "One word?"]
    saved = await reflections.submit_reflection(member(1), session.id, {"q1": "5", "q2": "Warmer"})
    assert not saved.created
    records = await reflections.list_responses(programme.guild_id)
    assert [(a.label, a.value) for a in records[0].answers] == [("How was it?", 5), ("One word?", "Warmer")]


async def test_question_problems_name_their_position_and_every_bad_line(
    reflections: ReflectionService, programme: Programme
) -> None:
    """A bad third line is "Question 3", and problems on several lines are all listed at once."""
    with pytest.raises(QuestionSetError) as caught:
        await reflections.create_question_set(FACILITATOR, "Blank", ["rating: Fine?", "short: Why?", "long:   "])
    assert caught.value.problems == ["Question 3 has no text."]
    with pytest.raises(QuestionSetError) as caught:
        await reflections.create_question_set(FACILITATOR, "Odd", ["stars2: How many?", "short: Fine", "Bare words"])
    problems = caught.value.problems
    assert len(problems) == 2 and problems[0].startswith("Question 1:") and problems[1].startswith("Question 3 (")
    assert [s.name for s in await reflections.question_sets(programme.guild_id) if not s.builtin] == []


async def test_creating_a_set_for_an_answered_session_stores_nothing(
    reflections: ReflectionService,
    database: Database,
    clock: ManualClock,
    programme: Programme,
    participants: ParticipantService,
) -> None:
    """create_question_set(session_id=...) is all or nothing: refused for an answered session, the name stays free."""
    answered = await add_session(database, clock, starts_at=clock.now() - timedelta(hours=2))
    await join(participants, 1)
    await reflections.submit_reflection(member(1), answered.id, {"q1": "4"})
    with pytest.raises(QuestionSetInUseError):
        await reflections.create_question_set(
            FACILITATOR, "Late", ["rating: Fine?"], session_id=answered.id, default=True
        )
    assert [s.name for s in await reflections.question_sets(programme.guild_id) if not s.builtin] == []
    assert (await reflections.session_question_set(programme.guild_id, answered.id)).builtin
    other = await add_session(database, clock, number=2, starts_at=clock.now() + timedelta(days=1))
    created = await reflections.create_question_set(FACILITATOR, "Late", ["rating: Fine?"], session_id=other.id)
    assert (await reflections.session_question_set(programme.guild_id, other.id)).key == created.key
    assert (await reflections.session_question_set(programme.guild_id, answered.id)).builtin


async def test_list_responses_gives_answers_and_times_for_exports(
    reflections: ReflectionService,
    database: Database,
    clock: ManualClock,
    programme: Programme,
    participants: ParticipantService,
) -> None:
    """Read-only response records carry answers, rating, quote permission and both times."""
    session = await add_session(database, clock, starts_at=clock.now() - timedelta(hours=2))
    await join(participants, 1)
    await reflections.submit_reflection(member(1), session.id, answers(rating="4", quote=True))
    clock.advance(timedelta(hours=1))
    await reflections.submit_reflection(member(1), session.id, answers(rating="5", quote=True))
    (record,) = await reflections.list_responses(programme.guild_id, session.id)
    assert record.user_id == 1 and record.rating == 5 and record.quote_allowed
    assert record.updated_at - record.submitted_at == timedelta(hours=1)
    assert len(record.answers) == 5
