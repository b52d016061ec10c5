"""Access to the deliveries outbox; the unit of work owns the transaction, rows come back as Delivery.

Status moves (everything else is refused by compare-and-set on status):

    pending --claim_due--> claimed --mark_sent--> sent
       ^  \\                 |  |----mark_retry--> pending (next_attempt_at later)
       |   cancel           |  |----mark_failed / mark_expired / mark_cancelled
       |    v               |
    cancelled (re-opened by add)   release_abandoned (lease ran out): claimed --> pending, abandoned_at kept
"""

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, String, bindparam, cast, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery.domain import NONCE_WINDOW, UNREACHABLE_ERROR, Delivery, DeliveryStatus, NewDelivery
from bot.core.storage.database import rowcount
from bot.core.storage.dialect import dialect_insert
from bot.core.storage.models.delivery import DeliveryRow
from bot.core.storage.types import UTCDateTime

_T = DeliveryRow.__table__
_C = _T.c
_ERROR_LENGTH = 500

PENDING = DeliveryStatus.PENDING.value
CLAIMED = DeliveryStatus.CLAIMED.value
_OPEN = (_C.status == PENDING) | (_C.status == CLAIMED)  # not IN (…): expanding parameters refuse executemany


def _clip(text: str) -> str:
    return text if len(text) <= _ERROR_LENGTH else text[: _ERROR_LENGTH - 1] + "…"


def _to_delivery(row: RowMapping, *, recovered: bool = False) -> Delivery:
    return Delivery(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        target=row["target"],
        dedupe_key=row["dedupe_key"],
        payload=row["payload"] or {},
        due_at=row["due_at"],
        deliver_before=row["deliver_before"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        lease_until=row["lease_until"],
        message_id=row["message_id"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        recovered=recovered,
        interrupted=row.get("abandoned_at") is not None,
    )


def addressed_to(delivery: Delivery, user_id: int) -> bool:
    """Tell whether a delivery is addressed to user_id (payload "user_id", or a "user:<id>" target part)."""
    payload: Mapping[str, Any] = delivery.payload if isinstance(delivery.payload, Mapping) else {}
    value = payload.get("user_id")
    if isinstance(value, int) and not isinstance(value, bool) and value == user_id:
        return True
    if isinstance(value, str) and value.isdigit() and int(value) == user_id:
        return True
    parts = delivery.target.split(":")
    return any(a == "user" and b == str(user_id) for a, b in itertools.pairwise(parts))


class SqlDeliveryRepository:
    """Read and change deliveries; every state change is a compare-and-set on status."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _fetch(self, stmt: Select[Any]) -> list[Delivery]:
        result = await self._session.execute(stmt)
        return [_to_delivery(m) for m in result.mappings()]

    async def _update_returning(self, where: ColumnElement[bool], values: Mapping[str, Any]) -> list[Delivery]:
        result = await self._session.execute(update(_T).where(where).values(**values).returning(*_C))
        return [_to_delivery(m) for m in result.mappings()]

    # -- scheduling ---------------------------------------------------------------------------------

    async def add(self, new: NewDelivery, *, now: datetime) -> Delivery:
        """Schedule a delivery, idempotently on its dedupe key.

        A pending row with that key takes the new times, target and payload; a cancelled one is re-opened;
        a claimed, sent, expired or failed row is left as it is. Returns the row as stored.
        """
        values = {
            "guild_id": new.guild_id,
            "kind": new.kind,
            "target": new.target,
            "dedupe_key": new.dedupe_key,
            "payload": dict(new.payload),
            "due_at": new.due_at,
            "deliver_before": new.deliver_before,
            "next_attempt_at": new.due_at,
            "status": PENDING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        insert = (
            dialect_insert(self._session, _T).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        inserted = (await self._session.execute(insert.returning(*_C))).mappings().first()
        if inserted is not None:
            return _to_delivery(inserted)
        refresh = {
            "target": new.target,
            "payload": dict(new.payload),
            "due_at": new.due_at,
            "deliver_before": new.deliver_before,
            "next_attempt_at": new.due_at,
            "updated_at": now,
        }
        key = _C.dedupe_key == new.dedupe_key
        updated = await self._update_returning(key & (_C.status == PENDING), refresh)
        if not updated:
            # abandoned_at survives: an attempt of an earlier life may have posted, and a key posts once.
            reopen = refresh | {
                "status": PENDING,
                "attempts": 0,
                "last_error": None,
                "lease_until": None,
                "claimed_by": None,
            }
            updated = await self._update_returning(key & (_C.status == DeliveryStatus.CANCELLED.value), reopen)
        if updated:
            return updated[0]
        found = await self.get_by_key(new.dedupe_key)
        if found is None:  # deleted between the two statements; nothing else deletes rows
            raise RuntimeError(f"delivery {new.dedupe_key!r} vanished while being scheduled")
        return found

    async def cancel(self, dedupe_key: str, *, now: datetime | None = None) -> bool:
        """Cancel the pending delivery with this key; tell whether one was cancelled."""
        values: dict[str, Any] = {"status": DeliveryStatus.CANCELLED.value}
        if now is not None:
            values["updated_at"] = now
        where = (_C.dedupe_key == dedupe_key) & (_C.status == PENDING)
        return bool(await self._update_returning(where, values))

    async def cancel_target(self, target: str, *, now: datetime, sparing: str | None = None) -> int:
        """Cancel every pending delivery of a target (in-flight ones finish); return how many.

        sparing: a dedupe-key prefix whose rows are left alone.
        """
        where = (_C.target == target) & (_C.status == PENDING)
        if sparing is not None:
            where &= ~_C.dedupe_key.startswith(sparing, autoescape=True)
        return len(await self._update_returning(where, {"status": DeliveryStatus.CANCELLED.value, "updated_at": now}))

    # -- reading ------------------------------------------------------------------------------------

    async def get(self, delivery_id: int) -> Delivery | None:
        """Return a delivery by id, or None."""
        found = await self._fetch(select(_T).where(_C.id == delivery_id))
        return found[0] if found else None

    async def get_by_key(self, dedupe_key: str) -> Delivery | None:
        """Return the delivery with this dedupe key, or None."""
        found = await self._fetch(select(_T).where(_C.dedupe_key == dedupe_key))
        return found[0] if found else None

    async def next_due_at(self, *, exclude_kinds: Collection[str] = ()) -> datetime | None:
        """Return when the earliest pending delivery (not of exclude_kinds) becomes due; None when none is."""
        where = _C.status == PENDING
        if exclude_kinds:
            where = where & _C.kind.not_in(list(exclude_kinds))
        return await self._session.scalar(select(func.min(_C.next_attempt_at)).where(where))

    async def next_lease_end(self) -> datetime | None:
        """Return when the earliest running claim's lease runs out (None when nothing is claimed)."""
        return await self._session.scalar(select(func.min(_C.lease_until)).where(_C.status == CLAIMED))

    # -- claiming -----------------------------------------------------------------------------------

    async def claim_due(
        self,
        now: datetime,
        *,
        limit: int,
        lease: timedelta,
        worker_id: str,
        nonce_window: timedelta = NONCE_WINDOW,
        kinds: Collection[str] | None = None,
        exclude_kinds: Collection[str] = (),
    ) -> list[Delivery]:
        """Claim up to limit due pending deliveries for worker_id until now + lease, oldest first.

        kinds (when given) limits the claim to those kinds; exclude_kinds leaves those kinds pending.

        One UPDATE … FROM (candidates) WHERE status = 'pending' RETURNING: the status test is the
        compare-and-set, so two workers never both claim a row. On PostgreSQL the candidates are
        selected FOR UPDATE SKIP LOCKED so concurrent claimers take different rows instead of queueing.
        A claimed row is marked recovered when an abandoned attempt of it began longer ago than
        nonce_window, i.e. the platform may no longer dedupe a repost by its nonce.
        """
        if limit <= 0 or (kinds is not None and not kinds):
            return []
        where = (_C.status == PENDING) & (_C.next_attempt_at <= now) & (_C.due_at <= now)
        if kinds is not None:
            where = where & _C.kind.in_(list(kinds))
        if exclude_kinds:
            where = where & _C.kind.not_in(list(exclude_kinds))
        # A materialised CTE, joined by UPDATE … FROM: PostgreSQL may re-run an "IN (SELECT … LIMIT n)"
        # subquery for each outer row and so claim more than n rows.
        candidates = (
            select(_C.id)
            .where(where)
            .order_by(_C.next_attempt_at, _C.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("claimable")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        stmt = (
            update(_T)
            .where((_C.id == candidates.c.id) & (_C.status == PENDING))
            .values(
                status=CLAIMED,
                lease_until=now + lease,
                claimed_by=worker_id,
                claimed_at=now,
                attempts=_C.attempts + 1,
                updated_at=now,
            )
            .returning(*_C)
        )
        result = await self._session.execute(stmt)
        claimed = [
            _to_delivery(m, recovered=m["abandoned_at"] is not None and now - m["abandoned_at"] >= nonce_window)
            for m in result.mappings()
        ]
        claimed.sort(key=lambda d: (d.due_at, d.id))
        return claimed

    async def release_abandoned(
        self, now: datetime, *, worker_id: str | None = None, all_but: str | None = None
    ) -> list[Delivery]:
        """Put abandoned claimed rows back to pending, remembering the earliest abandoned attempt.

        Abandoned means the lease ran out, or (given worker_id) this worker held it before a restart, or
        (given all_but) any other worker held it: a new leader knows the old one is gone.
        A resend of a released row looks for its message first (the nonce window).
        """
        abandoned = _C.lease_until < now
        if worker_id is not None:
            abandoned = abandoned | (_C.claimed_by == worker_id)
        if all_but is not None:
            abandoned = abandoned | _C.claimed_by.is_(None) | (_C.claimed_by != all_but)
        where = (_C.status == CLAIMED) & abandoned
        values = {
            "status": PENDING,
            "abandoned_at": func.coalesce(_C.abandoned_at, _C.claimed_at, literal(now, UTCDateTime())),
            "lease_until": None,
            "claimed_by": None,
            "next_attempt_at": now,
            "updated_at": now,
        }
        return await self._update_returning(where, values)

    async def expire_overdue(self, now: datetime, *, due_only: bool = True) -> list[Delivery]:
        """Expire pending rows whose deliver_before has passed (only those due now unless due_only=False)."""
        where = (_C.status == PENDING) & (_C.deliver_before < now)
        if due_only:
            where = where & (_C.next_attempt_at <= now)
        reason = "Not sent before its deadline"
        return await self._update_returning(
            where, {"status": DeliveryStatus.EXPIRED.value, "last_error": reason, "updated_at": now}
        )

    # -- outcomes of a claimed row ------------------------------------------------------------------

    async def mark_sent(self, delivery_id: int, message_id: int | None, now: datetime) -> bool:
        """Record that a delivery was posted (also when its lease ran out meanwhile); tell whether it was open."""
        result = await self._session.execute(
            update(_T)
            .where((_C.id == delivery_id) & _OPEN)
            .values(
                status=DeliveryStatus.SENT.value, message_id=message_id, sent_at=now, updated_at=now, lease_until=None
            )
        )
        return bool(rowcount(result))

    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], now: datetime) -> None:
        """Record several posted deliveries with one executemany (same rules as mark_sent)."""
        if not sent:
            return
        stmt = (
            update(_T)
            .where((_C.id == bindparam("sent_id")) & _OPEN)
            .values(
                status=DeliveryStatus.SENT.value,
                message_id=bindparam("sent_message_id"),
                sent_at=now,
                updated_at=now,
                lease_until=None,
            )
        )
        params = [{"sent_id": delivery_id, "sent_message_id": message_id} for delivery_id, message_id in sent]
        await self._session.execute(stmt, params)

    async def _finish(self, delivery_id: int, values: Mapping[str, Any]) -> bool:
        result = await self._session.execute(
            update(_T).where((_C.id == delivery_id) & (_C.status == CLAIMED)).values(**values)
        )
        return bool(rowcount(result))

    async def mark_retry(
        self, delivery_id: int, error: str, next_attempt_at: datetime, *, now: datetime | None = None
    ) -> bool:
        """Put a claimed delivery back to pending for another attempt at next_attempt_at.

        The attempt counts as possibly posted, so a retry beyond the nonce window comes back recovered.
        """
        return await self._finish(
            delivery_id,
            {
                "status": PENDING,
                "last_error": _clip(error),
                "next_attempt_at": next_attempt_at,
                "lease_until": None,
                "claimed_by": None,
                # A failed attempt may still have posted (a timeout after the create): remember when it began.
                "abandoned_at": func.coalesce(_C.abandoned_at, _C.claimed_at),
                "updated_at": now if now is not None else _C.updated_at,
            },
        )

    async def mark_deferred(
        self, delivery_id: int, reason: str, next_attempt_at: datetime, *, now: datetime | None = None
    ) -> bool:
        """Put a claimed delivery back to pending until next_attempt_at, giving its attempt back.

        Unlike mark_retry nothing was tried, so the row is not marked as possibly posted.
        """
        return await self._finish(
            delivery_id,
            {
                "status": PENDING,
                "last_error": _clip(reason),
                "next_attempt_at": next_attempt_at,
                "lease_until": None,
                "claimed_by": None,
                "attempts": _C.attempts - 1,  # the claim counted one; it is given back
                "updated_at": now if now is not None else _C.updated_at,
            },
        )

    async def count_by_key_prefix(self, target: str, key_prefix: str) -> tuple[int, int]:
        """Count a target's rows whose dedupe key starts with key_prefix: (still open, refused by the recipient).

        Open rows are pending or claimed; refused ones failed with a last_error starting with UNREACHABLE_ERROR.
        """
        rows = (_C.target == target) & _C.dedupe_key.startswith(key_prefix, autoescape=True)
        still_open = await self._session.scalar(select(func.count()).select_from(_T).where(rows & _OPEN))
        refused = await self._session.scalar(
            select(func.count())
            .select_from(_T)
            .where(
                rows,
                _C.status == DeliveryStatus.FAILED.value,
                _C.last_error.startswith(UNREACHABLE_ERROR, autoescape=True),
            )
        )
        return int(still_open or 0), int(refused or 0)

    async def mark_failed(self, delivery_id: int, error: str, *, now: datetime | None = None) -> bool:
        """Give up on a claimed delivery for good."""
        return await self._finish(delivery_id, self._closing(DeliveryStatus.FAILED, error, now))

    async def mark_expired(self, delivery_id: int, reason: str, *, now: datetime | None = None) -> bool:
        """Record that a claimed delivery missed its deadline."""
        return await self._finish(delivery_id, self._closing(DeliveryStatus.EXPIRED, reason, now))

    async def mark_cancelled(self, delivery_id: int, reason: str = "", *, now: datetime | None = None) -> bool:
        """Cancel a claimed delivery (its handler found nothing left to say)."""
        return await self._finish(delivery_id, self._closing(DeliveryStatus.CANCELLED, reason, now))

    @staticmethod
    def _closing(status: DeliveryStatus, error: str, now: datetime | None) -> dict[str, Any]:
        values: dict[str, Any] = {"status": status.value, "last_error": _clip(error) or None, "lease_until": None}
        values["updated_at"] = now if now is not None else _C.updated_at
        return values

    # -- deliveries addressed to one person (data rights) ------------------------------------------

    async def pending_addressed_to(self, guild_id: int, user_id: int) -> list[Delivery]:
        """Return the server's pending deliveries addressed to user_id (see addressed_to).

        Only rows whose target or payload mentions the id are read (a superset the exact check narrows),
        not every pending row of the server.
        """
        needle = f"%{user_id}%"
        rows = await self._fetch(
            select(_T)
            .where((_C.guild_id == guild_id) & (_C.status == PENDING))
            .where(_C.target.like(needle) | cast(_C.payload, String).like(needle))
            .order_by(_C.due_at, _C.id)
        )
        return [d for d in rows if addressed_to(d, user_id)]

    async def cancel_addressed_to(self, guild_id: int, user_id: int, *, now: datetime) -> int:
        """Cancel the pending deliveries addressed to user_id (in-flight ones finish); return how many."""
        cancelled = 0
        for delivery in await self.pending_addressed_to(guild_id, user_id):
            cancelled += await self.cancel(delivery.dedupe_key, now=now)
        return cancelled

    # -- listing (last: the method name shadows the builtin in the class body) -----------------------

    async def list(
        self,
        *,
        target: str | None = None,
        kind: str | None = None,
        status: DeliveryStatus | Iterable[DeliveryStatus] | None = None,
        guild_id: int | None = None,
    ) -> list[Delivery]:
        """Return deliveries matching every filter given, in due order."""
        stmt = select(_T).order_by(_C.due_at, _C.id)
        if target is not None:
            stmt = stmt.where(_C.target == target)
        if kind is not None:
            stmt = stmt.where(_C.kind == kind)
        if guild_id is not None:
            stmt = stmt.where(_C.guild_id == guild_id)
        if isinstance(status, DeliveryStatus):
            stmt = stmt.where(_C.status == status.value)
        elif status is not None:
            stmt = stmt.where(_C.status.in_([s.value for s in status]))
        return await self._fetch(stmt)
