"""Fixtures for reflections and attendance: a programme, sessions, participants and a fake platform."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.delivery.domain import Delivery, DeliveryStatus, NewDelivery
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Location, LocationKind, NewSession, Programme, Session
from bot.core.programme.repository import (
    SqlProgrammeRepository,
    SqlReminderPreferenceRepository,
    SqlSessionRepository,
)
from bot.core.reflections.attendance import AttendanceService
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database, UnitOfWork
from tests.core.fakes import FakeSender

GUILD = 1001
REFLECTIONS_CHANNEL = 2001
FACILITATOR_CHANNEL = 2002
VOICE_CHANNEL = 3001
FACILITATOR = Actor(guild_id=GUILD, user_id=9, display_name="Fiona", can_manage_events=True)


def member(user_id: int, guild_id: int = GUILD) -> Actor:
    """Return an ordinary member of the test server."""
    return Actor(guild_id=guild_id, user_id=user_id, display_name=f"user{user_id}")


@dataclass
class FakeDispatcher:
    """Schedules into the real outbox like the Dispatcher, and records wake-ups."""

    clock: ManualClock
    woken: list[datetime | None] = field(default_factory=list)
    registered: dict[str, Any] = field(default_factory=dict)
    dm_kinds: set[str] = field(default_factory=set)

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> Delivery:
        """Add the delivery in the caller's unit of work."""
        return await uow.repo(SqlDeliveryRepository).add(new, now=self.clock.now())

    def wake(self, at: datetime | None = None) -> None:
        """Remember the wake-up."""
        self.woken.append(at)

    def register(self, kind: str, handler: Any, *, dm: bool = False) -> None:
        """Remember the handler of a kind (and whether it runs in the DM lane)."""
        self.registered[kind] = handler
        if dm:
            self.dm_kinds.add(kind)


@pytest.fixture
def sender(clock: ManualClock) -> FakeSender:
    """Return a fake platform on the test clock."""
    return FakeSender(clock=clock)


@pytest.fixture
def dispatcher(clock: ManualClock) -> FakeDispatcher:
    """Return a dispatcher stand-in that writes to the real outbox."""
    return FakeDispatcher(clock)


@pytest.fixture
def participants(database: Database, clock: ManualClock) -> ParticipantService:
    """Return the participant service on the test database."""
    return ParticipantService(database, clock)


@pytest.fixture
def reflections(
    database: Database, clock: ManualClock, sender: FakeSender, dispatcher: FakeDispatcher
) -> ReflectionService:
    """Return the reflection service on the test database."""
    return ReflectionService(database, clock, sender=sender, dispatcher=dispatcher)


@pytest.fixture
def attendance(database: Database, clock: ManualClock) -> AttendanceService:
    """Return the attendance service on the test database."""
    return AttendanceService(database, clock)


@pytest.fixture
async def programme(database: Database, clock: ManualClock) -> Programme:
    """Create the test server's programme with reflections and facilitator channels."""
    async with database.unit_of_work() as uow:
        created = await uow.repo(SqlProgrammeRepository).create(
            Programme(
                id=0,
                guild_id=GUILD,
                reflections_channel_id=REFLECTIONS_CHANNEL,
                facilitator_channel_id=FACILITATOR_CHANNEL,
            ),
            now=clock.now(),
        )
        await uow.commit()
    return created


async def add_session(
    database: Database,
    clock: ManualClock,
    *,
    number: int = 1,
    starts_at: datetime | None = None,
    duration_minutes: int = 90,
    voice: bool = False,
    guild_id: int = GUILD,
) -> Session:
    """Store a session (tomorrow at 18:00 UTC unless told otherwise)."""
    start = starts_at or clock.now().replace(hour=18, minute=0) + timedelta(days=1)
    location = Location(LocationKind.VOICE, channel_id=VOICE_CHANNEL) if voice else Location.none()
    async with database.unit_of_work() as uow:
        session = await uow.repo(SqlSessionRepository).add(
            NewSession(
                guild_id=guild_id,
                number=number,
                title=f"Session title {number}",
                description="",
                speaker="",
                starts_at=start,
                duration_minutes=duration_minutes,
                location=location,
            ),
            now=clock.now(),
        )
        await uow.commit()
    return session


async def move_session(database: Database, clock: ManualClock, session: Session, starts_at: datetime) -> Session:
    """Move a session to a new start time (as /session edit would)."""
    async with database.unit_of_work() as uow:
        moved = await uow.repo(SqlSessionRepository).update(session.id, {"starts_at": starts_at}, now=clock.now())
        await uow.commit()
    return moved


async def join(participants: ParticipantService, *user_ids: int, quote: bool | None = None) -> None:
    """Register people; with quote set, also record their consent (evaluation yes, interview no)."""
    for user_id in user_ids:
        result = await participants.join(member(user_id))
        if quote is not None:
            assert result.consent_prompt is not None
            await participants.record_consent(
                member(user_id),
                {ConsentPurpose.EVALUATION: True, ConsentPurpose.QUOTE: quote, ConsentPurpose.INTERVIEW: False},
                text_version=result.consent_prompt.version,
            )


async def opt_in_dms(database: Database, clock: ManualClock, *user_ids: int) -> None:
    """Turn on DM reminders for people."""
    async with database.unit_of_work() as uow:
        for user_id in user_ids:
            await uow.repo(SqlReminderPreferenceRepository).set_dm(GUILD, user_id, True, now=clock.now())
        await uow.commit()


async def deliveries(database: Database, **filters: Any) -> list[Delivery]:
    """Return deliveries matching filters."""
    async with database.unit_of_work() as uow:
        return await uow.repo(SqlDeliveryRepository).list(**filters)


async def pending(database: Database, kinds: Iterable[str] | None = None, **filters: Any) -> list[Delivery]:
    """Return pending deliveries (of the given kinds)."""
    rows = await deliveries(database, status=DeliveryStatus.PENDING, **filters)
    return [d for d in rows if kinds is None or d.kind in set(kinds)]


def answers(rating: str = "4", worked: str = "The small groups", better: str = "", take: str = "", quote: bool = False):
    """Return modal values for the appreciative set."""
    return {"q1": rating, "q2": worked, "q3": better, "q4": take, "q5": quote}
