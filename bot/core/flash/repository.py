"""Storage of Flash Report items, issues, tags and cadence; the unit of work owns the transaction.

Status changes of an issue are compare-and-set on its status, so two deliveries (or a delivery and a
facilitator's button) can never both freeze or both finish one issue.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.flash.content import Snapshot
from bot.core.flash.domain import FlashItem, FlashRecord, Issue, IssueStatus, ItemKind, ItemState
from bot.core.storage.database import rowcount
from bot.core.storage.dialect import dialect_insert
from bot.core.storage.models.flash import (
    FlashIssueRow,
    FlashItemRow,
    FlashScheduleRow,
    FlashSettingsRow,
    FlashTagRow,
)


def _item(row: FlashItemRow) -> FlashItem:
    return FlashItem(
        id=row.id,
        guild_id=row.guild_id,
        kind=ItemKind(row.kind),
        state=ItemState(row.state),
        url=row.url,
        title=row.title or "",
        body=row.body or "",
        excerpt=row.excerpt or "",
        tags=tuple(row.tags or ()),
        author_id=row.author_id,
        author_name=row.author_name or "",
        nominated_by_id=row.nominated_by_id,
        source_channel_id=row.source_channel_id,
        source_message_id=row.source_message_id,
        jump_url=row.jump_url,
        credit_by_name=bool(row.credit_by_name),
        issue_id=row.issue_id,
        restricted=bool(row.restricted),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _issue(row: FlashIssueRow) -> Issue:
    return Issue(
        id=row.id,
        guild_id=row.guild_id,
        number=row.number,
        status=IssueStatus(row.status),
        intro=row.intro,
        scheduled_for=row.scheduled_for,
        period_start=row.period_start,
        published_at=row.published_at,
        channel_id=row.channel_id,
        message_ids=tuple(int(m) for m in row.message_ids or ()),
        publisher_key=row.publisher_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to store (already validated and tidied by the service)."""

    guild_id: int
    kind: ItemKind
    author_id: int | None
    author_name: str
    dedupe_key: str | None = None
    url: str | None = None
    title: str = ""
    body: str = ""
    excerpt: str = ""
    tags: tuple[str, ...] = ()
    nominated_by_id: int | None = None
    source_channel_id: int | None = None
    source_message_id: int | None = None
    jump_url: str | None = None
    credit_by_name: bool = False
    restricted: bool = False
    state: ItemState = ItemState.INCLUDED


def _added_by(user_id: int) -> ColumnElement[bool]:
    """Items a person put forward: resources and stories they shared, messages they nominated."""
    return or_(
        and_(FlashItemRow.kind != ItemKind.NOMINATION.value, FlashItemRow.author_id == user_id),
        and_(FlashItemRow.kind == ItemKind.NOMINATION.value, FlashItemRow.nominated_by_id == user_id),
    )


def _of_person(user_id: int) -> ColumnElement[bool]:
    """Items a person put forward or whose words they are (their messages that others nominated)."""
    return or_(FlashItemRow.author_id == user_id, FlashItemRow.nominated_by_id == user_id)


class SqlFlashItemRepository:
    """Collected items: add, list what waits for the next issue, curate, attach to an issue, erase."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, new: NewItem, *, now: datetime) -> FlashItem:
        """Store an item (included unless new.state says held); a clash on (guild, dedupe_key) raises IntegrityError."""
        row = FlashItemRow(
            guild_id=new.guild_id,
            kind=new.kind.value,
            state=ItemState(new.state).value,
            dedupe_key=new.dedupe_key,
            url=new.url,
            title=new.title,
            body=new.body,
            excerpt=new.excerpt,
            tags=list(new.tags),
            author_id=new.author_id,
            author_name=new.author_name,
            nominated_by_id=new.nominated_by_id,
            source_channel_id=new.source_channel_id,
            source_message_id=new.source_message_id,
            jump_url=new.jump_url,
            credit_by_name=new.credit_by_name,
            restricted=new.restricted,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _item(row)

    async def get(self, guild_id: int, item_id: int) -> FlashItem | None:
        """Return a server's item by id, or None."""
        row = await self._session.scalar(
            select(FlashItemRow)
            .where(FlashItemRow.guild_id == guild_id, FlashItemRow.id == item_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _item(row)

    async def get_by_key(self, guild_id: int, dedupe_key: str) -> FlashItem | None:
        """Return the item with this dedupe key in a server, or None."""
        row = await self._session.scalar(
            select(FlashItemRow).where(FlashItemRow.guild_id == guild_id, FlashItemRow.dedupe_key == dedupe_key)
        )
        return None if row is None else _item(row)

    def _pending(self, guild_id: int, kind: ItemKind | None) -> ColumnElement[bool]:
        where = (FlashItemRow.guild_id == guild_id) & FlashItemRow.issue_id.is_(None)
        if kind is not None:
            where = where & (FlashItemRow.kind == kind.value)
        return where

    async def pending(
        self, guild_id: int, *, kind: ItemKind | None = None, offset: int = 0, limit: int | None = None
    ) -> list[FlashItem]:
        """Return the items waiting for the next issue, oldest first."""
        stmt = select(FlashItemRow).where(self._pending(guild_id, kind)).order_by(FlashItemRow.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        items = [_item(r) for r in (await self._session.scalars(stmt)).all()]
        return items

    async def count_pending(
        self,
        guild_id: int,
        *,
        kind: ItemKind | None = None,
        created_after: datetime | None = None,
        state: ItemState | None = None,
    ) -> int:
        """Count the items waiting for the next issue (only those added after created_after, or in state, if given)."""
        stmt = select(func.count(FlashItemRow.id)).where(self._pending(guild_id, kind))
        if created_after is not None:
            stmt = stmt.where(FlashItemRow.created_at > created_after)
        if state is not None:
            stmt = stmt.where(FlashItemRow.state == ItemState(state).value)
        return int(await self._session.scalar(stmt) or 0)

    async def count_added_by(self, guild_id: int, user_id: int, *, since: datetime) -> int:
        """Count the items user_id shared, told or nominated at or after since (published, excluded or held too)."""
        stmt = select(func.count(FlashItemRow.id)).where(
            FlashItemRow.guild_id == guild_id, FlashItemRow.created_at >= since, _added_by(user_id)
        )
        return int(await self._session.scalar(stmt) or 0)

    async def set_state_of_person(
        self, guild_id: int, user_id: int, state: ItemState, *, only: Iterable[ItemState] | None = None, now: datetime
    ) -> int:
        """Set the state of every waiting item of a person (see _of_person), optionally only from some states."""
        stmt = update(FlashItemRow).where(
            self._pending(guild_id, None), _of_person(user_id), FlashItemRow.state != ItemState(state).value
        )
        if only is not None:
            stmt = stmt.where(FlashItemRow.state.in_([ItemState(s).value for s in only]))
        result = await self._session.execute(stmt.values(state=ItemState(state).value, updated_at=now))
        return rowcount(result)

    def _in_range(self, guild_id: int, first_id: int, last_id: int, kind: ItemKind | None) -> ColumnElement[bool]:
        return self._pending(guild_id, kind) & FlashItemRow.id.between(first_id, last_id)

    async def count_in_range(self, guild_id: int, first_id: int, last_id: int, kind: ItemKind | None) -> int:
        """Count the waiting items (of kind, if given) whose ids lie in first_id..last_id."""
        stmt = select(func.count(FlashItemRow.id)).where(self._in_range(guild_id, first_id, last_id, kind))
        return int(await self._session.scalar(stmt) or 0)

    async def set_state_in_range(
        self, guild_id: int, first_id: int, last_id: int, kind: ItemKind | None, state: ItemState, *, now: datetime
    ) -> int:
        """Set the state of the waiting items (of kind) whose ids lie in first_id..last_id; return how many changed."""
        result = await self._session.execute(
            update(FlashItemRow)
            .where(self._in_range(guild_id, first_id, last_id, kind), FlashItemRow.state != ItemState(state).value)
            .values(state=ItemState(state).value, updated_at=now)
        )
        return rowcount(result)

    async def update(self, guild_id: int, item_id: int, changes: Mapping[str, Any], *, now: datetime) -> FlashItem:
        """Change a waiting item's state, title, body or tags."""
        values = dict(changes)
        if "state" in values:
            values["state"] = ItemState(values["state"]).value
        if "tags" in values:
            values["tags"] = list(values["tags"])
        await self._session.execute(
            update(FlashItemRow)
            .where(FlashItemRow.guild_id == guild_id, FlashItemRow.id == item_id, FlashItemRow.issue_id.is_(None))
            .values(**values, updated_at=now)
        )
        found = await self.get(guild_id, item_id)
        if found is None:
            raise LookupError(f"flash item {item_id} vanished")
        return found

    async def attach(self, guild_id: int, item_ids: Iterable[int], issue_id: int, *, now: datetime) -> int:
        """Mark waiting items as part of an issue; return how many."""
        wanted = sorted(set(item_ids))
        if not wanted:
            return 0
        result = await self._session.execute(
            update(FlashItemRow)
            .where(FlashItemRow.guild_id == guild_id, FlashItemRow.id.in_(wanted), FlashItemRow.issue_id.is_(None))
            .values(issue_id=issue_id, updated_at=now)
        )
        return rowcount(result)

    async def delete_by_author(self, guild_id: int, user_id: int) -> int:
        """Delete every item carrying user_id's words (published or not); return how many."""
        result = await self._session.execute(
            delete(FlashItemRow).where(FlashItemRow.guild_id == guild_id, FlashItemRow.author_id == user_id)
        )
        return rowcount(result)

    async def forget_nominator(self, guild_id: int, user_id: int, *, now: datetime) -> int:
        """Drop user_id as the nominator of other people's messages; return how many items changed."""
        result = await self._session.execute(
            update(FlashItemRow)
            .where(FlashItemRow.guild_id == guild_id, FlashItemRow.nominated_by_id == user_id)
            .values(nominated_by_id=None, updated_at=now)
        )
        return rowcount(result)

    async def records(self, guild_id: int, *, user_id: int | None = None) -> list[FlashRecord]:
        """Return every collected item (waiting, published or left out) with its issue number, oldest first.

        With user_id, only the items that person wrote or nominated (for /me data).
        """
        stmt = (
            select(FlashItemRow, FlashIssueRow.number, FlashIssueRow.status)
            .outerjoin(FlashIssueRow, FlashIssueRow.id == FlashItemRow.issue_id)
            .where(FlashItemRow.guild_id == guild_id)
            .order_by(FlashItemRow.id)
        )
        if user_id is not None:
            stmt = stmt.where((FlashItemRow.author_id == user_id) | (FlashItemRow.nominated_by_id == user_id))
        records = []
        for row, number, status in (await self._session.execute(stmt)).all():
            kind = ItemKind(row.kind)
            out = number is not None and status != IssueStatus.DRAFT.value
            records.append(
                FlashRecord(
                    id=row.id,
                    kind=kind,
                    author_id=row.author_id,
                    author_name=row.author_name or "",
                    nominated_by_id=row.nominated_by_id,
                    url=row.url,
                    title=row.title or "",
                    note=(row.body or "") if kind is not ItemKind.STORY else "",
                    text=(row.body or "") if kind is ItemKind.STORY else "",
                    excerpt=row.excerpt or "",
                    tags=tuple(row.tags or ()),
                    jump_url=row.jump_url,
                    credit_by_name=bool(row.credit_by_name),
                    included=row.state == ItemState.INCLUDED.value,
                    issue_number=int(number) if out else None,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                )
            )
        return records

    async def redact_text(self, guild_id: int, before: datetime, *, now: datetime) -> tuple[int, int, int, set[int]]:
        """Blank every free-text field of items created at or before before (retention): resource titles and
        notes, stories, nominated excerpts, titles and notes, and the display names kept for credits.

        Return how many resources, stories and nominations lost text, and the ids of every item that old.
        """
        where = (FlashItemRow.guild_id == guild_id) & (FlashItemRow.created_at <= before)
        has_text = (
            (FlashItemRow.title != "")
            | (FlashItemRow.body != "")
            | (FlashItemRow.excerpt != "")
            | (FlashItemRow.author_name != "")
        )
        blank = {"title": "", "body": "", "excerpt": "", "author_name": "", "updated_at": now}
        counts = []
        for kind in (ItemKind.RESOURCE, ItemKind.STORY, ItemKind.NOMINATION):
            result = await self._session.execute(
                update(FlashItemRow).where(where, FlashItemRow.kind == kind.value, has_text).values(**blank)
            )
            counts.append(rowcount(result))
        old_ids = set((await self._session.scalars(select(FlashItemRow.id).where(where))).all())
        return counts[0], counts[1], counts[2], old_ids


class SqlFlashIssueRepository:
    """Issues and their snapshots."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, issue_id: int) -> Issue | None:
        """Return an issue by id, or None."""
        row = await self._session.get(FlashIssueRow, issue_id, populate_existing=True)
        return None if row is None else _issue(row)

    async def lock(self, issue_id: int) -> Issue | None:
        """Lock an issue's row until the transaction ends and return it as it is now, or None.

        A no-op UPDATE: on PostgreSQL it takes the row lock, on SQLite the write lock, so concurrent
        requests about one issue take turns and each sees what the one before it committed.
        """
        await self._session.execute(
            update(FlashIssueRow).where(FlashIssueRow.id == issue_id).values(updated_at=FlashIssueRow.updated_at)
        )
        return await self.get(issue_id)

    async def get_by_number(self, guild_id: int, number: int) -> Issue | None:
        """Return a server's issue by its number, or None."""
        row = await self._session.scalar(
            select(FlashIssueRow).where(FlashIssueRow.guild_id == guild_id, FlashIssueRow.number == number)
        )
        return None if row is None else _issue(row)

    async def draft(self, guild_id: int) -> Issue | None:
        """Return the server's issue in preparation (status draft), or None."""
        row = await self._session.scalar(
            select(FlashIssueRow)
            .where(FlashIssueRow.guild_id == guild_id, FlashIssueRow.status == IssueStatus.DRAFT.value)
            .order_by(FlashIssueRow.number.desc())
            .limit(1)
        )
        return None if row is None else _issue(row)

    async def newest(self, guild_id: int) -> Issue | None:
        """Return the server's highest-numbered issue, whatever its status, or None."""
        row = await self._session.scalar(
            select(FlashIssueRow)
            .where(FlashIssueRow.guild_id == guild_id)
            .order_by(FlashIssueRow.number.desc())
            .limit(1)
        )
        return None if row is None else _issue(row)

    async def create(
        self,
        guild_id: int,
        number: int,
        *,
        period_start: datetime | None,
        scheduled_for: datetime | None,
        now: datetime,
    ) -> Issue:
        """Start a draft issue; a clash on (guild, number) raises IntegrityError."""
        row = FlashIssueRow(
            guild_id=guild_id,
            number=number,
            status=IssueStatus.DRAFT.value,
            scheduled_for=scheduled_for,
            period_start=period_start,
            message_ids=[],
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _issue(row)

    async def update_draft(self, issue_id: int, changes: Mapping[str, Any], *, now: datetime) -> Issue | None:
        """Change a draft's intro or schedule; None when it is no longer a draft."""
        result = await self._session.execute(
            update(FlashIssueRow)
            .where(FlashIssueRow.id == issue_id, FlashIssueRow.status == IssueStatus.DRAFT.value)
            .values(**changes, updated_at=now)
        )
        if not rowcount(result):
            return None
        return await self.get(issue_id)

    async def freeze(
        self, issue_id: int, snapshot: Snapshot, *, channel_id: int, publisher_key: str, now: datetime
    ) -> bool:
        """Move a draft to publishing with its snapshot; False when it was not a draft any more."""
        result = await self._session.execute(
            update(FlashIssueRow)
            .where(FlashIssueRow.id == issue_id, FlashIssueRow.status == IssueStatus.DRAFT.value)
            .values(
                status=IssueStatus.PUBLISHING.value,
                snapshot=snapshot.to_json(),
                channel_id=channel_id,
                publisher_key=publisher_key,
                message_ids=[],
                published_at=now,
                updated_at=now,
            )
        )
        return bool(rowcount(result))

    async def take_over(self, issue_id: int, old_key: str | None, new_key: str, *, now: datetime) -> bool:
        """Make new_key the publisher of an issue stuck in publishing (its publisher gave up); CAS on old_key."""
        owner = FlashIssueRow.publisher_key.is_(None) if old_key is None else FlashIssueRow.publisher_key == old_key
        result = await self._session.execute(
            update(FlashIssueRow)
            .where(FlashIssueRow.id == issue_id, FlashIssueRow.status == IssueStatus.PUBLISHING.value, owner)
            .values(publisher_key=new_key, updated_at=now)
        )
        return bool(rowcount(result))

    async def record_parts(self, issue_id: int, message_ids: Sequence[int], *, now: datetime) -> None:
        """Store the message ids of the parts posted so far, in order."""
        await self._session.execute(
            update(FlashIssueRow)
            .where(FlashIssueRow.id == issue_id)
            .values(message_ids=[int(m) for m in message_ids], updated_at=now)
        )

    async def finish(self, issue_id: int, *, now: datetime) -> bool:
        """Move a publishing issue to published; False when it was not publishing."""
        result = await self._session.execute(
            update(FlashIssueRow)
            .where(FlashIssueRow.id == issue_id, FlashIssueRow.status == IssueStatus.PUBLISHING.value)
            .values(status=IssueStatus.PUBLISHED.value, updated_at=now)
        )
        return bool(rowcount(result))

    async def snapshot(self, issue_id: int) -> Snapshot | None:
        """Return an issue's frozen snapshot, or None before it was frozen."""
        data = await self._session.scalar(select(FlashIssueRow.snapshot).where(FlashIssueRow.id == issue_id))
        return None if data is None else Snapshot.from_json(data)

    async def replace_snapshot(self, issue_id: int, snapshot: Snapshot, *, now: datetime) -> None:
        """Store an amended snapshot (erasure only: the snapshot itself records the removal)."""
        await self._session.execute(
            update(FlashIssueRow)
            .where(FlashIssueRow.id == issue_id)
            .values(snapshot=snapshot.to_json(), updated_at=now)
        )

    def _out(self, guild_id: int) -> ColumnElement[bool]:
        return (FlashIssueRow.guild_id == guild_id) & FlashIssueRow.status.in_(
            (IssueStatus.PUBLISHING.value, IssueStatus.PUBLISHED.value)
        )

    async def published(self, guild_id: int, *, offset: int = 0, limit: int | None = None) -> list[Issue]:
        """Return the issues that have gone out (or are going out), newest first."""
        stmt = select(FlashIssueRow).where(self._out(guild_id)).order_by(FlashIssueRow.number.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_issue(r) for r in (await self._session.scalars(stmt)).all()]

    async def count_published(self, guild_id: int) -> int:
        """Count the issues that have gone out (or are going out)."""
        return int(await self._session.scalar(select(func.count(FlashIssueRow.id)).where(self._out(guild_id))) or 0)


class SqlFlashSettingsRepository:
    """A server's tag vocabulary, publication cadence and flood limits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_limits(self, guild_id: int, *, now: datetime) -> tuple[int | None, int | None]:
        """Lock the server's limits row until the transaction ends (creating it) and return its stored limits.

        An upsert that changes nothing: PostgreSQL locks the row, SQLite takes the write lock, so adds that count
        what a person added today take turns and each sees what the one before it committed.
        """
        stmt = dialect_insert(self._session, FlashSettingsRow).values(guild_id=guild_id, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["guild_id"], set_={"updated_at": FlashSettingsRow.__table__.c.updated_at}
        )
        await self._session.execute(stmt)
        return await self.limits(guild_id)

    async def limits(self, guild_id: int) -> tuple[int | None, int | None]:
        """Return the stored (per_person_per_day, issue_size); None means the default."""
        row = (
            await self._session.execute(
                select(FlashSettingsRow.per_person_per_day, FlashSettingsRow.issue_size).where(
                    FlashSettingsRow.guild_id == guild_id
                )
            )
        ).first()
        return (None, None) if row is None else (row[0], row[1])

    async def set_limits(self, guild_id: int, changes: Mapping[str, int | None], *, now: datetime) -> None:
        """Store per_person_per_day and/or issue_size (keys absent from changes are kept)."""
        values = {k: v for k, v in changes.items() if k in ("per_person_per_day", "issue_size")}
        stmt = dialect_insert(self._session, FlashSettingsRow).values(guild_id=guild_id, updated_at=now, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["guild_id"], set_={**values, "updated_at": now})
        await self._session.execute(stmt)

    async def tag_uses(self, guild_id: int) -> dict[str, int]:
        """Return each tag used in the server with its number of uses."""
        rows = await self._session.execute(
            select(FlashTagRow.name, FlashTagRow.uses).where(FlashTagRow.guild_id == guild_id)
        )
        return {name: uses for name, uses in rows}

    async def use_tags(self, guild_id: int, tags: Iterable[str], *, now: datetime) -> None:
        """Count one more use of each tag (adding new ones to the vocabulary)."""
        for tag in tags:
            stmt = dialect_insert(self._session, FlashTagRow).values(
                guild_id=guild_id, name=tag, uses=1, created_at=now
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["guild_id", "name"], set_={"uses": FlashTagRow.__table__.c.uses + 1}
            )
            await self._session.execute(stmt)

    async def schedule(self, guild_id: int) -> tuple[str, int] | None:
        """Return the server's cadence rule and draft lead time in minutes, or None."""
        row = await self._session.get(FlashScheduleRow, guild_id, populate_existing=True)
        return None if row is None else (row.rule, row.lead_minutes)

    async def set_schedule(self, guild_id: int, rule: str, lead_minutes: int, *, now: datetime) -> None:
        """Store the server's cadence."""
        row = await self._session.get(FlashScheduleRow, guild_id)
        if row is None:
            self._session.add(FlashScheduleRow(guild_id=guild_id, rule=rule, lead_minutes=lead_minutes, updated_at=now))
        else:
            row.rule, row.lead_minutes, row.updated_at = rule, lead_minutes, now
        await self._session.flush()

    async def clear_schedule(self, guild_id: int) -> bool:
        """Remove the server's cadence; tell whether there was one."""
        result = await self._session.execute(delete(FlashScheduleRow).where(FlashScheduleRow.guild_id == guild_id))
        return bool(rowcount(result))
