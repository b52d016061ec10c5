"""The one rule for who may reflect on a session, and when: the form and the writer both ask it.

Answers are taken from a registered participant while the session is not cancelled and its poll is not
closed, from the moment the session starts — or earlier, from the moment a facilitator opens reflections
by hand (/reflection open moves the poll's opening to then, and posts the card).
"""

from datetime import datetime

from bot.core.errors import DomainError
from bot.core.participants.errors import NotRegisteredError
from bot.core.programme.domain import Programme, Session
from bot.core.programme.errors import SessionCancelledError
from bot.core.reflections.domain import Poll, PollStatus
from bot.core.reflections.errors import PollClosedError, PollNotOpenError
from bot.core.reflections.scheduling import poll_times


def virtual_poll(programme: Programme | None, session: Session) -> Poll:
    """Return the poll a session would have under the programme's settings (id 0: not stored yet)."""
    opens_at, nudge_at, closes_at = poll_times(programme, session)
    return Poll(
        id=0,
        guild_id=session.guild_id,
        session_id=session.id,
        status=PollStatus.CANCELLED if session.is_cancelled else PollStatus.SCHEDULED,
        question_set=None,
        questions=None,
        session_ends_at=session.ends_at,
        opens_at=opens_at,
        nudge_at=nudge_at,
        closes_at=closes_at,
        card_channel_id=None,
        card_message_id=None,
        opened_at=None,
        closed_at=None,
    )


def answers_open_at(session: Session, poll: Poll) -> datetime:
    """Return when the session's poll starts taking answers: its start, or the poll's opening if earlier."""
    return min(session.starts_at, poll.opens_at)


def reflection_refusal(session: Session, poll: Poll, now: datetime, *, registered: bool) -> DomainError | None:
    """Return why this person cannot reflect on the session now, or None when they can.

    poll is the session's stored poll, or virtual_poll() when it has none yet.
    """
    if not registered:
        return NotRegisteredError("reflect on a session")
    if session.is_cancelled:
        return SessionCancelledError(session.number, "reflect on it")
    if poll.is_closed(now):
        return PollClosedError(session.number, poll.closed_at or poll.closes_at)
    if now < answers_open_at(session, poll):
        return PollNotOpenError(session.number, session.starts_at)
    return None
