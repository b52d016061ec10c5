"""Save questionnaire pages in groups: pages submitted together share one transaction (group commit).

When a questionnaire closes in a few days, many people finish at once; saved one by one, each page costs a
commit on its own connection, and on SQLite (writes serialised, synchronous=FULL) 80 people submitting their
pages together then wait seconds for each other (bench/questionnaire_burst.py). As for reflections
(bot.core.reflections.submissions), one writer task per event loop takes every page waiting in the queue,
checks and writes each in one unit of work and commits once. Each caller gets its own result or its own
DomainError (checks happen before any write, so a refused page stores nothing); an unexpected failure of a
batch is retried one page at a time, so one bad page cannot sink the others.

Guarantee: a caller's future resolves only after the commit that holds its answers (or with the error that
kept them out).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_BATCH = 200
T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False, slots=True)
class _Queued(Generic[T, R]):
    request: T
    future: "asyncio.Future[R]"


class GroupWriter(Generic[T, R]):
    """Queue requests and handle them in batches, one unit of work and one commit per batch.

    handle gets the batch's requests and returns one result or DomainError per request, in order; it must
    check each request fully before writing anything for it.
    """

    def __init__(
        self,
        database: Database,
        handle: Callable[[UnitOfWork, list[T]], Awaitable[list[R | BaseException]]],
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._database = database
        self._handle = handle
        self._max_batch = max_batch
        self._queue: list[_Queued[T, R]] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, request: T) -> R:
        """Queue one request and wait until it is committed (or refused)."""
        loop = asyncio.get_running_loop()
        item: _Queued[T, R] = _Queued(request, loop.create_future())
        self._queue.append(item)
        worker = self._worker
        if worker is None or worker.done() or worker.get_loop() is not loop:
            self._worker = loop.create_task(self._drain(), name="questionnaires:writer")
        return await item.future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._run(batch)
        except asyncio.CancelledError:
            for item in self._queue:
                if not item.future.done():
                    item.future.set_exception(RuntimeError("Blether is shutting down; the page was not saved"))
            self._queue.clear()
            raise

    async def _run(self, batch: list[_Queued[T, R]]) -> None:
        try:
            outcomes = await self._save(batch)
        except Exception as error:
            if len(batch) > 1:
                log.warning("A batch of %d questionnaire pages failed (%r); saving them one by one", len(batch), error)
                for item in batch:
                    await self._run([item])
                return
            log.exception("Saving a questionnaire page failed")
            outcomes = [error]
        for item, outcome in zip(batch, outcomes, strict=True):
            if item.future.done():
                continue
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)

    async def _save(self, batch: list[_Queued[T, R]]) -> list[R | BaseException]:
        async with self._database.unit_of_work() as uow:
            outcomes = await self._handle(uow, [item.request for item in batch])
            await uow.commit()
        self.batches += 1
        return outcomes
