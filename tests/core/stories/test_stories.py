"""Stories of change: facilitators mark one story per month, with a reason."""

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.errors import PermissionDeniedError
from bot.core.flash.domain import ItemKind
from bot.core.programme.domain import Programme
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.storage.database import Database
from bot.core.storage.models.flash import FlashItemRow
from bot.core.stories.errors import HighlightError, NotAStoryError
from bot.core.stories.service import StoryService

GUILD = 1001
FACILITATOR = Actor(GUILD, 9, can_manage_events=True)


async def _item(database: Database, clock: ManualClock, kind: ItemKind, key: str) -> int:
    async with database.unit_of_work() as uow:
        await uow.repo(SqlProgrammeRepository).create(
            Programme(id=0, guild_id=GUILD), now=clock.now()
        ) if key == "a" else None
        row = FlashItemRow(
            guild_id=GUILD, kind=kind.value, state="included", dedupe_key=key, title="", body="The hall reopened",
            excerpt="", tags=[], author_id=5, author_name="A", credit_by_name=False,
            created_at=clock.now(), updated_at=clock.now(),
        )  # fmt: skip
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
        return row.id


async def test_mark_a_story_per_month(database: Database, clock: ManualClock) -> None:
    """A story is marked for its month; a later choice replaces it; non-stories, bad months, non-facilitators fail."""
    service = StoryService(database, clock)
    story = await _item(database, clock, ItemKind.STORY, "a")
    other = await _item(database, clock, ItemKind.STORY, "b")
    resource = await _item(database, clock, ItemKind.RESOURCE, "c")
    first = await service.mark_significant(FACILITATOR, story, "Whole village involved")
    assert first.month == "2026-01"
    await service.mark_significant(FACILITATOR, other, "Even bigger", "2026-01")
    assert [(h.month, h.item_id) for h in await service.highlights(FACILITATOR)] == [("2026-01", other)]
    with pytest.raises(NotAStoryError):
        await service.mark_significant(FACILITATOR, resource, "x")
    with pytest.raises(HighlightError):
        await service.mark_significant(FACILITATOR, story, "x", "2026-13")
    with pytest.raises(PermissionDeniedError):
        await service.mark_significant(Actor(GUILD, 10), story, "x")
