"""Stories of change use-cases: mark the most significant story of a month (Most Significant Change)."""

import re

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.flash.domain import ItemKind
from bot.core.flash.repository import SqlFlashItemRepository
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.storage.database import Database
from bot.core.storage.state import SqlAuditRepository
from bot.core.stories.domain import REASON_LIMIT, Highlight
from bot.core.stories.errors import HighlightError, NotAStoryError
from bot.core.stories.repository import SqlHighlightRepository
from bot.core.text import clean_text


class StoryService:
    """Facilitators choose each month's most significant story of change, with a reason."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def mark_significant(self, actor: Actor, item_id: int, reason: str, month: str | None = None) -> Highlight:
        """Mark a story as the most significant of a month (the story's own month in the programme's zone
        when none is given); a later choice for the same month replaces the earlier one."""
        cleaned = " ".join(clean_text(reason, keep_newlines=False).split())
        if not cleaned or len(cleaned) > REASON_LIMIT:
            raise HighlightError(f"Give a reason of 1 to {REASON_LIMIT} characters: why is this change significant?")
        if month is not None and not re.fullmatch(r"20[0-9]{2}-(0[1-9]|1[0-2])", month.strip()):
            raise HighlightError("Write the month as YYYY-MM, e.g. 2027-03.")
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(actor.guild_id)
            require_facilitator(programme, actor, "mark stories of change")
            item = await uow.repo(SqlFlashItemRepository).get(actor.guild_id, item_id)
            if item is None or item.kind is not ItemKind.STORY:
                raise NotAStoryError(item_id)
            zone = programme.zone if programme is not None else None
            chosen = month.strip() if month else f"{item.created_at.astimezone(zone):%Y-%m}"
            highlight = await uow.repo(SqlHighlightRepository).set(
                actor.guild_id, chosen, item_id, cleaned, by=actor.user_id, now=now
            )
            await uow.repo(SqlAuditRepository).record(
                action="story.significant",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"{chosen}:{item_id}",
            )
            await uow.commit()
        return highlight

    async def highlights(self, actor: Actor) -> list[Highlight]:
        """Return every month's most significant story (facilitators)."""
        async with self._database.unit_of_work() as uow:
            require_facilitator(
                await uow.repo(SqlProgrammeRepository).get(actor.guild_id), actor, "see stories of change"
            )
            return await uow.repo(SqlHighlightRepository).all(actor.guild_id)
