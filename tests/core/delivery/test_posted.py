"""Postings that carry people's words: recorded with their authors, edited once through the engine, idempotently."""

from datetime import datetime

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import DeliveryStatus
from bot.core.delivery.posted import (
    NO_LONGER_NEEDED,
    PostedMessage,
    Rendering,
    SqlPostedRepository,
    edit_postings_of,
    edit_postings_with_text,
    fit_parts,
    record_posting,
)
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import Button, OutboundMessage
from bot.core.ports import MessageGoneError
from bot.core.storage.database import Database, UnitOfWork
from tests.core.delivery.conftest import CHANNEL, GUILD
from tests.core.fakes import FakeSender

KIND = "test_posting_edit"
PAT, SAM = 7001, 7002


def text(value: str) -> OutboundMessage:
    """Return a message with just content."""
    return OutboundMessage(content=value)


class Words:
    """A renderer whose words per author can change between renderings."""

    def __init__(self, words: dict[int, str]) -> None:
        self.words = words

    def rendering(self) -> Rendering:
        """Return what the posting shows now."""
        shown = " / ".join(self.words[a] for a in sorted(self.words)) or "nothing"
        return Rendering((text(shown),), frozenset(self.words), bool(self.words))

    async def __call__(self, uow: UnitOfWork, posted: PostedMessage, now: datetime) -> Rendering:
        """Render from the current words."""
        return self.rendering()


async def posted_setup(database: Database, clock: ManualClock, words: Words) -> tuple[Dispatcher, FakeSender]:
    """Wire a dispatcher with the editor for KIND and record one posting (message 500) of words."""
    from bot.core.delivery.posted import PostedEditor

    sender = FakeSender()
    dispatcher = Dispatcher(database, clock, worker_id="posted-test", poll_interval=None)
    dispatcher.register(KIND, PostedEditor(database, clock, sender, words))
    await record_posting(
        database,
        guild_id=GUILD,
        edit_kind=KIND,
        ref="test:posting:1",
        subject_id=1,
        channel_id=CHANNEL,
        message_ids=[500],
        rendering=words.rendering(),
        now=clock.now(),
    )
    return dispatcher, sender


def test_fit_parts_pads_or_folds_the_rendering_into_the_posted_messages() -> None:
    """Fewer new parts: the rest say they are no longer needed; more: the last posted part points to the rest."""
    a, b, c = text("a"), text("b"), OutboundMessage(content="c", buttons=(Button("Go", custom_id="x"),))
    overflow = text("more elsewhere")
    assert fit_parts([a], 3, overflow=overflow) == [a, NO_LONGER_NEEDED, NO_LONGER_NEEDED]
    folded = fit_parts([a, b, c], 2, overflow=overflow)
    assert folded[0] == a and folded[1].content == "more elsewhere" and folded[1].buttons == c.buttons
    assert fit_parts([a, b], 2, overflow=overflow) == [a, b]


async def test_erasure_edits_a_posting_once_and_forgets_the_author(database: Database, clock: ManualClock) -> None:
    """edit_postings_of schedules one edit of each posting carrying the person; it shows what is stored now, records
    the remaining authors, and another request with nothing changed edits nothing."""
    words = Words({PAT: "Pat's idea", SAM: "Sam's idea"})
    dispatcher, sender = await posted_setup(database, clock, words)
    async with database.unit_of_work() as uow:
        assert await edit_postings_of(uow, GUILD, 9999, now=clock.now()) == 0  # carries nobody else
        del words.words[PAT]
        assert await edit_postings_of(uow, GUILD, PAT, now=clock.now()) == 1
        await uow.commit()
    await dispatcher.run_due()
    assert [(c, m, msg.content) for c, m, msg in sender.edits] == [(CHANNEL, 500, "Sam's idea")]
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlPostedRepository)
        assert await repo.carrying(GUILD, PAT) == []
        (posting,) = await repo.carrying(GUILD, SAM)
        assert await repo.authors(posting.id) == {SAM}
        await edit_postings_with_text(uow, GUILD, now=clock.now())
        await uow.commit()
    await dispatcher.run_due()
    assert len(sender.edits) == 1  # same rendering: no second edit
    async with database.unit_of_work() as uow:
        edits = await uow.repo(SqlDeliveryRepository).list(kind=KIND)
    assert [d.status for d in edits] == [DeliveryStatus.SENT, DeliveryStatus.SENT]


async def test_a_deleted_message_counts_as_edited(database: Database, clock: ManualClock) -> None:
    """When the message is gone (someone deleted it) the edit is done, not failed, and no longer holds text."""
    words = Words({PAT: "Pat's idea"})
    dispatcher, sender = await posted_setup(database, clock, words)
    sender.edit = _gone  # type: ignore[method-assign]
    words.words.clear()
    async with database.unit_of_work() as uow:
        await edit_postings_of(uow, GUILD, PAT, now=clock.now())
        await uow.commit()
    await dispatcher.run_due()
    async with database.unit_of_work() as uow:
        (delivery,) = await uow.repo(SqlDeliveryRepository).list(kind=KIND)
        assert await uow.repo(SqlPostedRepository).with_text(GUILD) == []
    assert delivery.status is DeliveryStatus.SENT


async def _gone(channel_id: int, message_id: int, message: OutboundMessage) -> None:
    raise MessageGoneError("no such message")
