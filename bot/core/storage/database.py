"""The async engine, SQLite pragmas and the unit of work (one AsyncSession per unit)."""

import logging
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from sqlalchemy import CursorResult, Result, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)

R = TypeVar("R")

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    # Deleted and overwritten content is zeroed in the file, so erased or expired text cannot be read back
    # from free pages (the WAL is checkpointed after an erasure: Database.checkpoint).
    "PRAGMA secure_delete=ON",
)


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def rowcount(result: Result[Any]) -> int:
    """Return how many rows an UPDATE or DELETE matched.

    AsyncSession.execute is typed to return a Result whatever the statement; for DML it is a CursorResult.
    """
    return cast(CursorResult[Any], result).rowcount


def redacted_url(url: str | URL) -> str:
    """Render a database URL with its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


class UnitOfWork:
    """One transaction: repositories share its session; leaving without commit rolls back."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._repositories: dict[Callable[[AsyncSession], object], object] = {}

    @property
    def session(self) -> AsyncSession:
        """Return the open session (only inside ``async with``)."""
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    def repo(self, repository_cls: Callable[[AsyncSession], R]) -> R:
        """Return this unit's instance of a repository class (built on first use)."""
        found = self._repositories.get(repository_cls)
        if found is None:
            found = repository_cls(self.session)
            self._repositories[repository_cls] = found
        return cast(R, found)  # each class maps to an instance of itself

    async def commit(self) -> None:
        """Commit the transaction."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Roll the transaction back."""
        await self.session.rollback()

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._repositories = {}
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()


class Database:
    """Own the engine and hand out units of work."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int | None = None) -> None:
        self.url = make_url(url)
        # hide_parameters: SQL errors and echo never show bound values (people's answers) in logs.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 5}
        else:
            kwargs["pool_pre_ping"] = True
            if pool_size is not None:
                kwargs["pool_size"] = pool_size
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _apply_sqlite_pragmas)
        self.session_factory = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        """Tell whether this is the embedded SQLite backend."""
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        """Tell whether this is PostgreSQL."""
        return self.url.get_backend_name() == "postgresql"

    def unit_of_work(self) -> UnitOfWork:
        """Start a new unit of work (use with ``async with``)."""
        return UnitOfWork(self.session_factory)

    async def checkpoint(self) -> bool:
        """On SQLite, copy the write-ahead log into the database file and truncate it; tell whether it completed.

        Called after an erasure or a retention sweep, so removed text does not linger in old page images of
        blether.db-wal. It waits (busy_timeout) for readers to finish; False means one kept it from truncating
        the log, and the next checkpoint (SQLite's automatic one included) catches up. PostgreSQL: nothing to do.
        """
        if not self.is_sqlite:
            return True
        async with self.engine.connect() as conn:
            busy, _log_frames, _copied = (await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
        if busy:
            log.warning("The SQLite write-ahead log could not be truncated yet (a reader was busy)")
        return not busy

    def describe(self) -> str:
        """Describe the database without secrets."""
        return redacted_url(self.url)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
