"""Messages already posted that carry people's words or names, so erasure and retention can edit them.

A feature that posts someone's words outside a published Flash Report (the draft in the facilitator channel,
the reflection summary with its quotes) records each posting right after it went out (``record_posting``):
its messages, the delivery kind that re-renders it (its *edit kind*), what it shows (``subject_id``), whose
words or names it carries and whether it holds any free text. Published Flash Report issues keep their own
snapshot and are amended by ``flash_amend`` (bot.core.flash).

* ``/me delete`` calls ``edit_postings_of(uow, guild, user)`` in its transaction: one edit delivery for each
  posting that carries the person, and the person is forgotten as an author at once.
* A retention sweep that removed text calls ``edit_postings_with_text(uow, guild)``: every posting that still
  holds free text is rendered again from what is stored now.

Edit deliveries (kind = the posting's edit kind; handled by ``PostedEditor`` with the feature's renderer):

* target ``posted:<id>``, dedupe key ``posted:<id>:edit:<n>`` (n counts the posting's edit requests) — a new
  key for each request, and a request cancels the posting's edits still pending (one rendering from the current
  data covers them all; a claimed one finishes, and the new one runs after it). A key that turns out to be taken
  by a claimed or finished edit (two requests at once) moves on to the next n, so no request is lost;
* deliver_before 7 days after due; payload ``{"posted_id": id, "summary": ...}``;
* the handler renders the posting again from what is stored now (erased rows are gone, expired text is blank),
  edits each message with ``Sender.edit`` — idempotent, so a retry after a failure part-way just edits again —
  skips the edits when the rendering is unchanged (digest), counts a message that no longer exists as done,
  and records the authors and text that remain.
"""

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliverySkipped, DeliveryStatus, NewDelivery
from bot.core.delivery.keys import delivery_key
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import OutboundMessage, small, text
from bot.core.ports import MessageGoneError, Sender
from bot.core.storage.database import Database, UnitOfWork, rowcount
from bot.core.storage.models.delivery import PostedAuthorRow, PostedMessageRow

log = logging.getLogger(__name__)

EDIT_LIFETIME = timedelta(days=7)
PENDING = DeliveryStatus.PENDING
NO_LONGER_NEEDED = OutboundMessage(content=text(small("This part is no longer needed.")))


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """One recorded posting (one or more messages in one channel)."""

    id: int
    guild_id: int
    edit_kind: str
    ref: str
    subject_id: int
    channel_id: int
    message_ids: tuple[int, ...]
    has_text: bool
    digest: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Rendering:
    """What a posting should show now, whose words or names that carries, and whether it holds free text."""

    messages: tuple[OutboundMessage, ...]
    authors: frozenset[int] = frozenset()
    has_text: bool = False


def message_digest(messages: Sequence[OutboundMessage]) -> str:
    """Return a stable hash of what messages show (frozen dataclasses: their repr is their content)."""
    return hashlib.sha256(repr(tuple(messages)).encode("utf-8")).hexdigest()


def fit_parts(messages: Sequence[OutboundMessage], count: int, *, overflow: OutboundMessage) -> list[OutboundMessage]:
    """Return exactly count messages to edit count posted ones with.

    Posted parts beyond the new rendering say they are no longer needed; when the rendering needs more parts
    than were posted, the last posted one becomes overflow (keeping the rendering's last buttons).
    """
    parts = list(messages)
    if len(parts) > count:
        last = OutboundMessage(
            content=overflow.content, embeds=overflow.embeds, buttons=overflow.buttons or parts[-1].buttons
        )
        parts = [*parts[: count - 1], last]
    return parts + [NO_LONGER_NEEDED] * (count - len(parts))


def _posted(row: PostedMessageRow) -> PostedMessage:
    return PostedMessage(
        id=row.id,
        guild_id=row.guild_id,
        edit_kind=row.edit_kind,
        ref=row.ref,
        subject_id=row.subject_id,
        channel_id=row.channel_id,
        message_ids=tuple(int(m) for m in row.message_ids or ()),
        has_text=bool(row.has_text),
        digest=row.digest or "",
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlPostedRepository:
    """Record postings and their authors; find the postings of a person or with free text."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        guild_id: int,
        edit_kind: str,
        ref: str,
        subject_id: int,
        channel_id: int,
        message_ids: Sequence[int],
        rendering: Rendering,
        digest: str,
        now: datetime,
    ) -> PostedMessage:
        """Record a posting (or update the one with this ref) with its current authors."""
        row = await self._session.scalar(select(PostedMessageRow).where(PostedMessageRow.ref == ref))
        if row is None:
            row = PostedMessageRow(guild_id=guild_id, edit_kind=edit_kind, ref=ref, created_at=now)
            self._session.add(row)
        row.subject_id = subject_id
        row.channel_id = channel_id
        row.message_ids = [int(m) for m in message_ids]
        row.has_text = rendering.has_text
        row.digest = digest
        row.updated_at = now
        await self._session.flush()
        await self._set_authors(row.id, rendering.authors)
        return _posted(row)

    async def update(self, posted_id: int, rendering: Rendering, digest: str, *, now: datetime) -> None:
        """Store what a posting shows after an edit: its authors, whether it has text, its digest."""
        await self._session.execute(
            update(PostedMessageRow)
            .where(PostedMessageRow.id == posted_id)
            .values(has_text=rendering.has_text, digest=digest, updated_at=now)
        )
        await self._set_authors(posted_id, rendering.authors)

    async def _set_authors(self, posted_id: int, authors: Iterable[int]) -> None:
        await self._session.execute(delete(PostedAuthorRow).where(PostedAuthorRow.posted_id == posted_id))
        rows = [PostedAuthorRow(posted_id=posted_id, user_id=int(u)) for u in sorted(set(authors))]
        self._session.add_all(rows)
        await self._session.flush()

    async def get(self, posted_id: int) -> PostedMessage | None:
        """Return a posting by id, or None."""
        row = await self._session.get(PostedMessageRow, posted_id)
        return None if row is None else _posted(row)

    async def authors(self, posted_id: int) -> frozenset[int]:
        """Return whose words or names a posting carries."""
        found = await self._session.scalars(
            select(PostedAuthorRow.user_id).where(PostedAuthorRow.posted_id == posted_id)
        )
        return frozenset(int(u) for u in found.all())

    async def carrying(self, guild_id: int, user_id: int) -> list[PostedMessage]:
        """Return the server's postings that carry someone's words or name, oldest first."""
        stmt = (
            select(PostedMessageRow)
            .join(PostedAuthorRow, PostedAuthorRow.posted_id == PostedMessageRow.id)
            .where(PostedMessageRow.guild_id == guild_id, PostedAuthorRow.user_id == user_id)
            .order_by(PostedMessageRow.id)
        )
        return [_posted(r) for r in (await self._session.scalars(stmt)).all()]

    async def with_text(self, guild_id: int) -> list[PostedMessage]:
        """Return the server's postings that still hold free text, oldest first."""
        stmt = (
            select(PostedMessageRow)
            .where(PostedMessageRow.guild_id == guild_id, PostedMessageRow.has_text.is_(True))
            .order_by(PostedMessageRow.id)
        )
        return [_posted(r) for r in (await self._session.scalars(stmt)).all()]

    async def forget_author(self, guild_id: int, user_id: int) -> int:
        """Forget someone as the author of any posting in a server; return how many links went."""
        ids = select(PostedMessageRow.id).where(PostedMessageRow.guild_id == guild_id)
        result = await self._session.execute(
            delete(PostedAuthorRow).where(PostedAuthorRow.user_id == user_id, PostedAuthorRow.posted_id.in_(ids))
        )
        return rowcount(result)


def edit_target(posted: PostedMessage) -> str:
    """Return the delivery target shared by a posting's edits."""
    return delivery_key("posted", posted.id)


def edit_delivery(posted: PostedMessage, number: int, *, now: datetime, why: str) -> NewDelivery:
    """Return the number-th edit request of a posting, due now (why: "erasure" or "retention", for notices)."""
    return NewDelivery(
        guild_id=posted.guild_id,
        kind=posted.edit_kind,
        target=edit_target(posted),
        dedupe_key=delivery_key("posted", posted.id, "edit", number),
        due_at=now,
        deliver_before=now + EDIT_LIFETIME,
        payload={"posted_id": posted.id, "summary": f"update of a message posted earlier ({why})"},
    )


async def schedule_edits(uow: UnitOfWork, postings: Iterable[PostedMessage], *, now: datetime, why: str) -> int:
    """Schedule an edit of each posting in the caller's unit of work (pending ones are replaced); return how
    many. The caller commits, then wakes the dispatcher."""
    repo = uow.repo(SqlDeliveryRepository)
    count = 0
    for posted in postings:
        await repo.cancel_target(edit_target(posted), now=now)
        number = len(await repo.list(target=edit_target(posted))) + 1
        while (await repo.add(edit_delivery(posted, number, now=now, why=why), now=now)).status is not PENDING:
            number += 1  # taken by a request made at the same moment that is already running or done
        count += 1
    return count


async def edit_postings_of(uow: UnitOfWork, guild_id: int, user_id: int, *, now: datetime) -> int:
    """Schedule the edit of every posting that carries someone (erasure) and forget them as its author."""
    repo = uow.repo(SqlPostedRepository)
    count = await schedule_edits(uow, await repo.carrying(guild_id, user_id), now=now, why="erasure")
    await repo.forget_author(guild_id, user_id)
    return count


async def edit_postings_with_text(uow: UnitOfWork, guild_id: int, *, now: datetime) -> int:
    """Schedule the edit of every posting that still holds free text (after a retention sweep removed some)."""
    postings = await uow.repo(SqlPostedRepository).with_text(guild_id)
    return await schedule_edits(uow, postings, now=now, why="retention")


async def record_posting(
    database: Database,
    *,
    guild_id: int,
    edit_kind: str,
    ref: str,
    subject_id: int,
    channel_id: int,
    message_ids: Sequence[int],
    rendering: Rendering,
    now: datetime,
) -> None:
    """Record, in its own transaction, a posting that just went out (call it before returning the message id,
    so a failure here retries the delivery, whose post_once finds the messages already there)."""
    async with database.unit_of_work() as uow:
        await uow.repo(SqlPostedRepository).record(
            guild_id=guild_id,
            edit_kind=edit_kind,
            ref=ref,
            subject_id=subject_id,
            channel_id=channel_id,
            message_ids=message_ids,
            rendering=rendering,
            digest=message_digest(rendering.messages),
            now=now,
        )
        await uow.commit()


Renderer = Callable[[UnitOfWork, PostedMessage, datetime], Awaitable[Rendering]]
"""Render a posting from what is stored now (inside the given unit of work, which the editor does not commit)."""


def _posted_id(payload: Mapping[str, Any]) -> int:
    value = payload.get("posted_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise DeliverySkipped("payload has no posting id")
    return value


class PostedEditor:
    """Handle a posting's edit deliveries: render it again, edit its messages, record what it carries now."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        sender: Sender,
        renderer: Renderer,
        *,
        overflow: OutboundMessage = NO_LONGER_NEEDED,
    ) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._renderer = renderer
        self._overflow = overflow

    async def __call__(self, delivery: Delivery) -> int | None:
        """Edit the posting to what it should show now; return its first message id."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            posted = await uow.repo(SqlPostedRepository).get(_posted_id(delivery.payload))
            if posted is None or posted.guild_id != delivery.guild_id:
                raise DeliverySkipped("the posting is no longer recorded")
            rendering = await self._renderer(uow, posted, now)
        if not posted.message_ids:
            raise DeliverySkipped("nothing was posted")
        messages = fit_parts(rendering.messages, len(posted.message_ids), overflow=self._overflow)
        digest = message_digest(messages)
        if digest != posted.digest:
            for message_id, message in zip(posted.message_ids, messages, strict=True):
                try:
                    await self._sender.edit(posted.channel_id, message_id, message)
                except MessageGoneError:
                    log.info("Message %s of posting %s no longer exists; nothing to edit", message_id, posted.id)
        async with self._database.unit_of_work() as uow:
            await uow.repo(SqlPostedRepository).update(posted.id, rendering, digest, now=self._clock.now())
            await uow.commit()
        log.info("Posting %s (%s) rendered again", posted.id, posted.edit_kind)
        return posted.message_ids[0]
