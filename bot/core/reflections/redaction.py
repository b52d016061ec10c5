"""The facilitators' reflection summary already posted, rendered again after an erasure or a retention sweep.

Each summary a closing posts is recorded with bot.core.delivery.posted.record_posting (edit kind
``reflection_summary_edit``, subject the session id) with the people it quotes. Its edit counts the poll again
from what is stored now: an erased person's response is gone (counts and quote), and quotes whose text passed
the retention period are blank, so they drop out.
"""

from collections.abc import Iterable
from datetime import datetime

from bot.core.delivery.posted import PostedMessage, Rendering
from bot.core.messages import Embed, OutboundMessage
from bot.core.programme.domain import Session
from bot.core.programme.repository import SqlSessionRepository
from bot.core.reflections import render
from bot.core.reflections.domain import PollResults
from bot.core.reflections.repository import SqlReflectionRepository
from bot.core.reflections.tally import tally_with_authors
from bot.core.storage.database import UnitOfWork

SUMMARY_GONE = OutboundMessage(
    embeds=(Embed(description="This reflection summary was removed: its session no longer exists."),)
)


def summary_rendering(session: Session, results: PollResults, quoted: Iterable[int]) -> Rendering:
    """Return the summary message with the people it quotes and whether it holds any quote."""
    return Rendering((render.close_summary(session, results),), frozenset(quoted), bool(results.quotes))


class SummaryRenderer:
    """Render a posted summary from what is stored now (a bot.core.delivery.posted.Renderer)."""

    async def __call__(self, uow: UnitOfWork, posted: PostedMessage, now: datetime) -> Rendering:
        """Count the session's poll again; a session or poll that is gone leaves a note without quotes."""
        session = await uow.repo(SqlSessionRepository).get(posted.subject_id)
        poll = await uow.repo(SqlReflectionRepository).poll(posted.subject_id) if session is not None else None
        if session is None or poll is None or session.guild_id != posted.guild_id:
            return Rendering((SUMMARY_GONE,))
        results, quoted = await tally_with_authors(uow, poll, session)
        return summary_rendering(session, results, quoted)
