"""Fixtures for the delivery engine: a fake sender, a dispatcher factory and a channel-post handler."""

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.clock import Clock, ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import Delivery, NewDelivery
from bot.core.delivery.idempotent import post_once
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.messages import OutboundMessage
from bot.core.storage.database import Database
from tests.core.fakes import FakeSender

GUILD = 111
CHANNEL = 222

DispatcherFactory = Callable[..., Dispatcher]


def new_delivery(
    key: str,
    due_at: datetime,
    *,
    kind: str = "post",
    guild_id: int = GUILD,
    target: str | None = None,
    window: timedelta = timedelta(hours=1),
    payload: dict[str, Any] | None = None,
) -> NewDelivery:
    """Build a channel post delivery due at due_at and useful for window after it."""
    return NewDelivery(
        guild_id=guild_id,
        kind=kind,
        target=target or f"test:{key}",
        dedupe_key=key,
        due_at=due_at,
        deliver_before=due_at + window,
        payload=payload if payload is not None else {"channel_id": CHANNEL, "text": f"hello {key}"},
    )


async def add_all(database: Database, clock: Clock, *items: NewDelivery) -> list[Delivery]:
    """Schedule deliveries in one committed unit of work."""
    async with database.unit_of_work() as uow:
        repo = uow.repo(SqlDeliveryRepository)
        added = [await repo.add(item, now=clock.now()) for item in items]
        await uow.commit()
    return added


async def fetch(database: Database, key: str) -> Delivery:
    """Return the stored delivery with this key."""
    async with database.unit_of_work() as uow:
        found = await uow.repo(SqlDeliveryRepository).get_by_key(key)
    assert found is not None, key
    return found


async def listed(database: Database, **filters: Any) -> list[Delivery]:
    """Return deliveries matching filters."""
    async with database.unit_of_work() as uow:
        return await uow.repo(SqlDeliveryRepository).list(**filters)


def channel_handler(sender: FakeSender) -> Callable[[Delivery], Any]:
    """Return a handler that posts payload["text"] to payload["channel_id"] at most once."""

    async def handle(delivery: Delivery) -> int:
        message = OutboundMessage(content=delivery.payload["text"])
        return await post_once(sender, delivery.payload["channel_id"], message, delivery)

    return handle


@pytest.fixture
def sender(clock: ManualClock) -> FakeSender:
    """Return a fake platform that dedupes nonces within four minutes of the test clock."""
    return FakeSender(clock=clock)


@pytest.fixture
async def make_dispatcher(
    database: Database, clock: ManualClock, sender: FakeSender
) -> AsyncIterator[DispatcherFactory]:
    """Build dispatchers on the test database and clock, with "post" handled by channel_handler."""
    built: list[Dispatcher] = []

    def make(worker_id: str = "w1", *, handlers: dict[str, Any] | None = None, **kwargs: Any) -> Dispatcher:
        kwargs.setdefault("poll_interval", None)
        dispatcher = Dispatcher(database, kwargs.pop("clock", clock), worker_id=worker_id, **kwargs)
        for kind, handler in (handlers if handlers is not None else {"post": channel_handler(sender)}).items():
            dispatcher.register(kind, handler)
        built.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in built:
        await dispatcher.stop(grace=1.0)
