"""/me consent shows the mentoring purpose once someone was asked it, so they can withdraw it there."""

from datetime import UTC, datetime

from bot.core.participants.domain import JOIN_PURPOSES, ConsentAnswer, ConsentPurpose, ConsentState
from bot.core.participants.ids import consent_answer_id, consent_save_id
from cogs.participants import render

WHEN = datetime(2027, 11, 1, 12, 0, tzinfo=UTC)


def _state(*purposes: ConsentPurpose) -> ConsentState:
    return ConsentState(1, 2, 1, {p: ConsentAnswer(p, True, 1, WHEN) for p in purposes})


def _ids(view) -> list[str]:
    return [item.custom_id for item in view.children]


def test_consent_shows_the_join_purposes_only_before_mentoring_was_asked() -> None:
    """Without a mentoring answer the view has the three join purposes and Save."""
    answers = render.state_answers(_state(*JOIN_PURPOSES))
    assert list(answers) == list(JOIN_PURPOSES)
    assert consent_answer_id(ConsentPurpose.MENTORING, False, 1) not in _ids(render.consent_view(1, answers))


def test_consent_offers_to_withdraw_mentoring_once_given() -> None:
    """With a mentoring answer, /me consent shows it with Yes / No on its own row, and Save below."""
    state = _state(*JOIN_PURPOSES, ConsentPurpose.MENTORING)
    answers = render.state_answers(state)
    assert answers[ConsentPurpose.MENTORING] is True
    view = render.consent_view(1, answers)
    assert consent_answer_id(ConsentPurpose.MENTORING, False, 1) in _ids(view)
    save = next(item for item in view.children if item.custom_id == consent_save_id(1))
    assert save.row == 4
    embed = render.consent_embed(
        type("Text", (), {"text": "Consent.", "version": 1})(), answers, heading="Your consent"
    )
    assert ConsentPurpose.MENTORING.label in [field.name for field in embed.fields]
    assert ConsentPurpose.MENTORING.label in render.saved_text(state)
