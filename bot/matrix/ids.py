"""Matrix ids (rooms, users, events) as the stable numbers the core knows them by, and kept state."""

from datetime import datetime

from bot.core.storage.database import Database
from bot.core.storage.external_ids import SqlExternalIdRepository
from bot.core.storage.state import SqlStateRepository

PLATFORM = "matrix"
ROOM, USER, EVENT, ROLE = "room", "user", "event", "role"


class MatrixIds:
    """Give each Matrix id a number (stored once, cached) and find the id again from its number."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._numbers: dict[tuple[str, str], int] = {}
        self._ids: dict[int, str] = {}

    async def number(self, kind: str, external: str) -> int:
        """Return the number for a room, user or event id (stored on first sight)."""
        key = (kind, external)
        found = self._numbers.get(key)
        if found is None:
            async with self._database.unit_of_work() as uow:
                found = await uow.repo(SqlExternalIdRepository).number(PLATFORM, kind, external)
                await uow.commit()
            self._numbers[key] = found
            self._ids[found] = external
        return found

    async def external(self, number: int) -> str | None:
        """Return the Matrix id stored for a number, or None."""
        found = self._ids.get(number)
        if found is None:
            async with self._database.unit_of_work() as uow:
                row = await uow.repo(SqlExternalIdRepository).external(number)
            if row is None:
                return None
            found = self._ids[number] = row[1]
        return found

    async def externals(self, numbers: set[int]) -> dict[int, str]:
        """Return the Matrix ids of those numbers that are known."""
        found = {}
        for number in numbers:
            external = await self.external(number)
            if external is not None:
                found[number] = external
        return found


class MatrixState:
    """Small values the adapter keeps between runs (bot_state): sync token, access token, direct rooms."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def get(self, key: str) -> str | None:
        """Return the value under matrix.<key>, or None."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlStateRepository).get(f"matrix.{key}"[:100])

    async def set(self, key: str, value: str, *, now: datetime) -> None:
        """Store value under matrix.<key> (committed before this returns)."""
        async with self._database.unit_of_work() as uow:
            await uow.repo(SqlStateRepository).set(f"matrix.{key}"[:100], value, now=now)
            await uow.commit()
