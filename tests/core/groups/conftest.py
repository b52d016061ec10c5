"""Fixtures for small groups: a programme with a groups channel, a session, participants and fake threads."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.groups import deliveries as group_deliveries
from bot.core.groups.service import GroupService
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Location, NewSession, Programme, Session
from bot.core.programme.repository import SqlProgrammeRepository, SqlRsvpRepository, SqlSessionRepository
from bot.core.storage.database import Database
from tests.core.fakes import FakeRoles, FakeSender, FakeThreads

GUILD = 1001
GROUPS_CHANNEL = 2100
FACILITATOR_CHANNEL = 2002
COACH_ROLE = 5005
FACILITATOR = Actor(guild_id=GUILD, user_id=9, display_name="Fiona", can_manage_events=True)


def member(user_id: int, *, coach: bool = False) -> Actor:
    """Return an ordinary member (holding the peer coach role when coach)."""
    roles = frozenset({COACH_ROLE}) if coach else frozenset()
    return Actor(guild_id=GUILD, user_id=user_id, display_name=f"user{user_id}", role_ids=roles)


@pytest.fixture
def sender(clock: ManualClock) -> FakeSender:
    """Return a fake platform on the test clock."""
    return FakeSender(clock=clock)


@pytest.fixture
def threads() -> FakeThreads:
    """Return fake threads."""
    return FakeThreads()


@pytest.fixture
def roles() -> FakeRoles:
    """Return fake role members (nobody coaches unless a test says so)."""
    return FakeRoles()


@pytest.fixture
async def engine(database: Database, clock: ManualClock) -> AsyncIterator[Dispatcher]:
    """A real Dispatcher (no timer; tests call run_due)."""
    dispatcher = Dispatcher(database, clock, worker_id="test", poll_interval=None)
    yield dispatcher
    await dispatcher.stop(grace=1.0)


@pytest.fixture
def service(
    database: Database,
    clock: ManualClock,
    engine: Dispatcher,
    sender: FakeSender,
    threads: FakeThreads,
    roles: FakeRoles,
) -> GroupService:
    """The groups service with its deliveries registered on the real dispatcher."""
    groups = GroupService(database, clock, engine, roles)
    group_deliveries.register(engine, database=database, clock=clock, sender=sender, threads=threads, service=groups)
    return groups


@pytest.fixture
def participants(database: Database, clock: ManualClock) -> ParticipantService:
    """Return the participant service."""
    return ParticipantService(database, clock)


@pytest.fixture
async def programme(database: Database, clock: ManualClock) -> Programme:
    """Create the programme with a groups channel, a facilitator channel and a peer coach role."""
    async with database.unit_of_work() as uow:
        created = await uow.repo(SqlProgrammeRepository).create(
            Programme(
                id=0,
                guild_id=GUILD,
                groups_channel_id=GROUPS_CHANNEL,
                facilitator_channel_id=FACILITATOR_CHANNEL,
                peer_coach_role_id=COACH_ROLE,
            ),
            now=clock.now(),
        )
        await uow.commit()
    return created


async def add_session(database: Database, clock: ManualClock, number: int = 1, *, days: int = 1) -> Session:
    """Store a session starting in `days` days at 18:00 UTC."""
    async with database.unit_of_work() as uow:
        session = await uow.repo(SqlSessionRepository).add(
            NewSession(
                guild_id=GUILD,
                number=number,
                title=f"Session title {number}",
                description="Working across communities",
                speaker="",
                starts_at=clock.now().replace(hour=18, minute=0) + timedelta(days=days),
                duration_minutes=90,
                location=Location.none(),
            ),
            now=clock.now(),
        )
        await uow.commit()
    return session


@pytest.fixture
async def session(database: Database, clock: ManualClock, programme: Programme) -> Session:
    """Session 1, tomorrow."""
    return await add_session(database, clock)


async def join_people(participants: ParticipantService, people: dict[int, str | None]) -> None:
    """Register people with their community (None for not said)."""
    for user_id, community in people.items():
        await participants.join(member(user_id), community=community)


async def rsvp(database: Database, clock: ManualClock, session: Session, *user_ids: int) -> None:
    """Say "I'll be there" for people."""
    async with database.unit_of_work() as uow:
        for user_id in user_ids:
            await uow.repo(SqlRsvpRepository).set(GUILD, session.id, user_id, True, now=clock.now())
        await uow.commit()
