"""A Flash Report draft already posted in the facilitator channel, rendered again after an erasure or a sweep.

Each posted draft is recorded with bot.core.delivery.posted.record_posting (edit kind ``flash_draft_edit``,
subject the issue id) with everyone whose words or name it carries. Its edit renders it from what is stored
now: a draft that is still the next issue is compiled again (erased items are gone, expired text is blank); one
that has gone out, or no longer exists, becomes a short note without anyone's words.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.delivery.posted import PostedMessage, Rendering
from bot.core.flash.domain import Issue, IssueStatus
from bot.core.flash.render import render_draft
from bot.core.flash.repository import SqlFlashIssueRepository
from bot.core.messages import OutboundMessage
from bot.core.storage.database import UnitOfWork

if TYPE_CHECKING:  # the planner imports the deliveries module, which imports this one
    from bot.core.flash.planning import Compiled, IssuePlanner

DRAFT_OVERFLOW = OutboundMessage(
    content="📝 This draft has grown since it was posted, so not all of it fits here: /flash draft shows it whole."
)


def draft_rendering(issue: Issue, compiled: "Compiled") -> Rendering:
    """Return the draft's messages with whose words they carry and whether they hold free text."""
    messages = render_draft(
        compiled.content,
        issue_id=issue.id,
        publish_at=issue.scheduled_for,
        withheld=compiled.withheld,
        held=compiled.held,
        withheld_nominations=compiled.withheld_nominations,
    )
    return Rendering(tuple(messages), compiled.content.authors(), compiled.content.has_free_text)


def draft_note(issue: Issue | None) -> OutboundMessage:
    """Return what an old draft shows once its issue went out (or is gone): no one's words."""
    if issue is not None and issue.status is not IssueStatus.DRAFT:
        return OutboundMessage(content=f"📝 This draft went out as {issue.title}: /flash latest or /flash archive.")
    return OutboundMessage(content="📝 This draft is no longer current: /flash draft shows the next issue.")


class DraftRenderer:
    """Render a posted draft from what is stored now (a bot.core.delivery.posted.Renderer)."""

    def __init__(self, planner: "IssuePlanner") -> None:
        self._planner = planner

    async def __call__(self, uow: UnitOfWork, posted: PostedMessage, now: datetime) -> Rendering:
        """Compile the draft again while its issue is the next one; otherwise a note."""
        issue = await uow.repo(SqlFlashIssueRepository).get(posted.subject_id)
        if issue is None or issue.guild_id != posted.guild_id or issue.status is not IssueStatus.DRAFT:
            return Rendering((draft_note(issue),))
        return draft_rendering(issue, await self._planner.compile(uow, issue, now=now))
