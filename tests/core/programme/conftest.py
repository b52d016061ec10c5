"""Fixtures for the programme feature: a real database and dispatcher, fake ports, a ready programme."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.programme import deliveries as programme_deliveries
from bot.core.programme.domain import ChannelKind, Programme, ProgrammeSettingsUpdate
from bot.core.programme.service import ProgrammeService
from bot.core.storage.database import Database
from tests.core.programme.fakes import FakeChannels, FakeEventMirror, FakeSender

GUILD = 1_000_000_000_000_001
ANNOUNCEMENTS = 2001
FACILITATOR_CHANNEL = 2002
REFLECTIONS = 2003
VOICE = 3001
STAGE = 3002
TEXT = 3003
FACILITATOR_ROLE = 4001
PARTICIPANT_ROLE = 4002

FACILITATOR = Actor(guild_id=GUILD, user_id=11, display_name="Fran", role_ids=frozenset({FACILITATOR_ROLE}))
PARTICIPANT = Actor(guild_id=GUILD, user_id=22, display_name="Pat", role_ids=frozenset({PARTICIPANT_ROLE}))
ADMIN = Actor(guild_id=GUILD, user_id=33, display_name="Ade", is_admin=True)


@pytest.fixture
def sender() -> FakeSender:
    """Return a fake platform sender."""
    return FakeSender()


@pytest.fixture
def mirror() -> FakeEventMirror:
    """Return a fake Scheduled Event mirror."""
    return FakeEventMirror()


@pytest.fixture
def channels() -> FakeChannels:
    """Return a channel directory with a voice, a stage and a text channel."""
    return FakeChannels({VOICE: ChannelKind.VOICE, STAGE: ChannelKind.STAGE, TEXT: ChannelKind.TEXT})


@pytest.fixture
async def dispatcher(database: Database, clock: ManualClock, sender: FakeSender) -> AsyncIterator[Dispatcher]:
    """Return a dispatcher (not started: tests call run_due) with the programme's handlers registered."""
    built = Dispatcher(database, clock, worker_id="test", poll_interval=None)
    programme_deliveries.register(built, database=database, clock=clock, sender=sender)
    yield built
    await built.stop(grace=1.0)


@pytest.fixture
def service(
    database: Database, dispatcher: Dispatcher, clock: ManualClock, mirror: FakeEventMirror, channels: FakeChannels
) -> ProgrammeService:
    """Return the service wired to the test database, dispatcher and fakes."""
    return ProgrammeService(database.unit_of_work, dispatcher, clock, mirror=mirror, channels=channels)


@pytest.fixture
async def programme(service: ProgrammeService) -> Programme:
    """Set up a programme in Europe/London with channels, roles and reminders 7d,1d,1h."""
    result = await service.setup(
        ADMIN,
        ProgrammeSettingsUpdate(
            timezone="Europe/London",
            announcements_channel_id=ANNOUNCEMENTS,
            reflections_channel_id=REFLECTIONS,
            facilitator_channel_id=FACILITATOR_CHANNEL,
            facilitator_role_id=FACILITATOR_ROLE,
            participant_role_id=PARTICIPANT_ROLE,
            reminder_offsets="7d,1d,1h",
        ),
    )
    return result.programme


async def deliveries(database: Database, **filters: Any) -> list[Delivery]:
    """Return deliveries matching filters (see SqlDeliveryRepository.list)."""
    async with database.unit_of_work() as uow:
        return await uow.repo(SqlDeliveryRepository).list(**filters)


async def pending(database: Database, kind: str = "session_reminder", **filters: Any) -> list[Delivery]:
    """Return pending deliveries of a kind."""
    return await deliveries(database, kind=kind, status=DeliveryStatus.PENDING, **filters)
