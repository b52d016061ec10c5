"""Choose one dispatcher among several processes sharing PostgreSQL, with a session advisory lock.

The leader holds ``pg_try_advisory_lock(KEY)`` on a dedicated connection, opened with exactly the options the
engine uses (``DATABASE_URL`` read by SQLAlchemy's dialect, query string included). If the leader dies, the
server drops its connection (at once on a crash; within about 30 s on a silent network failure,
thanks to the TCP keepalives below) and the lock is free for the next process that asks. Followers
ask again at every dispatcher wake-up, so one of them takes over within the poll interval.
"""

import asyncio
import inspect
import logging
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

# An arbitrary, stable 64-bit key: "blether-dispatcher".
ADVISORY_LOCK_KEY = 0x626C657468657264

KEEPALIVE_SETTINGS = {
    # Server side: notice a dead client within idle + interval * count ≈ 10 + 5 * 4 = 30 s.
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "4",
    "application_name": "blether-dispatcher-leader",
}


# Options SQLAlchemy's asyncpg dialect reads for itself and does not pass to asyncpg.connect.
SQLALCHEMY_ONLY_OPTIONS = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn")
LIBPQ_NAMES = {"sslmode": "ssl", "dbname": "database", "connect_timeout": "timeout"}


class LeaderConnectionError(RuntimeError):
    """The leader's connection cannot be opened; the message says why in one line (never the password)."""


def asyncpg_connect_kwargs(url: str | URL) -> dict[str, Any]:
    """Return asyncpg.connect keyword arguments for a postgresql+asyncpg URL, read exactly as SQLAlchemy's engine
    reads it (its dialect's create_connect_args): user, password, host, port, database and every query option, so
    ``?host=/var/run/postgresql`` (a Unix socket), ``?ssl=verify-full`` or several hosts reach asyncpg as given."""
    parsed = make_url(url)
    _args, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    for name in SQLALCHEMY_ONLY_OPTIONS:
        kwargs.pop(name, None)
    return dict(kwargs)


def connect_options_problem(url: str | URL) -> str | None:
    """Return what is wrong with a postgresql+asyncpg URL's options (one line), or None when asyncpg takes them."""
    try:
        kwargs = asyncpg_connect_kwargs(url)
    except (ValueError, TypeError, ArgumentError) as error:
        return f"has an option SQLAlchemy cannot read ({error})"
    import asyncpg  # PostgreSQL only

    known = set(inspect.signature(asyncpg.connect).parameters) - {"dsn", "loop"}
    unknown = sorted(set(kwargs) - known)
    if not unknown:
        return None
    names = ", ".join(f"{n} (asyncpg's name is {LIBPQ_NAMES[n]})" if n in LIBPQ_NAMES else n for n in unknown)
    return f"has query options that asyncpg does not know: {names}"


class AdvisoryLockLeader:
    """Tell the dispatcher whether this process is the leader (callable: ``await leader()``)."""

    def __init__(self, database_url: str | URL, *, key: int = ADVISORY_LOCK_KEY, connect_timeout: float = 5.0) -> None:
        self._connect_kwargs = asyncpg_connect_kwargs(database_url)
        self._connect_kwargs.setdefault("timeout", connect_timeout)
        self._connect_kwargs["server_settings"] = dict(KEEPALIVE_SETTINGS)
        self._key = key
        self._connect_timeout = connect_timeout
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self.is_leader = False

    async def __call__(self) -> bool:
        """Return True while this process holds the lock; try to take it otherwise."""
        async with self._lock:
            if self.is_leader and self._connection is not None and not self._connection.is_closed():
                try:  # make sure the connection (and with it the lock) is still there
                    await asyncio.wait_for(self._connection.fetchval("SELECT 1"), timeout=self._connect_timeout)
                    return True
                except Exception:  # any failure (network, server, timeout) means the lock may be gone
                    log.warning("Lost the dispatcher leadership connection; will try to take it again")
                    await self._drop()
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await self._connect()
                got = bool(await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", self._key))
            except Exception:  # unreachable or refused: not leader this round
                log.warning("Could not reach PostgreSQL for the leadership check", exc_info=True)
                await self._drop()
                return False
            if got and not self.is_leader:
                log.info("This process is now the delivery dispatcher leader")
            self.is_leader = got
            return got

    async def _connect(self) -> Any:
        import asyncpg  # PostgreSQL only

        return await asyncpg.connect(**self._connect_kwargs)

    async def probe(self) -> None:
        """Open a leader connection once and close it (for `blether check`); raise LeaderConnectionError if it
        cannot be opened. The lock is not taken: a running bot may hold it."""
        try:
            connection = await self._connect()
        except Exception as error:  # any reason (options, network, refusal, limits) means no leader, ever
            reason = " ".join(str(error).split()) or type(error).__name__
            raise LeaderConnectionError(f"{type(error).__name__}: {reason}"[:300]) from None
        try:
            await asyncio.wait_for(connection.fetchval("SELECT 1"), timeout=self._connect_timeout)
        finally:
            await connection.close(timeout=2)

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self.is_leader = False
        if connection is not None:
            try:
                await connection.close(timeout=2)
            except Exception:  # closing a broken connection may fail; it is gone either way
                connection.terminate()

    async def close(self) -> None:
        """Release the lock by closing the connection."""
        async with self._lock:
            await self._drop()
