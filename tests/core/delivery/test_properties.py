"""Property: whatever the interleaving of scheduling, cancelling, crashes, failures and time, a key posts once."""

import contextlib
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.delivery.idempotent import post_once
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import OutboundMessage
from bot.core.ports import TransientSendError
from bot.core.storage.database import Database
from tests.core.delivery.conftest import CHANNEL, channel_handler, new_delivery
from tests.core.fakes import AfterPost, FakeSender

KEYS = st.integers(0, 3)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), KEYS, st.integers(-120, 600)),
        st.tuples(st.just("cancel"), KEYS, st.just(0)),
        st.tuples(st.just("advance"), st.sampled_from([1, 30, 130, 250, 900]), st.just(0)),
        st.tuples(st.just("run"), st.integers(0, 1), st.just(0)),
        st.tuples(st.just("crash"), st.integers(0, 1), st.just(0)),
        st.tuples(st.just("fail"), st.integers(0, 1), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
async def test_each_dedupe_key_is_posted_at_most_once(
    database: Database, operations: list[tuple[str, int, int]]
) -> None:
    """Random add/cancel/claim/crash/fail/advance sequences never post one dedupe key twice, even after draining."""
    run = uuid.uuid4().hex[:8]  # examples share the database; each uses its own keys
    clock = ManualClock(datetime(2026, 1, 5, 12, tzinfo=UTC))
    sender = FakeSender(clock=clock)
    workers = [
        Dispatcher(database, clock, worker_id=f"{run}-{i}", poll_interval=None, max_attempts=50) for i in range(2)
    ]
    for worker in workers:
        worker.register("post", channel_handler(sender))

    def key(k: int) -> str:
        return f"{run}:k{k}"

    async def crash(worker: int) -> None:
        async with database.unit_of_work() as uow:
            claimed = await uow.repo(SqlDeliveryRepository).claim_due(
                clock.now(), limit=2, lease=timedelta(minutes=2), worker_id=f"{run}-{worker}"
            )
            await uow.commit()
        for delivery in claimed:
            if delivery.dedupe_key.startswith(run):
                with contextlib.suppress(TransientSendError):  # the worker dies either way
                    await post_once(sender, CHANNEL, OutboundMessage(content=delivery.payload["text"]), delivery)

    for op, a, b in operations:
        if op == "add":
            async with database.unit_of_work() as uow:
                await uow.repo(SqlDeliveryRepository).add(
                    new_delivery(key(a), clock.now() + timedelta(seconds=b), window=timedelta(days=2)), now=clock.now()
                )
                await uow.commit()
        elif op == "cancel":
            async with database.unit_of_work() as uow:
                await uow.repo(SqlDeliveryRepository).cancel(key(a))
                await uow.commit()
        elif op == "advance":
            clock.advance(timedelta(seconds=a))
        elif op == "run":
            await workers[a].run_due()
        elif op == "crash":
            await crash(a)
        else:
            sender.fail_next(AfterPost(TransientSendError("reply lost")) if a else TransientSendError("503"))

    sender.failures.clear()
    for _ in range(12):  # drain: leases run out, retries come due, everything open is finished
        clock.advance(timedelta(minutes=6))
        await workers[0].run_due()

    posts = Counter(p.content().split("\n")[0] for p in sender.posts if p.message.content)
    assert all(count == 1 for count in posts.values()), posts
    async with database.unit_of_work() as uow:
        rows: list[Delivery] = [d for d in await uow.repo(SqlDeliveryRepository).list() if d.dedupe_key.startswith(run)]
    for row in rows:
        assert row.status in (DeliveryStatus.SENT, DeliveryStatus.CANCELLED), row
        if row.status is DeliveryStatus.SENT:
            assert posts[f"hello {row.dedupe_key}"] == 1
            assert row.message_id in {p.message_id for p in sender.posts}
