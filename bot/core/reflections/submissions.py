"""Save reflections in groups: submits that arrive together share one transaction (group commit).

Everyone presses Submit in the minutes after a session. Saved one by one, each reflection costs about
ten statements and a commit on its own connection; on SQLite, where writes are serialised anyway, a
burst of 200 then takes about two seconds of CPU and connection hand-offs (bench/reflection_burst.py).
Here a single writer task takes every submit waiting in the queue, loads what they share once
(session, programme, poll, questions, who is registered, who answered before), validates each
answer set on its own, writes all rows with one executemany upsert and commits once. Each caller
still gets its own result or its own DomainError; an unexpected failure of a batch is retried one
submit at a time, so one bad row cannot sink the others.

Guarantee: a caller's future resolves only after the commit that holds its row (or with the error that
kept it out). Several processes on PostgreSQL stay correct: the upsert is atomic on (poll, user).
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.errors import DomainError
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.programme.errors import SessionNotFoundError
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.reflections.domain import PollPlan, SavedReflection, SubmittedValue
from bot.core.reflections.eligibility import reflection_refusal, virtual_poll
from bot.core.reflections.forms import check_answers
from bot.core.reflections.repository import SqlReflectionRepository, saved_answers
from bot.core.reflections.resolve import poll_questions
from bot.core.reflections.scheduling import PollScheduler
from bot.core.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_BATCH = 500

Outcome = SavedReflection | BaseException


@dataclass(eq=False, slots=True)
class _Submission:
    actor: Actor
    session_id: int
    answers: Mapping[str, SubmittedValue]
    future: "asyncio.Future[SavedReflection]"


class SubmissionWriter:
    """Queue submits and save them in batches from one writer task per event loop."""

    def __init__(self, database: Database, clock: Clock, scheduler: PollScheduler, *, max_batch: int = MAX_BATCH):
        self._database = database
        self._clock = clock
        self._scheduler = scheduler
        self._max_batch = max_batch
        self._queue: list[_Submission] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, actor: Actor, session_id: int, answers: Mapping[str, SubmittedValue]) -> SavedReflection:
        """Queue one submit and wait until it is committed (or refused)."""
        loop = asyncio.get_running_loop()
        item = _Submission(actor, session_id, dict(answers), loop.create_future())
        self._queue.append(item)
        worker = self._worker
        if worker is None or worker.done() or worker.get_loop() is not loop:
            self._worker = loop.create_task(self._drain(), name="reflections:writer")
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
                    item.future.set_exception(RuntimeError("Blether is shutting down; the reflection was not saved"))
            self._queue.clear()
            raise

    async def _run(self, batch: list[_Submission]) -> None:
        try:
            outcomes = await self._save(batch)
        except Exception as error:
            if len(batch) > 1:
                log.warning("A batch of %d reflections failed (%r); saving them one by one", len(batch), error)
                for item in batch:
                    await self._run([item])
                return
            log.exception("Saving a reflection of user %s failed", batch[0].actor.user_id)
            outcomes = [error]
        for item, outcome in zip(batch, outcomes, strict=True):
            if item.future.done():
                continue
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)

    async def _save(self, batch: list[_Submission]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(batch)
        plans: list[PollPlan] = []
        by_session: dict[int, list[int]] = defaultdict(list)
        for index, item in enumerate(batch):
            by_session[item.session_id].append(index)
        async with self._database.unit_of_work() as uow:
            for session_id, indexes in by_session.items():
                await self._save_session(uow, batch, indexes, session_id, outcomes, plans)
            await uow.commit()
        self.batches += 1
        for plan in plans:
            self._scheduler.wake(plan)
        saved = [o for o in outcomes if o is not None]
        assert len(saved) == len(batch)  # every submission got its outcome
        return saved

    async def _save_session(
        self,
        uow: UnitOfWork,
        batch: list[_Submission],
        indexes: list[int],
        session_id: int,
        outcomes: list[Outcome | None],
        plans: list[PollPlan],
    ) -> None:
        session = await uow.repo(SqlSessionRepository).get(session_id)
        mine: list[int] = []
        for index in indexes:
            guild_id = batch[index].actor.guild_id
            if session is None or (session.guild_id != guild_id and guild_id != 0):  # guild 0: a button in a DM
                outcomes[index] = SessionNotFoundError()
            else:
                mine.append(index)
        if session is None or not mine:
            return
        registered = await uow.repo(SqlParticipantRepository).registered(
            session.guild_id, (batch[i].actor.user_id for i in mine)
        )
        repo = uow.repo(SqlReflectionRepository)
        poll = await repo.poll(session.id)
        programme = await uow.repo(SqlProgrammeRepository).get(session.guild_id) if poll is None else None
        view = poll if poll is not None else virtual_poll(programme, session)
        now = self._clock.now()
        for index in mine:
            registered_now = batch[index].actor.user_id in registered
            outcomes[index] = reflection_refusal(session, view, now, registered=registered_now)
        mine = [i for i in mine if outcomes[i] is None]
        if not mine:
            return
        if poll is None:  # answers are welcome before the poll was planned: plan it now
            plan = await self._scheduler.schedule_poll(uow, session, programme)
            plans.append(plan)
            assert plan.poll is not None
            poll = plan.poll
        questions = await poll_questions(uow, poll)
        first_seen = await repo.submitted_times(poll.id, (batch[i].actor.user_id for i in mine))
        rows: dict[int, dict[str, object]] = {}
        for index in mine:
            item = batch[index]
            user_id = item.actor.user_id
            try:
                checked = check_answers(questions, item.answers, user_id=user_id, session_id=session.id)
            except DomainError as error:
                outcomes[index] = error
                continue
            created = user_id not in first_seen
            submitted_at = first_seen.setdefault(user_id, now)
            rows[user_id] = {
                "poll_id": poll.id,
                "guild_id": session.guild_id,
                "session_id": session.id,
                "user_id": user_id,
                "answers": checked.answers,
                "rating": checked.rating,
                "quote_allowed": checked.quote_allowed,
                "now": now,
            }
            outcomes[index] = SavedReflection(
                session_id=session.id,
                session_number=session.number,
                session_title=session.title,
                answers=saved_answers(questions, checked.answers),
                rating=checked.rating,
                quote_allowed=checked.quote_allowed,
                created=created,
                submitted_at=submitted_at,
                updated_at=now,
                closes_at=poll.closes_at,
            )
        if not rows:
            return
        if poll.questions is None:
            await repo.set_questions_if_unset(poll.id, questions, now=now)
        await repo.upsert_responses(list(rows.values()))
        log.info("Saved %d reflections on session %s", len(rows), session.id)
