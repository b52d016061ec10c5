"""Refuse a second process on the same SQLite file (SQLite deployments are single-process)."""

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Self


class AlreadyRunningError(RuntimeError):
    """Another Blether process holds the database lock."""


class SingleProcessLock:
    """An advisory file lock next to the SQLite database, held for the life of the process."""

    def __init__(self, database_path: str) -> None:
        self.path = Path(database_path + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunningError naming the other process."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunningError(
                f"Another Blether process (pid {other}) is already using this SQLite database. SQLite supports "
                "one process only: stop the other one, or use PostgreSQL to run several (see docs/deploy.md)."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Release the lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
