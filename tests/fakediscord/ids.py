"""Snowflake ids and timestamps in Discord's format (creation time derivable from the id)."""

import threading
import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


def snowflake_time(snowflake: int) -> datetime:
    """Return the creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(moment: datetime | None) -> str | None:
    """Format an aware datetime the way Discord does (ISO 8601 with +00:00)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat()


def utcnow() -> datetime:
    """Return the current aware UTC time."""
    return datetime.now(UTC)


class SnowflakeFactory:
    """Issue strictly increasing snowflakes stamped with the current time."""

    def __init__(self, worker_id: int = 1, process_id: int = 0) -> None:
        self._worker_id = worker_id & 0x1F
        self._process_id = process_id & 0x1F
        self._increment = 0
        self._last = 0
        self._lock = threading.Lock()

    def next(self, at: datetime | None = None) -> int:
        """Return a new snowflake; ids only ever grow, even if the clock stalls."""
        ms = int(time.time() * 1000) if at is None else int(at.timestamp() * 1000)
        with self._lock:
            candidate = (
                ((ms - DISCORD_EPOCH_MS) << 22)
                | (self._worker_id << 17)
                | (self._process_id << 12)
                | (self._increment & 0xFFF)
            )
            self._increment += 1
            if candidate <= self._last:
                candidate = self._last + 1
            self._last = candidate
            return candidate
