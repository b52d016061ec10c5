"""Choose one dispatcher among several processes sharing PostgreSQL, with a session advisory lock.

The leader holds ``pg_try_advisory_lock(KEY)`` on a dedicated connection. If the leader dies, the
server drops its connection (at once on a crash; within about 30 s on a silent network failure,
thanks to the TCP keepalives below) and the lock is free for the next process that asks. Followers
ask again at every dispatcher wake-up, so one of them takes over within the poll interval.
"""

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import URL, make_url

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


def asyncpg_connect_kwargs(url: str | URL) -> dict[str, Any]:
    """Translate a SQLAlchemy postgresql+asyncpg URL into asyncpg.connect keyword arguments."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }
    return {k: v for k, v in kwargs.items() if v is not None}


class AdvisoryLockLeader:
    """Tell the dispatcher whether this process is the leader (callable: ``await leader()``)."""

    def __init__(self, database_url: str | URL, *, key: int = ADVISORY_LOCK_KEY, connect_timeout: float = 5.0) -> None:
        self._connect_kwargs = asyncpg_connect_kwargs(database_url)
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
                    import asyncpg  # PostgreSQL only

                    self._connection = await asyncpg.connect(
                        timeout=self._connect_timeout, server_settings=KEEPALIVE_SETTINGS, **self._connect_kwargs
                    )
                got = bool(await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", self._key))
            except Exception:  # unreachable or refused: not leader this round
                log.warning("Could not reach PostgreSQL for the leadership check", exc_info=True)
                await self._drop()
                return False
            if got and not self.is_leader:
                log.info("This process is now the delivery dispatcher leader")
            self.is_leader = got
            return got

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
