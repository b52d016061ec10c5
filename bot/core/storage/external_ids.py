"""Repository for platform ids that are not numbers: each gets a stable number derived from it."""

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.storage.models.external import ExternalIdRow

# 53 bits: a positive BIGINT everywhere, exact in JSON numbers too, and far from a collision at programme sizes.
_ID_BITS = 53


def derived_id(platform: str, kind: str, external: str) -> int:
    """Return the stable number for a platform id (the same on every run and every machine)."""
    digest = hashlib.sha256(f"{platform}\x00{kind}\x00{external}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> (64 - _ID_BITS)) or 1


class SqlExternalIdRepository:
    """Remember platform ids by number, and find them again; the unit of work owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def number(self, platform: str, kind: str, external: str) -> int:
        """Return the number for a platform id, storing the pair on first sight."""
        number = derived_id(platform, kind, external)
        row = await self._session.get(ExternalIdRow, number)
        if row is None:
            self._session.add(ExternalIdRow(id=number, platform=platform, kind=kind, external=external))
            await self._session.flush()
        elif (row.platform, row.kind, row.external) != (platform, kind, external):
            raise ValueError(f"id collision between {row.external!r} and {external!r}")
        return number

    async def external(self, number: int) -> tuple[str, str] | None:
        """Return (kind, platform id) for a number, or None if it was never stored."""
        row = await self._session.get(ExternalIdRow, number)
        return None if row is None else (row.kind, row.external)

    async def find(self, platform: str, kind: str) -> list[tuple[int, str]]:
        """Return every stored (number, platform id) of one kind."""
        rows = await self._session.scalars(
            select(ExternalIdRow).where(ExternalIdRow.platform == platform, ExternalIdRow.kind == kind)
        )
        return [(row.id, row.external) for row in rows]
