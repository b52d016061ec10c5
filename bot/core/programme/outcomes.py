"""Checks for learning outcomes: short single-line text, no duplicates, at most eight per programme."""

from collections.abc import Sequence

from bot.core.errors import ImportProblem
from bot.core.programme.domain import MAX_OUTCOMES, OUTCOME_TEXT_LIMIT, Outcome
from bot.core.programme.errors import OutcomeError
from bot.core.programme.importer import ImportOutcome
from bot.core.text import clean_text


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _problem(text: str, existing: Sequence[str]) -> tuple[str, str | None]:
    cleaned = " ".join(clean_text(text, keep_newlines=False).split())
    if not cleaned:
        return cleaned, "the outcome is empty"
    if len(cleaned) > OUTCOME_TEXT_LIMIT:
        return cleaned, f"the outcome is {len(cleaned)} characters long; the limit is {OUTCOME_TEXT_LIMIT}"
    if _key(cleaned) in {_key(e) for e in existing}:
        return cleaned, "the programme already has that outcome"
    return cleaned, None


def check_outcome_text(text: str, others: Sequence[Outcome]) -> str:
    """Return the cleaned outcome text, or raise OutcomeError (empty, too long, or a duplicate)."""
    cleaned, problem = _problem(text, [o.text for o in others])
    if problem is not None:
        raise OutcomeError(problem[0].upper() + problem[1:] + ".")
    return cleaned


def new_outcome_texts(
    current: Sequence[Outcome], imported: Sequence[ImportOutcome], problems: list[ImportProblem]
) -> list[str]:
    """Return the imported outcomes the programme does not have yet, adding a problem for each bad one.

    An outcome already in the programme (same words, any case) is skipped, so importing a file twice is safe.
    """
    known = [o.text for o in current]
    added: list[str] = []
    for item in imported:
        cleaned, problem = _problem(item.text, [])
        if problem is not None:
            problems.append(ImportProblem(item.line, problem))
            continue
        if _key(cleaned) in {_key(k) for k in known}:
            continue
        known.append(cleaned)
        added.append(cleaned)
    if len(current) + len(added) > MAX_OUTCOMES:
        line = imported[0].line if imported else 0
        problems.append(
            ImportProblem(
                line,
                f"the programme would have {len(current) + len(added)} learning outcomes; the limit is {MAX_OUTCOMES}",
            )
        )
    return added
