"""Versioned consent: the prompt, answers per purpose, the kept history and withdrawal."""

from datetime import timedelta

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.errors import PermissionDeniedError
from bot.core.participants.consent_text import DEFAULT_CONSENT_TEXT
from bot.core.participants.domain import JOIN_PURPOSES, ConsentPurpose, ConsentSource, PromptReason
from bot.core.participants.errors import ConsentTextChangedError, EmptyTextError, InvalidChoiceError
from bot.core.participants.service import ParticipantService
from bot.core.storage.database import Database

GUILD = 600
FACILITATOR = Actor(guild_id=GUILD, user_id=9, is_admin=True)
ALL_YES = {"evaluation": True, "quote": True, "interview": True}


def person(user_id: int) -> Actor:
    """Return a member of the test server."""
    return Actor(guild_id=GUILD, user_id=user_id)


@pytest.fixture
def service(database: Database, clock: ManualClock) -> ParticipantService:
    """Return the participant service on the test database."""
    return ParticipantService(database, clock)


def test_the_default_text_is_plain_and_about_150_words() -> None:
    """The default consent text names the three purposes, withdrawal and UK GDPR rights."""
    words = len(DEFAULT_CONSENT_TEXT.split())
    assert 120 <= words <= 190
    for needle in ("Evaluation", "Quotes", "Interview", "/me consent", "UK GDPR", "ico.org.uk"):
        assert needle in DEFAULT_CONSENT_TEXT


async def test_prompt_appears_first_time_and_not_once_answered(service: ParticipantService) -> None:
    """Three questions the first time; None when every purpose is answered for the current version."""
    prompt = await service.consent_prompt(person(1))
    assert prompt is not None and prompt.reason is PromptReason.FIRST_TIME
    assert prompt.version == 1 and prompt.text.is_default
    assert [q.purpose for q in prompt.questions] == list(JOIN_PURPOSES)
    assert all(len(q.label) <= 45 and len(q.description) <= 100 for q in prompt.questions)
    await service.record_consent(person(1), {"evaluation": True, "quote": False}, text_version=1)
    partial = await service.consent_prompt(person(1))
    assert partial is not None and partial.reason is PromptReason.INCOMPLETE
    await service.record_consent(person(1), {"interview": False}, text_version=1)
    assert await service.consent_prompt(person(1)) is None


async def test_a_new_text_version_asks_again_with_previous_answers(service: ParticipantService) -> None:
    """Changing the text makes a new version; the prompt returns with the old answers pre-selected."""
    await service.record_consent(person(1), ALL_YES, text_version=1)
    change = await service.set_consent_text(FACILITATOR, "  New text about   our evaluation. ")
    assert change.changed and change.text.version == 2
    assert change.text.text == "New text about our evaluation."
    assert not (await service.set_consent_text(FACILITATOR, "New text about our evaluation.")).changed
    prompt = await service.consent_prompt(person(1))
    assert prompt is not None and prompt.reason is PromptReason.TEXT_CHANGED and prompt.version == 2
    assert [q.previous for q in prompt.questions] == [True, True, True]
    with pytest.raises(ConsentTextChangedError):
        await service.record_consent(person(1), ALL_YES, text_version=1)
    await service.record_consent(person(1), ALL_YES, text_version=2)
    assert await service.consent_prompt(person(1)) is None
    texts = await service.consent_texts(GUILD)
    assert [(t.version, t.text == DEFAULT_CONSENT_TEXT) for t in texts] == [(1, True), (2, False)]


async def test_only_facilitators_set_the_text_and_it_must_not_be_empty(service: ParticipantService) -> None:
    """Members cannot change the text; blank text is refused."""
    with pytest.raises(PermissionDeniedError):
        await service.set_consent_text(person(1), "Mine now")
    with pytest.raises(EmptyTextError):
        await service.set_consent_text(FACILITATOR, " \u200b \n ")


async def test_history_keeps_every_change_with_time_and_version(
    service: ParticipantService, clock: ManualClock
) -> None:
    """Each change appends a row; repeating the same answer adds nothing; current is the latest per purpose."""
    await service.record_consent(person(1), ALL_YES, text_version=1)
    clock.advance(timedelta(days=1))
    await service.record_consent(person(1), {"quote": True}, text_version=1, source=ConsentSource.SETTINGS)
    await service.record_consent(person(1), {"quote": False}, text_version=1, source=ConsentSource.SETTINGS)
    history = await service.my_consent_history(person(1))
    assert [(e.purpose, e.granted, e.text_version) for e in history] == [
        (ConsentPurpose.EVALUATION, True, 1),
        (ConsentPurpose.QUOTE, True, 1),
        (ConsentPurpose.INTERVIEW, True, 1),
        (ConsentPurpose.QUOTE, False, 1),
    ]
    assert history[-1].recorded_at == clock.now() and history[-1].source is ConsentSource.SETTINGS
    state = await service.current_consent(GUILD, 1)
    assert state.granted(ConsentPurpose.EVALUATION) and not state.granted(ConsentPurpose.QUOTE)
    assert state.missing == ()


async def test_withdrawing_evaluation_consent_removes_the_person_from_consenting_users(
    service: ParticipantService,
) -> None:
    """consenting_users follows the latest answer, from the moment of withdrawal."""
    await service.record_consent(person(1), ALL_YES, text_version=1)
    await service.record_consent(person(2), ALL_YES, text_version=1)
    await service.record_consent(person(3), {"evaluation": False}, text_version=1)
    assert await service.consenting_users(GUILD, ConsentPurpose.EVALUATION) == {1, 2}
    await service.record_consent(person(2), {"evaluation": False}, text_version=1)
    assert await service.consenting_users(GUILD, "evaluation") == {1}
    assert await service.consenting_users(GUILD, ConsentPurpose.QUOTE) == {1, 2}


async def test_consent_under_an_old_version_counts_unless_asked_for_current_only(service: ParticipantService) -> None:
    """A yes stays a yes after the text changes, but current_version_only sees only fresh answers."""
    await service.record_consent(person(1), ALL_YES, text_version=1)
    await service.set_consent_text(FACILITATOR, "Version two.")
    assert await service.consenting_users(GUILD, "evaluation") == {1}
    assert await service.consenting_users(GUILD, "evaluation", current_version_only=True) == set()


async def test_unknown_purposes_are_refused(service: ParticipantService) -> None:
    """Only evaluation, quote and interview exist."""
    with pytest.raises(InvalidChoiceError):
        await service.record_consent(person(1), {"marketing": True}, text_version=1)


async def test_info_logs_say_that_consent_was_recorded_not_who_chose_what(
    service: ParticipantService, caplog: pytest.LogCaptureFixture
) -> None:
    """Joining and answering log the fact at INFO; no user id sits beside a consent choice (or a join)."""
    someone = Actor(guild_id=GUILD, user_id=712_345_678_901_234_567)
    caplog.set_level("INFO", logger="bot.core.participants")
    await service.join(someone, community="Leith")
    await service.record_consent(someone, {"evaluation": False, "quote": True, "interview": False}, text_version=1)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.core.participants")]
    assert any("consent" in line.lower() for line in lines)
    assert [line for line in lines if "712345678901234567" in line] == []
    assert [line for line in lines if "evaluation=" in line or "=no" in line] == []
