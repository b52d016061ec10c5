"""Count a poll's responses: rate against attendance, rating distribution, mean, and consented quotes."""

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.repository import SqlConsentRepository
from bot.core.programme.domain import Session
from bot.core.reflections.domain import MAX_QUOTES, QUOTE_LIMIT, Poll, PollResults
from bot.core.reflections.questions import RATING_MAX, RATING_MIN, Question
from bot.core.reflections.repository import SqlAttendanceRepository, SqlReflectionRepository
from bot.core.storage.database import UnitOfWork
from bot.core.text import one_line


def quote_of(questions: Sequence[Question], answers: Mapping[str, Any]) -> str | None:
    """Return the words to quote from one response: its first non-empty text answer, in question order."""
    for index, question in enumerate(questions, start=1):
        value = answers.get(f"q{index}")
        if question.kind.is_text and isinstance(value, str) and value.strip():
            return value
    return None


async def tally(uow: UnitOfWork, poll: Poll, session: Session) -> PollResults:
    """Return the poll's results (see tally_with_authors)."""
    return (await tally_with_authors(uow, poll, session))[0]


async def tally_with_authors(uow: UnitOfWork, poll: Poll, session: Session) -> tuple[PollResults, tuple[int, ...]]:
    """Return the poll's results and, separately, the user ids behind its quotes (same order).

    Quotes come only from responses whose quote box was ticked AND whose author's current quote consent
    is yes; they are cleaned onto one line (never escaped) and never carry a name or id. The ids are for
    re-checking consent later (e.g. when a Flash Report is published), never for display.
    """
    rows = await uow.repo(SqlReflectionRepository).rating_rows(poll.id)
    attendance = await uow.repo(SqlAttendanceRepository).count(poll.session_id)
    distribution = dict.fromkeys(range(RATING_MIN, RATING_MAX + 1), 0)
    ratings = [r for r, _, _, _ in rows if r is not None and RATING_MIN <= r <= RATING_MAX]
    for rating in ratings:
        distribution[rating] += 1
    ticked = [(user_id, answers) for _, quote_ok, user_id, answers in rows if quote_ok]
    quotes: list[str] = []
    authors: list[int] = []
    if ticked and poll.questions:
        consenting = await uow.repo(SqlConsentRepository).consenting(
            poll.guild_id, ConsentPurpose.QUOTE, among=[u for u, _ in ticked]
        )
        for user_id, answers in ticked:
            if user_id not in consenting:
                continue
            words = quote_of(poll.questions, answers)
            if words:
                shown = one_line(words, QUOTE_LIMIT)
                if shown:
                    quotes.append(f"“{shown}”")
                    authors.append(user_id)
            if len(quotes) >= MAX_QUOTES:
                break
    responses = len(rows)
    results = PollResults(
        session_id=session.id,
        session_number=session.number,
        session_title=session.title,
        status=poll.status,
        closes_at=poll.closes_at,
        responses=responses,
        attendance=attendance,
        response_rate=(responses / attendance) if attendance else None,
        ratings=len(ratings),
        distribution=distribution,
        mean_rating=(sum(ratings) / len(ratings)) if ratings else None,
        quotes=tuple(quotes),
    )
    return results, tuple(authors)
