"""SqlDeliveryRepository against a real database: idempotent scheduling, cancelling and claiming."""

from datetime import timedelta

from bot.core.clock import ManualClock
from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.storage.database import Database
from tests.core.delivery.conftest import add_all, fetch, listed, new_delivery

LEASE = timedelta(minutes=2)


async def claim(database: Database, clock: ManualClock, worker: str = "w1", limit: int = 50) -> list[Delivery]:
    """Claim due rows in a committed unit of work."""
    async with database.unit_of_work() as uow:
        claimed = await uow.repo(SqlDeliveryRepository).claim_due(
            clock.now(), limit=limit, lease=LEASE, worker_id=worker
        )
        await uow.commit()
    return claimed


async def test_add_returns_a_pending_frozen_delivery(database: Database, clock: ManualClock) -> None:
    """A new key becomes a pending row with next attempt at its due time."""
    (added,) = await add_all(database, clock, new_delivery("k1", clock.now()))
    assert added.status is DeliveryStatus.PENDING
    assert added.attempts == 0
    assert added.due_at == clock.now()
    assert added.payload == {"channel_id": 222, "text": "hello k1"}
    assert added.recovered is False
    assert added.due_at.tzinfo is not None


async def test_add_again_updates_a_pending_row(database: Database, clock: ManualClock) -> None:
    """Scheduling a pending key again moves it and replaces its payload, keeping one row."""
    first = clock.now() + timedelta(hours=1)
    later = clock.now() + timedelta(hours=2)
    (a,) = await add_all(database, clock, new_delivery("k1", first))
    (b,) = await add_all(database, clock, new_delivery("k1", later, payload={"channel_id": 1, "text": "moved"}))
    assert a.id == b.id
    assert b.due_at == later
    assert b.deliver_before == later + timedelta(hours=1)
    assert b.payload["text"] == "moved"
    assert len(await listed(database)) == 1


async def test_add_leaves_sent_expired_and_failed_rows_alone(database: Database, clock: ManualClock) -> None:
    """A key that reached a final state is never re-opened or changed."""
    await add_all(database, clock, *(new_delivery(k, clock.now()) for k in ("sent", "expired", "failed")))
    claimed = {d.dedupe_key: d for d in await claim(database, clock)}
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlDeliveryRepository)
        await repo.mark_sent(claimed["sent"].id, 42, clock.now())
        await repo.mark_expired(claimed["expired"].id, "late")
        await repo.mark_failed(claimed["failed"].id, "no access")
        await uow.commit()
    later = clock.now() + timedelta(days=1)
    again = await add_all(database, clock, *(new_delivery(k, later) for k in ("sent", "expired", "failed")))
    assert [d.status for d in again] == [DeliveryStatus.SENT, DeliveryStatus.EXPIRED, DeliveryStatus.FAILED]
    assert all(d.due_at == clock.now() for d in again)
    assert again[0].message_id == 42


async def test_add_reopens_a_cancelled_row(database: Database, clock: ManualClock) -> None:
    """A cancelled key scheduled again is pending again with a clean slate."""
    await add_all(database, clock, new_delivery("k1", clock.now()))
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlDeliveryRepository).cancel("k1") is True
        await uow.commit()
    assert (await fetch(database, "k1")).status is DeliveryStatus.CANCELLED
    later = clock.now() + timedelta(hours=3)
    (reopened,) = await add_all(database, clock, new_delivery("k1", later))
    assert reopened.status is DeliveryStatus.PENDING
    assert reopened.due_at == later
    assert reopened.attempts == 0


async def test_cancel_target_cancels_only_pending_rows_of_that_target(database: Database, clock: ManualClock) -> None:
    """cancel_target touches pending rows of its target only and counts them."""
    now = clock.now()
    await add_all(
        database,
        clock,
        new_delivery("a", now, target="session:1"),
        new_delivery("b", now + timedelta(hours=1), target="session:1"),
        new_delivery("c", now + timedelta(hours=1), target="session:1"),
        new_delivery("other", now, target="session:2"),
    )
    in_flight = await claim(database, clock, limit=1)
    assert [d.dedupe_key for d in in_flight] == ["a"]
    async with database.unit_of_work() as uow:
        count = await uow.repo(SqlDeliveryRepository).cancel_target("session:1", now=clock.now())
        await uow.commit()
    assert count == 2
    statuses = {d.dedupe_key: d.status for d in await listed(database)}
    assert statuses == {
        "a": DeliveryStatus.CLAIMED,
        "b": DeliveryStatus.CANCELLED,
        "c": DeliveryStatus.CANCELLED,
        "other": DeliveryStatus.PENDING,
    }


async def test_claim_takes_only_due_rows_and_only_once(database: Database, clock: ManualClock) -> None:
    """Due rows are claimed with a lease; not-yet-due rows and already-claimed rows are not."""
    now = clock.now()
    await add_all(database, clock, new_delivery("due", now), new_delivery("later", now + timedelta(seconds=1)))
    first = await claim(database, clock, "w1")
    second = await claim(database, clock, "w2")
    assert [d.dedupe_key for d in first] == ["due"]
    assert first[0].status is DeliveryStatus.CLAIMED
    assert first[0].attempts == 1
    assert first[0].lease_until == now + LEASE
    assert second == []
    assert (await fetch(database, "later")).status is DeliveryStatus.PENDING


async def test_claim_respects_limit_and_due_order(database: Database, clock: ManualClock) -> None:
    """The oldest due rows are claimed first, at most limit of them."""
    now = clock.now()
    await add_all(database, clock, *(new_delivery(f"k{i}", now - timedelta(seconds=i)) for i in range(5)))
    claimed = await claim(database, clock, limit=3)
    assert [d.dedupe_key for d in claimed] == ["k4", "k3", "k2"]


async def test_next_due_at_is_the_earliest_pending_attempt(database: Database, clock: ManualClock) -> None:
    """next_due_at ignores claimed rows and is None when nothing is pending."""
    now = clock.now()
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlDeliveryRepository).next_due_at() is None
    await add_all(database, clock, new_delivery("a", now), new_delivery("b", now + timedelta(minutes=5)))
    await claim(database, clock)
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlDeliveryRepository).next_due_at() == now + timedelta(minutes=5)


async def test_release_abandoned_returns_expired_leases_to_pending(database: Database, clock: ManualClock) -> None:
    """A claim whose lease ran out goes back to pending; recovered is set only beyond the nonce window."""
    await add_all(database, clock, new_delivery("k1", clock.now()))
    (claimed,) = await claim(database, clock)
    clock.advance(LEASE - timedelta(seconds=1))
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlDeliveryRepository).release_abandoned(clock.now()) == []
    clock.advance(timedelta(seconds=2))
    async with database.unit_of_work() as uow:
        released = await uow.repo(SqlDeliveryRepository).release_abandoned(clock.now())
        await uow.commit()
    assert [d.id for d in released] == [claimed.id]
    assert released[0].status is DeliveryStatus.PENDING
    (soon,) = await claim(database, clock)
    assert soon.recovered is False  # 2 min after the abandoned attempt: the nonce still dedupes
    assert soon.attempts == 2
    clock.advance(LEASE + timedelta(seconds=1))
    async with database.unit_of_work() as uow:
        await uow.repo(SqlDeliveryRepository).release_abandoned(clock.now())
        await uow.commit()
    (late,) = await claim(database, clock)
    assert late.recovered is True  # the first abandoned attempt began over 4 min ago


async def test_release_abandoned_frees_own_claims_after_restart(database: Database, clock: ManualClock) -> None:
    """Given its worker id, a restarted worker takes back its own live claims at once."""
    await add_all(database, clock, new_delivery("mine", clock.now()), new_delivery("theirs", clock.now()))
    await claim(database, clock, "w1", limit=1)
    await claim(database, clock, "w2", limit=1)
    async with database.unit_of_work() as uow:
        released = await uow.repo(SqlDeliveryRepository).release_abandoned(clock.now(), worker_id="w1")
        await uow.commit()
    assert [d.dedupe_key for d in released] == ["mine"]


async def test_mark_outcomes_need_a_claim(database: Database, clock: ManualClock) -> None:
    """Retry, failure and expiry only apply to a claimed row (compare-and-set on status)."""
    await add_all(database, clock, new_delivery("k1", clock.now()))
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlDeliveryRepository)
        d = await repo.get_by_key("k1")
        assert d is not None
        assert await repo.mark_failed(d.id, "x") is False
        assert await repo.mark_retry(d.id, "x", clock.now()) is False
        assert await repo.get(d.id) == d


async def test_list_filters(database: Database, clock: ManualClock) -> None:
    """list filters by target, kind and status together."""
    now = clock.now()
    await add_all(
        database,
        clock,
        new_delivery("a", now, kind="reminder", target="session:1"),
        new_delivery("b", now, kind="dm", target="session:1"),
        new_delivery("c", now, kind="reminder", target="session:2"),
    )
    assert [d.dedupe_key for d in await listed(database, target="session:1")] == ["a", "b"]
    assert [d.dedupe_key for d in await listed(database, kind="reminder")] == ["a", "c"]
    assert [d.dedupe_key for d in await listed(database, kind="reminder", target="session:2")] == ["c"]
    assert len(await listed(database, status=DeliveryStatus.PENDING)) == 3
    assert await listed(database, status=[DeliveryStatus.SENT, DeliveryStatus.FAILED]) == []


async def test_claim_by_kind_and_next_due_without_kinds(database: Database, clock: ManualClock) -> None:
    """kinds claims only those kinds, exclude_kinds leaves them pending; next_due_at can skip kinds too."""
    now = clock.now()
    await add_all(
        database,
        clock,
        new_delivery("dm1", now - timedelta(seconds=2), kind="dm"),
        new_delivery("dm2", now - timedelta(seconds=1), kind="dm"),
        new_delivery("p1", now, kind="post"),
    )
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlDeliveryRepository)
        posts = await repo.claim_due(now, limit=50, lease=LEASE, worker_id="w1", exclude_kinds={"dm"})
        dms = await repo.claim_due(now, limit=1, lease=LEASE, worker_id="w1", kinds={"dm"})
        none = await repo.claim_due(now, limit=50, lease=LEASE, worker_id="w1", kinds=set())
        assert await repo.next_due_at() == now - timedelta(seconds=1)
        assert await repo.next_due_at(exclude_kinds={"dm"}) is None
        await uow.commit()
    assert [d.dedupe_key for d in posts] == ["p1"]
    assert [d.dedupe_key for d in dms] == ["dm1"]
    assert none == []
