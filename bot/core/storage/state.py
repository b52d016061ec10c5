"""Repositories for the bot's key/value state and the audit trail."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.storage.models.state import AuditEventRow, BotStateRow


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit entry: who did what, when (never the content)."""

    id: int
    guild_id: int | None
    actor_id: int | None
    action: str
    detail: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewAuditEvent:
    """An audit entry to append (record_many)."""

    action: str
    created_at: datetime
    guild_id: int | None = None
    actor_id: int | None = None
    detail: str = ""


class SqlStateRepository:
    """Read and write named values; the unit of work owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> str | None:
        """Return the value stored under key, or None."""
        row = await self._session.get(BotStateRow, key)
        return None if row is None else row.value

    async def set(self, key: str, value: str, *, now: datetime) -> None:
        """Store value under key."""
        row = await self._session.get(BotStateRow, key)
        if row is None:
            self._session.add(BotStateRow(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now
        await self._session.flush()


class SqlAuditRepository:
    """Append to and read the audit trail."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self, *, action: str, now: datetime, guild_id: int | None = None, actor_id: int | None = None, detail: str = ""
    ) -> None:
        """Append one audit entry."""
        self._session.add(
            AuditEventRow(guild_id=guild_id, actor_id=actor_id, action=action, detail=detail[:500], created_at=now)
        )
        await self._session.flush()

    async def record_many(self, events: Iterable[NewAuditEvent]) -> int:
        """Append many audit entries with one INSERT (executemany); return how many."""
        rows = [
            {
                "guild_id": e.guild_id,
                "actor_id": e.actor_id,
                "action": e.action,
                "detail": e.detail[:500],
                "created_at": e.created_at,
            }
            for e in events
        ]
        if rows:
            await self._session.execute(insert(AuditEventRow), rows)
        return len(rows)

    async def list(
        self, *, guild_id: int | None = None, action: str | None = None, actor_id: int | None = None
    ) -> list[AuditEvent]:
        """Return audit entries (of one server, action or actor when given), oldest first."""
        stmt = select(AuditEventRow).order_by(AuditEventRow.id)
        if guild_id is not None:
            stmt = stmt.where(AuditEventRow.guild_id == guild_id)
        if actor_id is not None:
            stmt = stmt.where(AuditEventRow.actor_id == actor_id)
        if action is not None:
            stmt = stmt.where(AuditEventRow.action == action)
        rows = (await self._session.scalars(stmt)).all()
        return [AuditEvent(r.id, r.guild_id, r.actor_id, r.action, r.detail, r.created_at) for r in rows]
