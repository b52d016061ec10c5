"""The dispatcher: claims due deliveries from the outbox, runs their handlers and records what happened.

The deliveries table is the source of truth. APScheduler (AsyncIOScheduler, in-memory job store, one
date job, nothing pickled) only wakes the dispatcher at the earliest time something may be due; losing
that job loses nothing, because ``start()`` and every run look at the table again.

Life of a row: ``schedule()`` adds it inside the caller's unit of work; after committing, the caller
calls ``wake(due_at)``. When due, ``run_due()`` claims it (compare-and-set with a lease), calls the
handler registered for its kind and records the outcome:

* handler returned → ``sent`` with the message id;
* ``TransientSendError``, ``TimeoutError``/``OSError`` or a hung handler (cut off after ``handler_timeout``)
  → retried with exponential backoff (capped) and jitter for as long as ``deliver_before`` allows, then
  ``expired``; any other exception (a bug, logged with its traceback) is retried the same way but
  ``failed`` after ``max_attempts``; both tell the facilitators. A platform outage therefore never
  turns a delivery with days to go into a failure after a few minutes of errors; when a transient
  failure reaches ``max_attempts`` the facilitators get one "still trying" notice (``notice:retrying:<id>``);
* ``PermanentSendError`` → ``failed``, and a facilitator notice carries its reason (how to fix it);
  ``RecipientUnreachableError`` (a person who does not accept DMs) → ``failed`` with no notice of its own:
  its ``last_error`` starts with ``UNREACHABLE_ERROR`` and the feature that sent the DMs tells the
  facilitators once per fan-out (one notice for a reminder's twenty closed DMs, not twenty);
* ``DeliverySkipped`` → ``cancelled``;
* ``DeliveryDeferred`` → back to ``pending`` until the time it names, the attempt given back (a summary
  waiting for the DMs it counts);
* no handler for the kind → ``failed`` (logged).

Delivery guarantee and idempotency contract
-------------------------------------------
At least once from the engine, at most once on the platform as long as handlers keep this contract:

1. A handler posts through ``bot.core.delivery.idempotent.post_once`` / ``dm_once`` (or does the same
   by hand): it passes ``delivery.nonce`` to the Sender, which Discord uses to dedupe a create repeated
   within a few minutes (``enforce_nonce``), and shows ``delivery.marker`` in the message footer.
2. If the process dies between posting and recording ``sent``, the row stays ``claimed`` until its lease
   runs out (or this worker restarts), then goes back to ``pending`` with the abandoned attempt
   remembered (so does a retried attempt: a timeout may hide a post that went through). When the
   earliest such attempt began longer ago than the nonce window (``NONCE_WINDOW``, 4 minutes), the next
   claim hands the handler ``delivery.recovered = True``, and the handler first calls
   ``Sender.find_recent(channel, delivery.marker)``; if the message is there it returns that message's id
   instead of posting again.
3. A ``sent``/``expired``/``failed`` row is never sent again, whatever ``schedule()`` is called with.

DM lane
-------
Kinds registered with ``dm=True`` (one direct message per row) run in a lane of their own: at most
``dm_concurrency`` of them are claimed at a time, outside the batches, and each finished DM claims the
next. The platform paces DMs at 1 a second (``RateLimiter``), so DMs waiting for their slot never take
the handler slots channel posts need, and posts and DMs go out side by side instead of one after the
other, while a backlog of DMs does not hold leases it cannot use.

Rows are claimed by compare-and-set (``UPDATE … WHERE status = 'pending'``, candidates picked
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several dispatchers on one database never claim the same
row at once. Outcomes are written by a single writer that commits whatever has finished since its last
commit (group commit). A backlog is claimed in batches that double (from ``batch`` up to ``max_batch``)
while a full batch is handled in under ``batch_seconds`` and halve when it is slower; together these let
a backlog of ten thousand quick rows drain in under a second on SQLite, while rows slow to send keep
batches small.

Facilitator notices are deliveries of kind ``facilitator_notice`` with rich text in their payload, all built by
bot.core.delivery.notices; the programme registers their handler (the engine knows no channels). Features
may put a short human description of a delivery in ``payload["summary"]``; notices use it when they list
what was missed.
"""

import asyncio
import contextlib
import dataclasses
import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.core.clock import Clock
from bot.core.delivery.domain import (
    FACILITATOR_NOTICE,
    NONCE_WINDOW,
    UNREACHABLE_ERROR,
    Delivery,
    DeliveryDeferred,
    DeliveryHandler,
    DeliverySkipped,
    NewDelivery,
)
from bot.core.delivery.limiter import RateLimiter
from bot.core.delivery.notices import (
    expiry_notices,
    failed_notice,
    failure_text,
    retrying_notice,
    still_trying_text,
)
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import Text
from bot.core.ports import PermanentSendError, RecipientUnreachableError, TransientSendError
from bot.core.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)

WAKE_JOB_ID = "delivery:wake"
DB_ERROR_RETRY = timedelta(seconds=5)
SWEEP_INTERVAL = timedelta(seconds=5)  # how often a busy dispatcher looks for abandoned leases
DM_CLAIM_HORIZON = 2.0  # seconds: claim no DM while the limiter's DM pace is paused for longer


@dataclass(frozen=True, slots=True)
class DispatcherStats:
    """Counts of what this dispatcher did since it was built."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    expired: int = 0
    failed: int = 0
    cancelled: int = 0
    released: int = 0
    notices: int = 0
    deferred: int = 0


class _Action(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    DEFERRED = "deferred"


@dataclass(frozen=True, slots=True)
class _Outcome:
    delivery: Delivery
    action: _Action
    message_id: int | None = None
    error: str = ""
    next_attempt_at: datetime | None = None
    notice: Text | None = None  # for the facilitators (failed rows; retried rows that reached max_attempts)


class Dispatcher:
    """Run due deliveries through their handlers; the one path for everything posted on a schedule."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        worker_id: str,
        limiter: RateLimiter | None = None,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 50,
        max_batch: int = 400,
        batch_seconds: float = 0.5,
        concurrency: int = 8,
        dm_concurrency: int = 2,
        max_attempts: int = 8,
        backoff_base: timedelta = timedelta(seconds=2),
        backoff_cap: timedelta = timedelta(minutes=5),
        handler_timeout: float = 30.0,
        poll_interval: timedelta | None = timedelta(minutes=1),
        nonce_window: timedelta = NONCE_WINDOW,
        leader: Callable[[], Awaitable[bool]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if len(worker_id) > 64:
            raise ValueError("worker_id is at most 64 characters")
        if concurrency < 1 or dm_concurrency < 1:
            raise ValueError("concurrency and dm_concurrency are at least 1")
        if not 1 <= batch <= max_batch:
            raise ValueError("batch is at least 1 and at most max_batch")
        self._database = database
        self._clock = clock
        self.worker_id = worker_id
        self.limiter = limiter if limiter is not None else RateLimiter()
        self._lease = lease
        self._batch = batch
        self._max_batch = max_batch
        self._batch_seconds = batch_seconds
        self._concurrency = concurrency
        self._dm_concurrency = dm_concurrency
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._handler_timeout = handler_timeout
        self._poll_interval = poll_interval
        self._nonce_window = nonce_window
        self._leader = leader
        self._leading = False
        self._rng = rng if rng is not None else random.Random()
        self._handlers: dict[str, DeliveryHandler] = {}
        self._dm_kinds: set[str] = set()
        self._dm_room_taken = 0  # DM rows claimed (or being claimed) and not yet recorded
        self._dm_tasks: set[asyncio.Task[None]] = set()
        self._dm_done = 0
        self._counts: dict[str, int] = defaultdict(int)

        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._wake_lock = threading.Lock()
        self._wake_at: datetime | None = None
        self._pump: asyncio.Task[None] | None = None
        self._pump_again = False
        self._active: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._next_sweep = datetime.min.replace(tzinfo=UTC)

        self._write_queue: list[tuple[_Outcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    # -- wiring -------------------------------------------------------------------------------------

    def register(self, kind: str, handler: DeliveryHandler, *, dm: bool = False) -> None:
        """Use handler for every delivery of kind (one handler per kind); dm=True runs it in the DM lane."""
        if kind in self._handlers:
            raise ValueError(f"a handler for {kind!r} is already registered")
        if len(kind) > 40:
            raise ValueError("a delivery kind is at most 40 characters")
        self._handlers[kind] = handler
        if dm:
            self._dm_kinds.add(kind)

    @property
    def stats(self) -> DispatcherStats:
        """Return a snapshot of the counters (for /about and benchmarks)."""
        return DispatcherStats(**{name: self._counts[name] for name in DispatcherStats.__dataclass_fields__})

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> Delivery:
        """Add (or update, idempotently on dedupe_key) a delivery in the caller's unit of work.

        The caller commits, then calls ``wake(new.due_at)``.
        """
        delivery = await uow.repo(SqlDeliveryRepository).add(new, now=self._clock.now())
        log.debug("Scheduled %s delivery %s (%s) for %s", new.kind, delivery.id, new.dedupe_key, new.due_at)
        return delivery

    # -- waking -------------------------------------------------------------------------------------

    def wake(self, at: datetime | None = None) -> None:
        """Make sure the dispatcher runs at (or soon after) at, default now; cheap, callable from any thread.

        Keeps one APScheduler date job at the earliest time anyone asked for.
        """
        now = self._clock.now()
        at = now if at is None else at
        with self._wake_lock:
            if self._wake_at is not None and self._wake_at <= at:
                return
            self._wake_at = at
            if not self._scheduler.running:
                return  # start() schedules it
            # The clock may be a test clock: schedule by distance, on the scheduler's own (real) time.
            run_date = datetime.now(UTC) + max(at - now, timedelta(0))
            self._scheduler.add_job(
                self._on_wake,
                trigger=DateTrigger(run_date=run_date, timezone=UTC),
                id=WAKE_JOB_ID,
                name="deliveries: run due",
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
            )
        log.debug("Dispatcher wakes at %s", at)

    async def _on_wake(self) -> None:
        with self._wake_lock:
            self._wake_at = None
        self._kick()

    def _kick(self) -> None:
        if self._stopping:
            return
        if self._pump is not None and not self._pump.done():
            self._pump_again = True
            return
        self._pump = asyncio.get_running_loop().create_task(self._pump_loop(), name="deliveries:pump")

    async def _pump_loop(self) -> None:
        while not self._stopping:
            self._pump_again = False
            try:
                await self.run_due(wait=False)
            except Exception:
                log.exception("Delivery run failed; trying again in %s", DB_ERROR_RETRY)
                self.wake(self._clock.now() + DB_ERROR_RETRY)
            if not self._pump_again:
                return

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reconcile the table with the present, then start waking on schedule.

        Rows this worker held before a restart, or whose lease ran out, go back to pending; pending rows
        past deliver_before expire, with one facilitator notice per guild listing them; the rest are
        sent (late) as soon as the scheduler runs.
        """
        self._stopping = False
        if await self._is_leader():
            await self.reconcile()
        if not self._scheduler.running:
            self._scheduler.start()
        with self._wake_lock:
            self._wake_at = None
        self.wake()

    async def reconcile(self) -> tuple[int, int]:
        """Release abandoned claims and expire overdue rows; return (released, expired)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlDeliveryRepository)
            released = await repo.release_abandoned(now, worker_id=self.worker_id)
            expired = await repo.expire_overdue(now, due_only=False)
            notices = expiry_notices(expired, now=now, offline=True)
            for notice in notices:
                await repo.add(notice, now=now)
            await uow.commit()
        self._counts["released"] += len(released)
        self._counts["expired"] += len(expired)
        self._counts["notices"] += len(notices)
        log.info(
            "Deliveries reconciled: %d abandoned claims released, %d expired while offline, %d notices",
            len(released),
            len(expired),
            len(notices),
        )
        for delivery in expired:
            log.info("Delivery %s (%s) expired while offline (due %s)", delivery.id, delivery.kind, delivery.due_at)
        return len(released), len(expired)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming, then wait up to grace seconds for in-flight sends (the rest are cancelled)."""
        self._stopping = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        with self._wake_lock:
            self._wake_at = None
        current = asyncio.current_task()
        tasks: set[asyncio.Task[object]] = {t for t in self._active if t is not current}
        if self._pump is not None and self._pump is not current:
            tasks.add(self._pump)
        tasks = {t for t in tasks if not t.done()}
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("Stopped with %d delivery runs unfinished; their leases will run out", len(pending))
                await asyncio.gather(*pending, return_exceptions=True)
        if self._writer is not None and not self._writer.done():
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._writer), timeout=grace)
        log.info("Dispatcher %s stopped (%s)", self.worker_id, self.stats)

    async def _is_leader(self) -> bool:
        if self._leader is None:
            return True
        try:
            leading = await self._leader()
        except Exception:
            log.exception("Leadership check failed; not claiming this round")
            leading = False
        if leading and not self._leading:
            leading = await self._take_over()
        self._leading = leading
        return leading

    async def _take_over(self) -> bool:
        """Release every claim of other workers: holding the lock proves the previous leader is gone.

        A resend of such a row carries its old nonce, so a post the old leader made just before it died
        is not posted twice. Return False (try again next round) when the database is unreachable.
        """
        try:
            async with self._database.unit_of_work() as uow:
                released = await uow.repo(SqlDeliveryRepository).release_abandoned(
                    self._clock.now(), all_but=self.worker_id
                )
                await uow.commit()
        except Exception:
            log.exception("Could not take over the previous leader's claims; trying again next round")
            return False
        self._counts["released"] += len(released)
        if released:
            log.info("Took over as dispatcher leader: %d claims of the previous leader back to pending", len(released))
        return True

    # -- running ------------------------------------------------------------------------------------

    async def run_due(self, *, wait: bool = True) -> int:
        """Process everything due now, batch after batch; return how many rows were handled.

        With wait=False, return once the batches are done while DMs go on in the DM lane (the dispatcher's
        own runs do that); by default also wait until the DM lane is idle, counting the DMs finished meanwhile.
        Afterwards the dispatcher wakes at the next due time (or lease end, or poll interval).
        """
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        dms_before = self._dm_done
        try:
            handled = await self._run_due()
            if wait:
                await self.drain_dms()
                handled += self._dm_done - dms_before
            return handled
        finally:
            if task is not None:
                self._active.discard(task)

    async def next_due_at(self) -> datetime | None:
        """Return when the earliest pending delivery becomes due (None when none is pending).

        A simulated clock (blether shell) steps from one due time to the next with it, so every delivery
        goes out at its own time, as it would in real time.
        """
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlDeliveryRepository).next_due_at()

    async def drain_dms(self) -> int:
        """Wait until the DM lane is idle (each DM claims the next due one); return how many DMs it ran."""
        before = self._dm_done
        while self._dm_tasks:
            await asyncio.wait(set(self._dm_tasks))
        return self._dm_done - before

    async def _run_due(self) -> int:
        if self._stopping:
            return 0
        if not await self._is_leader():
            if self._poll_interval is not None:
                self.wake(self._clock.now() + self._poll_interval)
            return 0
        handled = 0
        size = self._batch
        while not self._stopping:
            pause = self.limiter.ready_in()
            if pause > 1.0:  # the platform told us to back off: do not take leases we cannot use
                log.info("Rate limiter paused for %.1f s; claiming later", pause)
                self.wake(self._clock.now() + timedelta(seconds=pause))
                return handled
            notices_before = self._counts["notices"]
            started = time.monotonic()
            claimed = await self._claim(size)
            if claimed:
                handled += await self._process(claimed)
            # A short batch means nothing else was due, unless this round scheduled notices (due now).
            if len(claimed) < size and self._counts["notices"] == notices_before:
                break
            size = self._next_batch_size(size, time.monotonic() - started)
        if not self._stopping:
            await self._wake_for_next()
        return handled

    def _next_batch_size(self, size: int, took: float) -> int:
        """Size the next claim of a backlog: double it while a full batch takes under batch_seconds, else halve it.

        Fewer, larger transactions drain a backlog of quick rows (after downtime) faster; rows that are
        slow to send (a rate-limited channel) keep batches small, so claimed rows never wait long for a
        handler slot while their lease runs.
        """
        if took < self._batch_seconds:
            return min(self._max_batch, size * 2)
        return max(self._batch, size // 2)

    async def _claim(self, size: int) -> list[Delivery]:
        """Release abandoned leases (now and then), claim one batch and top up the DM lane, in one transaction.

        Return the batch; the DM rows start in the DM lane. Rows already past deliver_before are claimed
        like any other and expired by _attempt without calling their handler, so this hot path never
        scans the whole backlog.
        """
        now = self._clock.now()
        sweep = now >= self._next_sweep
        dm_room = self._take_dm_room()
        dms: list[Delivery] = []
        try:
            async with self._database.unit_of_work() as uow:
                repo = uow.repo(SqlDeliveryRepository)
                released = await repo.release_abandoned(now) if sweep else []  # claimable in this same transaction
                if dm_room:
                    dms = await self._claim_dm_rows(repo, now, dm_room)
                claimed = await repo.claim_due(
                    now,
                    limit=size,
                    lease=self._lease,
                    worker_id=self.worker_id,
                    nonce_window=self._nonce_window,
                    exclude_kinds=self._dm_kinds,
                )
                await uow.commit()
        except BaseException:
            self._dm_room_taken -= dm_room
            raise
        self._dm_room_taken -= dm_room - len(dms)
        if sweep:
            self._next_sweep = now + SWEEP_INTERVAL
        for delivery in released:
            log.info("Delivery %s (%s): lease ran out without an outcome; back to pending", delivery.id, delivery.kind)
        self._counts["released"] += len(released)
        self._counts["claimed"] += len(claimed) + len(dms)
        if claimed or dms:
            log.debug("Claimed %d deliveries and %d DMs as %s", len(claimed), len(dms), self.worker_id)
        self._start_dms(dms)
        return claimed

    # -- the DM lane ----------------------------------------------------------------------------------

    def _dm_paused_for(self) -> float:
        """Return how long the limiter holds DMs back when that is longer than DM_CLAIM_HORIZON, else 0."""
        pause = self.limiter.ready_in(dm=True) if self._dm_kinds else 0.0
        return pause if pause > DM_CLAIM_HORIZON else 0.0

    def _take_dm_room(self) -> int:
        """Reserve the DM lane's free places for a claim (0 when full, or when the DM pace is paused)."""
        if not self._dm_kinds or self._stopping or self._dm_paused_for():
            return 0
        room = max(0, self._dm_concurrency - self._dm_room_taken)
        self._dm_room_taken += room
        return room

    async def _claim_dm_rows(self, repo: SqlDeliveryRepository, now: datetime, limit: int) -> list[Delivery]:
        return await repo.claim_due(
            now,
            limit=limit,
            lease=self._lease,
            worker_id=self.worker_id,
            nonce_window=self._nonce_window,
            kinds=self._dm_kinds,
        )

    def _start_dms(self, dms: Sequence[Delivery]) -> None:
        loop = asyncio.get_running_loop()
        for delivery in dms:
            task = loop.create_task(self._run_dm(delivery), name=f"deliveries:dm:{delivery.id}")
            self._dm_tasks.add(task)
            self._active.add(task)
            task.add_done_callback(self._dm_tasks.discard)
            task.add_done_callback(self._active.discard)

    async def _run_dm(self, delivery: Delivery) -> None:
        """Run one DM delivery, record it, then claim the next due DM (the lane refills itself)."""
        try:
            outcome = await self._attempt(delivery)
            await self._record(outcome)
        finally:
            self._dm_room_taken -= 1
            self._dm_done += 1
        await self._refill_dms()

    async def _refill_dms(self) -> None:
        """Claim due DM rows into the lane's free places; when none is due, wake for the next one."""
        if self._stopping or (self._leader is not None and not self._leading):
            return
        now = self._clock.now()
        dm_room = self._take_dm_room()
        if not dm_room:
            if pause := self._dm_paused_for():
                self.wake(now + timedelta(seconds=pause))
            return
        dms: list[Delivery] = []
        try:
            async with self._database.unit_of_work() as uow:
                dms = await self._claim_dm_rows(uow.repo(SqlDeliveryRepository), now, dm_room)
                await uow.commit()
        except Exception:
            log.exception("Claiming the next DMs failed; trying again in %s", DB_ERROR_RETRY)
            self.wake(now + DB_ERROR_RETRY)
            dms = []
        finally:
            self._dm_room_taken -= dm_room - len(dms)
        self._counts["claimed"] += len(dms)
        if dms:
            self._start_dms(dms)
            return
        try:
            await self._wake_for_next()  # the lane was full when the last run looked: wake for the next DM
        except Exception:
            log.exception("Could not look up the next due delivery; trying again in %s", DB_ERROR_RETRY)
            self.wake(now + DB_ERROR_RETRY)

    async def _wake_for_next(self) -> None:
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlDeliveryRepository)
            # While the DM lane is full, a due DM waits for a place (a finished DM claims it), not for a
            # run; while the DM pace is paused, it waits for the pause to end.
            lane_full = self._dm_room_taken >= self._dm_concurrency
            dm_pause = self._dm_paused_for()
            next_due = await repo.next_due_at(exclude_kinds=self._dm_kinds if lane_full or dm_pause else ())
            lease_end = await repo.next_lease_end()
        wanted = [next_due] if next_due is not None else []
        if dm_pause and not lane_full:
            wanted.append(self._clock.now() + timedelta(seconds=dm_pause))
        if lease_end is not None:  # someone's claim may be abandoned then; look just after, when we sweep
            wanted.append(max(lease_end + timedelta(milliseconds=10), self._next_sweep))
        if self._poll_interval is not None:
            wanted.append(self._clock.now() + self._poll_interval)
        if wanted:
            self.wake(min(wanted))

    async def _process(self, claimed: Sequence[Delivery]) -> int:
        semaphore = asyncio.Semaphore(self._concurrency)
        # A row still waiting for a handler slot when most of its lease has gone is left alone: the sweep
        # puts it back once the lease is over, so it is never attempted by two claims at once.
        stale_after = self._clock.now() + self._lease * 3 / 4

        async def one(delivery: Delivery) -> None:
            async with semaphore:
                if self._clock.now() > stale_after:
                    log.warning("Delivery %s (%s) waited out its lease for a handler slot", delivery.id, delivery.kind)
                    return
                outcome = await self._attempt(delivery)
            await self._record(outcome)

        await asyncio.gather(*(one(d) for d in claimed))
        return len(claimed)

    async def _attempt(self, delivery: Delivery) -> _Outcome:
        """Run one delivery's handler and decide what becomes of the row."""
        handler = self._handlers.get(delivery.kind)
        if handler is None:
            if delivery.kind == FACILITATOR_NOTICE:
                log.warning("No handler for facilitator notices; notice %s dropped: %s", delivery.id, delivery.payload)
            else:
                log.error("No handler registered for kind %r; delivery %s failed", delivery.kind, delivery.id)
            return _Outcome(delivery, _Action.FAILED, error=f"no handler registered for kind {delivery.kind!r}")
        if self._clock.now() > delivery.deliver_before:
            return _Outcome(delivery, _Action.EXPIRED, error="Not sent before its deadline")
        try:
            async with asyncio.timeout(self._handler_timeout):
                message_id = await handler(delivery)
        except DeliverySkipped as exc:
            log.info("Delivery %s (%s) skipped by its handler: %s", delivery.id, delivery.kind, exc)
            return _Outcome(delivery, _Action.CANCELLED, error=str(exc))
        except DeliveryDeferred as exc:
            until = min(exc.until, delivery.deliver_before)
            log.info("Delivery %s (%s) deferred until %s: %s", delivery.id, delivery.kind, until, exc.reason)
            return _Outcome(delivery, _Action.DEFERRED, error=exc.reason, next_attempt_at=until)
        except RecipientUnreachableError as exc:
            log.info("Delivery %s (%s): the recipient does not accept direct messages", delivery.id, delivery.kind)
            return _Outcome(delivery, _Action.FAILED, error=f"{UNREACHABLE_ERROR}: {exc.reason}")
        except PermanentSendError as exc:
            log.warning("Delivery %s (%s) failed for good: %s", delivery.id, delivery.kind, exc.reason)
            return _Outcome(delivery, _Action.FAILED, error=exc.reason, notice=failure_text(delivery, exc.reason))
        except TimeoutError:
            log.warning(
                "Delivery %s (%s): handler timed out after %.0f s", delivery.id, delivery.kind, self._handler_timeout
            )
            return self._retry_or_give_up(
                delivery, f"handler timed out after {self._handler_timeout:.0f} s", transient=True
            )
        except (TransientSendError, OSError) as exc:
            log.info("Delivery %s (%s) attempt %d failed: %s", delivery.id, delivery.kind, delivery.attempts, exc)
            return self._retry_or_give_up(delivery, str(exc) or type(exc).__name__, transient=True)
        except Exception as exc:
            log.exception("Handler for %s raised on delivery %s", delivery.kind, delivery.id)
            return self._retry_or_give_up(delivery, f"{type(exc).__name__}: {exc}", transient=False)
        log.debug("Delivery %s (%s) sent as message %s", delivery.id, delivery.kind, message_id)
        return _Outcome(delivery, _Action.SENT, message_id=message_id)

    def backoff(self, attempts: int) -> timedelta:
        """Return the wait before the next attempt: base · 2^(attempts-1), capped, with "equal jitter"."""
        ceiling = min(self._backoff_cap, self._backoff_base * (2 ** max(0, min(attempts - 1, 30))))
        return ceiling / 2 + ceiling / 2 * self._rng.random()

    def _retry_or_give_up(self, delivery: Delivery, error: str, *, transient: bool) -> _Outcome:
        """Retry until deliver_before (then expire); an unexpected error also fails after max_attempts.

        Attempts count claims, including ones a crash abandoned, so a transient error must not spend them:
        a few bad minutes of the platform (or a few restarts) would fail a row that had days left.
        """
        now = self._clock.now()
        if not transient and delivery.attempts >= self._max_attempts:
            reason = f"gave up after {delivery.attempts} attempts; last error: {error}"
            log.warning("Delivery %s (%s) %s", delivery.id, delivery.kind, reason)
            return _Outcome(delivery, _Action.FAILED, error=reason, notice=failure_text(delivery, reason))
        # The last chance is just before the deadline; no chance left means expired now.
        next_at = min(now + self.backoff(delivery.attempts), delivery.deliver_before - timedelta(seconds=1))
        if next_at <= now:
            log.info("Delivery %s (%s) expired: no attempt left before its deadline", delivery.id, delivery.kind)
            # The failed attempt may have posted all the same (a reset after Discord created the message).
            expired = dataclasses.replace(delivery, interrupted=True)
            return _Outcome(expired, _Action.EXPIRED, error=f"Not sent before its deadline; last error: {error}")
        log.info("Delivery %s (%s) will be retried at %s", delivery.id, delivery.kind, next_at)
        notice = None
        if transient and delivery.attempts == self._max_attempts and delivery.kind != FACILITATOR_NOTICE:
            notice = still_trying_text(delivery, error)
        return _Outcome(delivery, _Action.RETRY, error=error, next_attempt_at=next_at, notice=notice)

    # -- recording (group commit) ---------------------------------------------------------------------

    async def _record(self, outcome: _Outcome) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._write_queue.append((outcome, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name="deliveries:writer")
        await future

    async def _write_loop(self) -> None:
        while self._write_queue:
            items, self._write_queue = self._write_queue, []
            outcomes = [outcome for outcome, _ in items]
            try:
                await self._write(outcomes)
            except Exception:
                log.exception("Recording %d delivery outcomes together failed; recording one by one", len(outcomes))
                for outcome in outcomes:
                    try:
                        await self._write([outcome])
                    except Exception:
                        log.exception(
                            "Could not record delivery %s as %s; it is reclaimed when its lease runs out",
                            outcome.delivery.id,
                            outcome.action,
                        )
            finally:
                for _, future in items:
                    if not future.done():
                        future.set_result(None)

    async def _write(self, outcomes: Sequence[_Outcome]) -> None:
        now = self._clock.now()
        notices: list[NewDelivery] = []
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlDeliveryRepository)
            await repo.mark_sent_many(
                [(o.delivery.id, o.message_id) for o in outcomes if o.action is _Action.SENT], now
            )
            for o in outcomes:
                d = o.delivery
                if o.action is _Action.RETRY:
                    await repo.mark_retry(d.id, o.error, o.next_attempt_at or now, now=now)
                    if o.notice is not None:  # once per row: the key is stable and a sent notice never goes again
                        notices.append(retrying_notice(d, o.notice, now=now))
                elif o.action is _Action.FAILED:
                    await repo.mark_failed(d.id, o.error, now=now)
                    if o.notice is not None and d.kind != FACILITATOR_NOTICE:
                        notices.append(failed_notice(d, o.notice, now=now))
                elif o.action is _Action.EXPIRED:
                    await repo.mark_expired(d.id, o.error, now=now)
                elif o.action is _Action.CANCELLED:
                    await repo.mark_cancelled(d.id, o.error, now=now)
                elif o.action is _Action.DEFERRED:
                    await repo.mark_deferred(d.id, o.error, o.next_attempt_at or now, now=now)
            expired = [o.delivery for o in outcomes if o.action is _Action.EXPIRED]
            notices.extend(
                expiry_notices(
                    expired,
                    now=now,
                    offline=False,
                    errors={o.delivery.id: o.error for o in outcomes if o.action is _Action.EXPIRED},
                )
            )
            for notice in notices:
                await repo.add(notice, now=now)
            await uow.commit()
        for o in outcomes:
            self._counts[_COUNTER[o.action]] += 1
        self._counts["notices"] += len(notices)
        if notices:
            self.wake(now)


_COUNTER = {
    _Action.SENT: "sent",
    _Action.RETRY: "retried",
    _Action.FAILED: "failed",
    _Action.EXPIRED: "expired",
    _Action.CANCELLED: "cancelled",
    _Action.DEFERRED: "deferred",
}
