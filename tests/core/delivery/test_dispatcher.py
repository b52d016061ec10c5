"""The dispatcher on a real database with a manual clock: outcomes, retries, notices, crashes, workers."""

import asyncio
import itertools
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import FACILITATOR_NOTICE, Delivery, DeliverySkipped, DeliveryStatus
from bot.core.delivery.idempotent import post_once
from bot.core.delivery.limiter import RateLimiter
from bot.core.delivery.notices import MAYBE_POSTED
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import OutboundMessage
from bot.core.ports import PermanentSendError, TransientSendError
from bot.core.storage.database import Database
from tests.core.delivery.conftest import (
    CHANNEL,
    DispatcherFactory,
    add_all,
    channel_handler,
    fetch,
    listed,
    new_delivery,
)
from tests.core.fakes import AfterPost, FakeSender


def notice_handler(log: list[Delivery]) -> Any:
    """Return a facilitator-notice handler that records what it was given."""

    async def handle(delivery: Delivery) -> int:
        log.append(delivery)
        return 1

    return handle


async def test_due_rows_are_sent_once(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """Every due row is posted exactly once and recorded as sent with its message id."""
    await add_all(database, clock, *(new_delivery(f"k{i}", clock.now() - timedelta(seconds=i)) for i in range(3)))
    dispatcher = make_dispatcher()
    assert await dispatcher.run_due() == 3
    assert await dispatcher.run_due() == 0
    assert sorted(p.content() for p in sender.posts) == [
        f"hello k{i}\n-# {(await fetch(database, f'k{i}')).marker}" for i in range(3)
    ]
    for i in range(3):
        row = await fetch(database, f"k{i}")
        assert row.status is DeliveryStatus.SENT
        assert row.message_id in {p.message_id for p in sender.posts}
        assert row.sent_at == clock.now()
    assert dispatcher.stats.sent == 3


async def test_rows_not_yet_due_are_untouched(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A row due a second from now stays pending with no attempt."""
    await add_all(database, clock, new_delivery("later", clock.now() + timedelta(seconds=1)))
    assert await make_dispatcher().run_due() == 0
    row = await fetch(database, "later")
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 0)
    assert sender.posts == []


async def test_transient_error_is_retried_with_backoff_then_sent(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A TransientSendError puts the row back with a growing delay; it is sent when the delay is over."""
    await add_all(database, clock, new_delivery("k1", clock.now()))
    dispatcher = make_dispatcher(rng=random.Random(7))
    sender.fail_next(TransientSendError("503"), TransientSendError("reset"))

    await dispatcher.run_due()
    first = await fetch(database, "k1")
    assert (first.status, first.attempts, first.last_error) == (DeliveryStatus.PENDING, 1, "503")
    async with database.unit_of_work() as uow:
        wait1 = await uow.repo(SqlDeliveryRepository).next_due_at()
    assert wait1 is not None
    assert timedelta(seconds=1) <= wait1 - clock.now() <= timedelta(seconds=2)  # base 2 s, equal jitter

    clock.set(wait1 - timedelta(milliseconds=1))
    assert await dispatcher.run_due() == 0  # not yet
    clock.set(wait1)
    await dispatcher.run_due()
    async with database.unit_of_work() as uow:
        wait2 = await uow.repo(SqlDeliveryRepository).next_due_at()
    assert wait2 is not None
    assert timedelta(seconds=2) <= wait2 - clock.now() <= timedelta(seconds=4)

    clock.set(wait2)
    await dispatcher.run_due()
    row = await fetch(database, "k1")
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 3)
    assert len(sender.posts) == 1
    assert (dispatcher.stats.retried, dispatcher.stats.sent) == (2, 1)


def test_backoff_is_capped() -> None:
    """Backoff doubles from 2 s and never exceeds 5 minutes."""
    dispatcher = Dispatcher(None, ManualClock(datetime(2026, 1, 5, tzinfo=UTC)), worker_id="x")  # type: ignore[arg-type]
    for attempts, ceiling in [(1, 2), (2, 4), (3, 8), (9, 300), (40, 300)]:
        wait = dispatcher.backoff(attempts).total_seconds()
        assert ceiling / 2 <= wait <= ceiling


async def test_permanent_error_fails_the_row_and_tells_facilitators(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """PermanentSendError marks the row failed and schedules a notice with the reason."""
    notices: list[Delivery] = []
    dispatcher = make_dispatcher(
        handlers={"post": channel_handler(sender), FACILITATOR_NOTICE: notice_handler(notices)}
    )
    await add_all(
        database,
        clock,
        new_delivery("k1", clock.now(), payload={"channel_id": 9, "text": "x", "summary": "Reminder for Session 3"}),
    )
    sender.fail_next(PermanentSendError("Blether cannot see #general: give it View Channel there."))
    await dispatcher.run_due()
    row = await fetch(database, "k1")
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error == "Blether cannot see #general: give it View Channel there."
    assert len(notices) == 1
    text = notices[0].payload["text"]
    assert "Reminder for Session 3" in text
    assert "give it View Channel there" in text
    assert notices[0].guild_id == row.guild_id
    assert dispatcher.stats.failed == 1


async def test_skipped_delivery_is_cancelled(
    database: Database, clock: ManualClock, make_dispatcher: DispatcherFactory
) -> None:
    """A handler raising DeliverySkipped cancels its row."""

    async def skip(delivery: Delivery) -> int:
        raise DeliverySkipped("session was deleted")

    await add_all(database, clock, new_delivery("k1", clock.now()))
    await make_dispatcher(handlers={"post": skip}).run_due()
    row = await fetch(database, "k1")
    assert (row.status, row.last_error) == (DeliveryStatus.CANCELLED, "session was deleted")


async def test_unknown_kind_fails_with_a_log(
    database: Database, clock: ManualClock, make_dispatcher: DispatcherFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A row whose kind has no handler is failed, logged, and not retried."""
    await add_all(database, clock, new_delivery("k1", clock.now(), kind="mystery"))
    await make_dispatcher().run_due()
    row = await fetch(database, "k1")
    assert row.status is DeliveryStatus.FAILED
    assert "mystery" in caplog.text
    assert await listed(database, kind=FACILITATOR_NOTICE) == []


async def test_notice_without_handler_is_failed_with_a_warning(
    database: Database,
    clock: ManualClock,
    sender: FakeSender,
    make_dispatcher: DispatcherFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With no facilitator_notice handler, the notice is logged and failed, and no notice-about-notice appears."""
    await add_all(database, clock, new_delivery("k1", clock.now()))
    sender.fail_next(PermanentSendError("missing access"))
    dispatcher = make_dispatcher()
    await dispatcher.run_due()
    (notice,) = await listed(database, kind=FACILITATOR_NOTICE)
    assert notice.status is DeliveryStatus.FAILED
    assert "No handler for facilitator notices" in caplog.text
    assert len(await listed(database)) == 2


async def test_random_exception_does_not_stop_other_rows(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A handler bug on one row is logged and retried; every other row is still sent."""
    handle = channel_handler(sender)

    async def flaky(delivery: Delivery) -> int:
        if delivery.dedupe_key == "k2":
            raise KeyError("boom")
        return await handle(delivery)

    await add_all(database, clock, *(new_delivery(f"k{i}", clock.now()) for i in range(5)))
    dispatcher = make_dispatcher(handlers={"post": flaky})
    await dispatcher.run_due()
    statuses = {d.dedupe_key: d.status for d in await listed(database)}
    assert statuses.pop("k2") is DeliveryStatus.PENDING
    assert set(statuses.values()) == {DeliveryStatus.SENT}
    assert "KeyError" in ((await fetch(database, "k2")).last_error or "")


async def test_hung_handler_is_cut_off_and_retried(
    database: Database, clock: ManualClock, make_dispatcher: DispatcherFactory
) -> None:
    """A handler that never returns is timed out, the row retried, and the next row still sent."""
    calls: list[str] = []

    async def slow(delivery: Delivery) -> int:
        calls.append(delivery.dedupe_key)
        if delivery.dedupe_key == "hang":
            await asyncio.sleep(3600)
        return 5

    await add_all(database, clock, new_delivery("hang", clock.now()), new_delivery("fine", clock.now()))
    await make_dispatcher(handlers={"post": slow}, handler_timeout=0.05).run_due()
    hung = await fetch(database, "hang")
    assert (hung.status, hung.last_error) == (DeliveryStatus.PENDING, "handler timed out after 0 s")
    assert (await fetch(database, "fine")).status is DeliveryStatus.SENT


async def test_max_attempts_fails_the_row_with_a_notice(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """After max_attempts unexpected errors (a bug, not the platform) the row fails and the facilitators hear."""
    await add_all(database, clock, new_delivery("k1", clock.now(), window=timedelta(days=1)))
    dispatcher = make_dispatcher(max_attempts=3)
    sender.fail_next(*(RuntimeError("a bug") for _ in range(3)))
    for _ in range(3):
        await dispatcher.run_due()
        clock.advance(timedelta(minutes=10))
    row = await fetch(database, "k1")
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 3)
    (notice,) = await listed(database, kind=FACILITATOR_NOTICE)
    assert "gave up after 3 attempts" in notice.payload["text"]


async def test_transient_errors_are_retried_past_max_attempts_until_sent(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """Platform errors do not spend max_attempts: a row with a day to go is retried until it goes out.

    Reaching max_attempts tells the facilitators once that Blether keeps trying (not again at later failures).

    Found by the chaos run (tests/e2e/chaos.py): a reflection card hit by eight resets and crashes spread
    over hours of bot time failed for good although its deadline was a week away.
    """
    await add_all(database, clock, new_delivery("k1", clock.now(), window=timedelta(days=1)))
    dispatcher = make_dispatcher(max_attempts=3)
    sender.fail_next(*(TransientSendError("503") for _ in range(5)))
    for _ in range(6):
        await dispatcher.run_due()
        clock.advance(timedelta(minutes=10))
    row = await fetch(database, "k1")
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 6)
    assert len(sender.posts) == 1
    (notice,) = await listed(database, kind=FACILITATOR_NOTICE)  # one "still trying" at the 3rd failure, not more
    assert notice.dedupe_key == f"notice:retrying:{row.id}" and notice.payload["delivery_ids"] == [row.id]
    assert "tried 3 times" in notice.payload["text"] and "keeps trying" in notice.payload["text"]
    assert "503" in notice.payload["text"]


async def test_retry_past_deadline_expires_with_a_notice(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """When no attempt is left before deliver_before, a failing row expires and a notice is scheduled."""
    await add_all(database, clock, new_delivery("k1", clock.now(), window=timedelta(seconds=30)))
    dispatcher = make_dispatcher()
    sender.fail_next(*(TransientSendError("503") for _ in range(20)))
    for _ in range(20):
        await dispatcher.run_due()
        clock.advance(timedelta(seconds=5))
        if (await fetch(database, "k1")).status is not DeliveryStatus.PENDING:
            break
    row = await fetch(database, "k1")
    assert row.status is DeliveryStatus.EXPIRED
    assert sender.posts == []
    (notice,) = await listed(database, kind=FACILITATOR_NOTICE)
    assert "could not be sent" in notice.payload["text"]
    assert dispatcher.stats.expired == 1


async def test_startup_expires_overdue_rows_with_one_notice_per_guild(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """On start, rows past deliver_before expire; each guild gets one notice listing its rows; late rows still go."""
    past = clock.now() - timedelta(hours=3)
    await add_all(
        database,
        clock,
        new_delivery("g1-a", past, guild_id=1, payload={"channel_id": 1, "text": "a", "summary": "Reminder A"}),
        new_delivery("g1-b", past, guild_id=1, payload={"channel_id": 1, "text": "b", "summary": "Reminder B"}),
        new_delivery("g2-a", past, guild_id=2),
        new_delivery("late-but-ok", clock.now() - timedelta(minutes=30), guild_id=1),
    )
    notices: list[Delivery] = []
    dispatcher = make_dispatcher(
        handlers={"post": channel_handler(sender), FACILITATOR_NOTICE: notice_handler(notices)}
    )
    assert await dispatcher.reconcile() == (0, 3)
    await dispatcher.run_due()
    statuses = {d.dedupe_key: d.status for d in await listed(database, kind="post")}
    assert statuses == {
        "g1-a": DeliveryStatus.EXPIRED,
        "g1-b": DeliveryStatus.EXPIRED,
        "g2-a": DeliveryStatus.EXPIRED,
        "late-but-ok": DeliveryStatus.SENT,
    }
    by_guild = {n.guild_id: n for n in notices}
    assert sorted(by_guild) == [1, 2]
    assert "Reminder A" in by_guild[1].payload["text"] and "Reminder B" in by_guild[1].payload["text"]
    assert "While Blether was offline, 2 scheduled messages" in by_guild[1].payload["text"]
    # A second reconcile finds nothing new and schedules nothing new.
    assert await dispatcher.reconcile() == (0, 0)
    assert len(await listed(database, kind=FACILITATOR_NOTICE)) == 2


async def test_an_expired_row_whose_attempt_was_interrupted_is_not_called_unposted(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A row claimed by a worker that died (it may have posted) and then overdue: the notice says it may be out.

    Found by the chaos run: the bot posted a reminder, was killed before recording it, came back after the
    session began, and told the facilitators that nothing was posted, inviting a repost by hand.
    """
    now = clock.now()
    await add_all(
        database,
        clock,
        new_delivery("crashed", now, window=timedelta(minutes=1), payload={"channel_id": 1, "summary": "Crashed"}),
        new_delivery("never", now, window=timedelta(minutes=1), payload={"channel_id": 1, "summary": "Never"}),
    )
    async with database.unit_of_work() as uow:  # a worker claims one row, posts, and dies before recording it
        repo = uow.repo(SqlDeliveryRepository)
        claimed = await repo.claim_due(now, limit=1, lease=timedelta(minutes=2), worker_id="dead")
        await uow.commit()
    assert [d.dedupe_key for d in claimed] == ["crashed"]
    clock.advance(timedelta(hours=3))
    dispatcher = make_dispatcher()
    assert await dispatcher.reconcile() == (1, 2)
    (notice,) = await listed(database, kind=FACILITATOR_NOTICE)
    lines = notice.payload["text"].splitlines()
    assert any("Crashed" in line and MAYBE_POSTED in line for line in lines)
    assert any("Never" in line and MAYBE_POSTED not in line for line in lines)
    assert "check the channel" in lines[-1]


async def test_start_reconciles_then_sends_late_rows(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """start() expires what is too late and sends what is merely late, without a manual run_due."""
    await add_all(
        database,
        clock,
        new_delivery("too-late", clock.now() - timedelta(hours=2)),
        new_delivery("late", clock.now() - timedelta(minutes=5)),
    )
    dispatcher = make_dispatcher()
    await dispatcher.start()
    for _ in range(100):
        if (await fetch(database, "late")).status is DeliveryStatus.SENT:
            break
        await asyncio.sleep(0.02)
    assert (await fetch(database, "late")).status is DeliveryStatus.SENT
    assert (await fetch(database, "too-late")).status is DeliveryStatus.EXPIRED
    assert len(sender.posts) == 1
    assert sender.posts[0].content().startswith("hello late")
    await dispatcher.stop()


async def _crash_after_posting(database: Database, clock: ManualClock, sender: FakeSender, worker: str) -> None:
    """Claim every due row and post it as a handler would, then 'crash' before recording anything."""
    async with database.unit_of_work() as uow:
        claimed = await uow.repo(SqlDeliveryRepository).claim_due(
            clock.now(), limit=50, lease=timedelta(minutes=2), worker_id=worker
        )
        await uow.commit()
    for delivery in claimed:
        await post_once(sender, CHANNEL, OutboundMessage(content=delivery.payload["text"]), delivery)


@pytest.mark.parametrize("downtime", [timedelta(minutes=3), timedelta(minutes=30)])
async def test_abandoned_claim_is_reclaimed_without_a_second_post(
    database: Database,
    clock: ManualClock,
    sender: FakeSender,
    make_dispatcher: DispatcherFactory,
    downtime: timedelta,
) -> None:
    """A crash between post and record: the lease runs out, the row is reclaimed, and nothing is posted twice.

    Within the nonce window the nonce dedupes; beyond it the row is recovered and find_recent finds the post.
    """
    await add_all(database, clock, new_delivery("k1", clock.now(), window=timedelta(hours=2)))
    await _crash_after_posting(database, clock, sender, "crashed")
    assert len(sender.posts) == 1
    clock.advance(downtime)
    await make_dispatcher("survivor").run_due()
    row = await fetch(database, "k1")
    assert row.status is DeliveryStatus.SENT
    assert row.message_id == sender.posts[0].message_id
    assert len(sender.posts) == 1
    assert bool(sender.find_calls) is (downtime > timedelta(minutes=4))


async def test_restarted_worker_takes_back_its_own_claims(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """On reconcile, rows this worker id held before a crash are released at once, not after the lease."""
    await add_all(database, clock, new_delivery("k1", clock.now()))
    await _crash_after_posting(database, clock, sender, "w1")
    clock.advance(timedelta(seconds=10))
    dispatcher = make_dispatcher("w1")
    assert await dispatcher.reconcile() == (1, 0)
    await dispatcher.run_due()
    assert (await fetch(database, "k1")).status is DeliveryStatus.SENT
    assert len(sender.posts) == 1


async def test_two_workers_never_deliver_the_same_row(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """Two dispatchers with different worker ids, taking turns over one table, post each row once."""
    sender.enforce_nonce = False  # count every create: the engine alone must prevent duplicates
    start = clock.now()
    await add_all(database, clock, *(new_delivery(f"k{i}", start + timedelta(seconds=i % 7)) for i in range(60)))
    a = make_dispatcher("worker-a", batch=7)
    b = make_dispatcher("worker-b", batch=5)
    for step in range(10):
        await (a if step % 2 else b).run_due()
        clock.advance(timedelta(seconds=1))
    assert len(sender.posts) == 60
    assert len({p.message.content for p in sender.posts}) == 60
    assert a.stats.sent + b.stats.sent == 60
    assert a.stats.sent > 0 and b.stats.sent > 0


async def test_concurrent_run_due_calls_deliver_exactly_once(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """Several run_due calls at once, on one dispatcher and on two, post every row exactly once."""
    sender.enforce_nonce = False
    handle = channel_handler(sender)

    async def slowish(delivery: Delivery) -> int:
        await asyncio.sleep(0.001)
        return await handle(delivery)

    await add_all(database, clock, *(new_delivery(f"k{i}", clock.now()) for i in range(120)))
    a = make_dispatcher("a", handlers={"post": slowish}, batch=10)
    b = make_dispatcher("b", handlers={"post": slowish}, batch=10)
    counts = await asyncio.gather(a.run_due(), a.run_due(), b.run_due(), b.run_due())
    assert sum(counts) == 120
    assert len(sender.posts) == 120
    assert len({p.message.content for p in sender.posts}) == 120
    assert {d.status for d in await listed(database)} == {DeliveryStatus.SENT}


async def test_not_leader_does_not_claim(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """When the leadership hook says no, due rows stay pending."""
    leading = False

    async def leader() -> bool:
        return leading

    await add_all(database, clock, new_delivery("k1", clock.now()))
    dispatcher = make_dispatcher(leader=leader)
    assert await dispatcher.run_due() == 0
    assert (await fetch(database, "k1")).status is DeliveryStatus.PENDING
    leading = True
    assert await dispatcher.run_due() == 1


async def test_schedule_adds_in_the_callers_unit_of_work(
    database: Database, clock: ManualClock, make_dispatcher: DispatcherFactory
) -> None:
    """schedule() writes nothing until the caller commits."""
    dispatcher = make_dispatcher()
    async with database.unit_of_work() as uow:
        added = await dispatcher.schedule(uow, new_delivery("k1", clock.now()))
        assert added.status is DeliveryStatus.PENDING
    assert await listed(database) == []
    async with database.unit_of_work() as uow:
        await dispatcher.schedule(uow, new_delivery("k1", clock.now()))
        await uow.commit()
    assert len(await listed(database)) == 1


async def test_register_refuses_a_second_handler(make_dispatcher: DispatcherFactory) -> None:
    """One handler per kind."""
    dispatcher = make_dispatcher()
    with pytest.raises(ValueError, match="already registered"):
        dispatcher.register("post", notice_handler([]))


async def test_lost_reply_then_late_retry_does_not_post_twice(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A post whose reply was lost, retried only after the nonce window, is found by its marker, not reposted."""
    await add_all(database, clock, new_delivery("k1", clock.now(), window=timedelta(hours=2)))
    dispatcher = make_dispatcher()
    sender.fail_next(
        AfterPost(TransientSendError("timeout reading reply")), *(TransientSendError("503") for _ in range(7))
    )
    for _ in range(30):
        await dispatcher.run_due()
        if (await fetch(database, "k1")).status is DeliveryStatus.SENT:
            break
        clock.advance(timedelta(minutes=1))
    row = await fetch(database, "k1")
    assert row.status is DeliveryStatus.SENT
    assert len(sender.posts) == 1
    assert row.message_id == sender.posts[0].message_id
    assert sender.find_calls  # the late retry looked before posting


async def test_rows_found_overdue_while_running_expire_with_one_notice_per_guild(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """Rows that pass deliver_before before a run reaches them expire unsent; their guilds get one notice each."""
    start = clock.now()
    await add_all(
        database,
        clock,
        *(new_delivery(f"g1-{i}", start, guild_id=1, window=timedelta(minutes=1)) for i in range(3)),
        new_delivery("g2", start, guild_id=2, window=timedelta(minutes=1)),
        new_delivery("fine", start + timedelta(minutes=2), guild_id=1),
    )
    notices: list[Delivery] = []
    dispatcher = make_dispatcher(
        handlers={"post": channel_handler(sender), FACILITATOR_NOTICE: notice_handler(notices)}, batch=2
    )
    clock.advance(timedelta(minutes=2))  # e.g. the event loop was blocked, or a long backlog
    await dispatcher.run_due()
    assert [p.content().split("\n")[0] for p in sender.posts if p.message.content] == ["hello fine"]
    assert {d.dedupe_key: d.status for d in await listed(database, kind="post")}["g1-0"] is DeliveryStatus.EXPIRED
    assert sorted(n.guild_id for n in notices) in ([1, 1, 2], [1, 2])  # batches may split a guild's list
    assert sum(len(n.payload["delivery_ids"]) for n in notices) == 4
    stats = dispatcher.stats
    assert (stats.sent, stats.expired, stats.failed) == (1 + len(notices), 4, 0)
    assert stats.notices == len(notices)


async def test_dms_waiting_for_their_slot_do_not_hold_up_posts(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """DM kinds run in their own lane: while DMs wait, every post goes out and only dm_concurrency DMs are claimed."""
    release = asyncio.Event()
    running: list[int] = []
    most_at_once = 0

    async def dm(delivery: Delivery) -> int:
        nonlocal most_at_once
        running.append(delivery.id)
        most_at_once = max(most_at_once, len(running))
        await release.wait()  # e.g. waiting for the limiter's next DM slot
        running.remove(delivery.id)
        return delivery.id

    earlier = clock.now() - timedelta(minutes=1)  # the DMs are due first
    await add_all(database, clock, *(new_delivery(f"dm{i}", earlier, kind="dm") for i in range(5)))
    await add_all(database, clock, *(new_delivery(f"p{i}", clock.now()) for i in range(20)))
    dispatcher = make_dispatcher(concurrency=2, dm_concurrency=2, batch=10)
    dispatcher.register("dm", dm, dm=True)

    assert await dispatcher.run_due(wait=False) == 20
    assert len(sender.posts) == 20
    assert len(await listed(database, kind="dm", status=DeliveryStatus.CLAIMED)) == 2
    assert len(await listed(database, kind="dm", status=DeliveryStatus.PENDING)) == 3

    release.set()
    assert await dispatcher.drain_dms() == 5
    assert most_at_once == 2
    assert len(await listed(database, kind="dm", status=DeliveryStatus.SENT)) == 5
    assert dispatcher.stats.sent == 25


async def test_dm_lane_keeps_the_dm_pace_and_posts_go_out_meanwhile(
    database: Database, clock: ManualClock, make_dispatcher: DispatcherFactory
) -> None:
    """With a real limiter, DM grants are ≥ 1/dm_rate apart and the posts finish before the DMs do."""
    limiter = RateLimiter(global_rate=1000.0, global_burst=10, dm_rate=10.0)
    dm_grants: list[float] = []
    post_grants: list[float] = []

    async def dm(delivery: Delivery) -> int:
        await limiter.acquire(dm=True)
        dm_grants.append(time.monotonic())
        return delivery.id

    async def post(delivery: Delivery) -> int:
        await limiter.acquire()
        post_grants.append(time.monotonic())
        return delivery.id

    earlier = clock.now() - timedelta(minutes=1)
    await add_all(database, clock, *(new_delivery(f"dm{i}", earlier, kind="dm") for i in range(4)))
    await add_all(database, clock, *(new_delivery(f"p{i}", clock.now()) for i in range(30)))
    dispatcher = make_dispatcher(limiter=limiter, concurrency=2, batch=10, handlers={"post": post})
    dispatcher.register("dm", dm, dm=True)

    assert await dispatcher.run_due() == 34
    assert len(dm_grants) == 4 and len(post_grants) == 30
    assert min(b - a for a, b in itertools.pairwise(dm_grants)) >= 0.1 - 0.002
    assert max(post_grants) < dm_grants[-1]  # ordering: posts did not queue behind the DMs


async def test_a_full_dm_lane_does_not_spin_the_dispatcher(
    database: Database, clock: ManualClock, make_dispatcher: DispatcherFactory
) -> None:
    """While the DM lane is full, due DMs are not a reason to wake again at once; the lane refills itself."""
    release = asyncio.Event()

    async def dm(delivery: Delivery) -> int:
        await release.wait()
        return delivery.id

    await add_all(database, clock, *(new_delivery(f"dm{i}", clock.now(), kind="dm") for i in range(3)))
    dispatcher = make_dispatcher(dm_concurrency=1, handlers={})
    dispatcher.register("dm", dm, dm=True)
    woken: list[datetime | None] = []
    dispatcher.wake = woken.append  # type: ignore[method-assign]

    await dispatcher.run_due(wait=False)
    assert all(at is not None and at > clock.now() for at in woken)  # only the lease end, not "now"
    release.set()
    assert await dispatcher.drain_dms() == 3
    assert len(await listed(database, kind="dm", status=DeliveryStatus.SENT)) == 3


def claim_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the limit of every claim_due call."""
    sizes: list[int] = []
    claim_due = SqlDeliveryRepository.claim_due

    async def recording(self: SqlDeliveryRepository, now: datetime, *, limit: int, **kwargs: Any) -> list[Delivery]:
        sizes.append(limit)
        return await claim_due(self, now, limit=limit, **kwargs)

    monkeypatch.setattr(SqlDeliveryRepository, "claim_due", recording)
    return sizes


async def test_a_backlog_of_quick_rows_is_claimed_in_growing_batches(
    database: Database,
    clock: ManualClock,
    sender: FakeSender,
    make_dispatcher: DispatcherFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After downtime, quick rows are claimed 10, 20, 40, then 80 at a time (max_batch), each sent once."""
    await add_all(database, clock, *(new_delivery(f"k{i}", clock.now()) for i in range(400)))
    sizes = claim_sizes(monkeypatch)
    dispatcher = make_dispatcher(batch=10, max_batch=80, batch_seconds=30.0)
    assert await dispatcher.run_due() == 400
    assert sizes[:4] == [10, 20, 40, 80] and max(sizes) == 80
    assert len(sizes) == 4 + 4  # 150 rows in the first four claims, then 80, 80, 80 and the last 10
    assert len(sender.posts) == len({p.message.content for p in sender.posts}) == 400


async def test_slow_rows_keep_batches_small(
    database: Database,
    clock: ManualClock,
    sender: FakeSender,
    make_dispatcher: DispatcherFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows slower than batch_seconds a batch are never claimed more than batch at a time."""
    handle = channel_handler(sender)

    async def slow(delivery: Delivery) -> int:
        await asyncio.sleep(0.03)
        return await handle(delivery)

    await add_all(database, clock, *(new_delivery(f"k{i}", clock.now()) for i in range(12)))
    sizes = claim_sizes(monkeypatch)
    dispatcher = make_dispatcher(batch=3, max_batch=24, batch_seconds=0.05, concurrency=1, handlers={"post": slow})
    assert await dispatcher.run_due() == 12
    assert set(sizes) == {3}
    assert len(sender.posts) == 12


async def test_batch_must_fit_under_max_batch(database: Database, clock: ManualClock) -> None:
    """A batch larger than max_batch is a configuration mistake, refused at once."""
    with pytest.raises(ValueError, match="max_batch"):
        Dispatcher(database, clock, worker_id="w", batch=50, max_batch=10)


async def test_rows_that_waited_out_their_lease_are_left_for_the_next_claim(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A handler slow enough to use up the batch's lease: the rows behind it are not attempted on that claim."""
    handle = channel_handler(sender)

    async def first_one_is_slow(delivery: Delivery) -> int:
        if not sender.posts:
            clock.advance(timedelta(minutes=2))  # the whole lease, spent on the first row
        return await handle(delivery)

    await add_all(database, clock, *(new_delivery(f"k{i}", clock.now()) for i in range(3)))
    dispatcher = make_dispatcher(batch=3, concurrency=1, handlers={"post": first_one_is_slow})
    await dispatcher.run_due()
    assert len(sender.posts) == 1
    assert {(await fetch(database, f"k{i}")).status for i in (1, 2)} == {DeliveryStatus.CLAIMED}
    clock.advance(timedelta(seconds=10))  # past the lease and the sweep interval
    await dispatcher.run_due()
    assert len(sender.posts) == len({p.message.content for p in sender.posts}) == 3  # each once
    assert [(await fetch(database, f"k{i}")).status for i in range(3)] == [DeliveryStatus.SENT] * 3


async def test_next_due_at_tells_when_the_earliest_pending_row_comes_due(
    database: Database, clock: ManualClock, sender: FakeSender, make_dispatcher: DispatcherFactory
) -> None:
    """A simulated clock steps by next_due_at: the earliest pending row, None once all are done."""
    dispatcher = make_dispatcher()
    assert await dispatcher.next_due_at() is None
    later, sooner = clock.now() + timedelta(days=2), clock.now() + timedelta(hours=3)
    await add_all(database, clock, new_delivery("later", later), new_delivery("sooner", sooner))
    assert await dispatcher.next_due_at() == sooner
    clock.set(sooner)
    assert await dispatcher.run_due() == 1
    assert await dispatcher.next_due_at() == later
    clock.set(later)
    assert await dispatcher.run_due() == 1
    assert await dispatcher.next_due_at() is None
