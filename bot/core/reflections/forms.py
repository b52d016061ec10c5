"""Build the reflection form from a session's questions, and check submitted answers against it."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.programme.domain import Session
from bot.core.reflections.domain import FormField, FormOption, Poll, ReflectionForm, SubmittedValue
from bot.core.reflections.errors import MissingAnswerError, TamperedAnswersError
from bot.core.reflections.ids import FIELD_IDS, field_id, reflection_modal_id
from bot.core.reflections.questions import RATING_MAX, RATING_MIN, Question, QuestionKind
from bot.core.text import clean_text

log = logging.getLogger(__name__)

MODAL_TITLE_LIMIT = 45
RATING_LABELS = {1: "1 – Not at all", 2: "2 – A little", 3: "3 – Somewhat", 4: "4 – Very", 5: "5 – Extremely"}


def build_form(
    session: Session, poll: Poll, questions: Sequence[Question], previous: Mapping[str, Any] | None
) -> ReflectionForm:
    """Return the modal for a session's questions, pre-filled with previous answers."""
    fields = []
    for index, question in enumerate(questions):
        fid = field_id(index)
        old = (previous or {}).get(fid)
        options: tuple[FormOption, ...] = ()
        default: str | bool | None = None
        if question.kind is QuestionKind.RATING:
            chosen = str(old) if isinstance(old, int) and not isinstance(old, bool) else None
            options = tuple(
                FormOption(str(v), RATING_LABELS[v], default=str(v) == chosen)
                for v in range(RATING_MIN, RATING_MAX + 1)
            )
            default = chosen
        elif question.kind is QuestionKind.CHOICE:
            chosen = old if isinstance(old, str) and old in question.choices else None
            options = tuple(FormOption(c, c, default=c == chosen) for c in question.choices)
            default = chosen
        elif question.kind is QuestionKind.CHECKBOX:
            default = bool(old) if isinstance(old, bool) else False
        else:
            default = old if isinstance(old, str) else None
        fields.append(
            FormField(
                id=fid,
                kind=question.kind,
                label=question.label,
                description=question.description,
                required=question.required,
                options=options,
                max_length=question.kind.max_length,
                default=default,
                quote_permission=question.quote_permission,
            )
        )
    title = f"Reflect on Session {session.number}"[:MODAL_TITLE_LIMIT]
    return ReflectionForm(
        session_id=session.id,
        session_number=session.number,
        session_title=session.title,
        custom_id=reflection_modal_id(session.id),
        title=title,
        fields=tuple(fields),
        closes_at=poll.closes_at,
        editing=previous is not None,
    )


@dataclass(frozen=True, slots=True)
class CheckedAnswers:
    """Answers that passed the form's rules, ready to store."""

    answers: dict[str, Any]
    rating: int | None
    quote_allowed: bool


def _one(value: SubmittedValue) -> SubmittedValue:
    """Unwrap a one-item list (select menus send lists); an empty list is no answer."""
    if isinstance(value, list):
        if not value:
            return None
        if len(value) == 1:
            return value[0]
    return value


def check_answers(
    questions: Sequence[Question], submitted: Mapping[str, SubmittedValue], *, user_id: int, session_id: int
) -> CheckedAnswers:
    """Validate submitted answers against the questions; clean and cut text answers to their limits.

    Raises:
        TamperedAnswersError: unknown field ids, ratings outside 1–5, choices not offered, wrong value types
            (logged as tampering with the user id, never the content).
        MissingAnswerError: a required question has no answer.
    """
    allowed = FIELD_IDS[: len(questions)]
    unknown = sum(1 for k in submitted if k not in allowed)
    problems = [f"{unknown} unknown field{'s' if unknown != 1 else ''}"] if unknown else []
    answers: dict[str, Any] = {}
    rating: int | None = None
    quote_allowed = False
    missing: Question | None = None
    for index, question in enumerate(questions):
        fid = allowed[index]
        raw = _one(submitted.get(fid))
        value: Any = None
        if question.kind is QuestionKind.RATING:
            if raw is None or raw == "":
                value = None
            elif isinstance(raw, bool) or not isinstance(raw, int | str):
                problems.append(f"{fid}: rating of the wrong type")
            else:
                text = str(raw).strip()
                if text.isdigit() and len(text) == 1 and RATING_MIN <= int(text) <= RATING_MAX:
                    value = int(text)
                else:
                    problems.append(f"{fid}: rating outside {RATING_MIN}–{RATING_MAX}")
            if value is not None and rating is None:
                rating = value
        elif question.kind is QuestionKind.CHOICE:
            if raw is None or raw == "":
                value = None
            elif isinstance(raw, str) and raw in question.choices:
                value = raw
            else:
                problems.append(f"{fid}: value not among the choices")
        elif question.kind is QuestionKind.CHECKBOX:
            if raw is None:
                value = False
            elif isinstance(raw, bool):
                value = raw
            else:
                problems.append(f"{fid}: checkbox value is not true or false")
            if question.quote_permission and value is True:
                quote_allowed = True
        else:
            if raw is None:
                value = None
            elif isinstance(raw, str):
                text = clean_text(raw, keep_newlines=question.kind is QuestionKind.LONG_TEXT)
                limit = question.kind.max_length or 0
                value = text[:limit].rstrip() or None
            else:
                problems.append(f"{fid}: text of the wrong type")
        answers[fid] = value
        if question.required and (value is None or value is False) and missing is None:
            missing = question
    if problems:
        log.warning(
            "Refused tampered reflection answers from user %s for session %s: %s",
            user_id,
            session_id,
            "; ".join(problems),
        )
        raise TamperedAnswersError(problems)
    if missing is not None:
        raise MissingAnswerError(missing.label)
    return CheckedAnswers(answers, rating, quote_allowed)
