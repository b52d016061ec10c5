"""Fixtures for the Flash Report: fakes of the services it reads, the real dispatcher and a fake Discord."""

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.flash import deliveries as flash_deliveries
from bot.core.flash.content import Recap
from bot.core.flash.deliveries import FlashDeliveries
from bot.core.flash.planning import IssuePlanner
from bot.core.flash.service import FlashService
from bot.core.messages import OutboundMessage, SentMessage
from bot.core.programme.domain import LocationKind, Programme, Session, SessionStatus
from bot.core.programme.errors import SessionNotFoundError
from bot.core.reflections.domain import SessionRecap
from bot.core.storage.database import Database
from bot.core.text import one_line
from tests.core.fakes import FakeSender

GUILD = 4242
FLASH_CHANNEL = 500
FACILITATOR_CHANNEL = 600
FACILITATOR_ROLE = 700

FACILITATOR = Actor(guild_id=GUILD, user_id=1, display_name="Fiona", role_ids=frozenset({FACILITATOR_ROLE}))
PARTICIPANT = Actor(guild_id=GUILD, user_id=2, display_name="Pat")
OTHER = Actor(guild_id=GUILD, user_id=3, display_name="Morag")


def make_session(number: int, title: str, starts_at: datetime, *, url: str | None = None) -> Session:
    """Build a scheduled session of 90 minutes."""
    return Session(
        id=number * 10,
        guild_id=GUILD,
        number=number,
        title=title,
        description="",
        speaker="",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
        duration_minutes=90,
        location_url=url,
        location_channel_id=None,
        location_kind=LocationKind.URL if url else LocationKind.NONE,
        status=SessionStatus.SCHEDULED,
        sequence=0,
        event_id=None,
        cancel_reason=None,
        created_at=starts_at - timedelta(days=30),
        updated_at=starts_at - timedelta(days=30),
    )


@dataclass
class CrashableSender(FakeSender):
    """The fake platform, which can accept the Nth post and then lose the connection before answering."""

    crash_on: int | None = None
    seen: int = 0

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post; on the crash_on-th post, create the message and then raise as a dropped connection would."""
        sent = await super().post(channel_id, message, nonce=nonce)
        self.seen += 1
        if self.seen == self.crash_on:
            raise ConnectionResetError("connection lost after the message was created")
        return sent


@dataclass
class FakeProgrammes:
    """The programme service's reading side: the programme and its sessions, held in memory."""

    programme_value: Programme | None
    sessions: list[Session] = field(default_factory=list)

    async def get_programme(self, guild_id: int) -> Programme | None:
        """Return the programme when it is this guild's."""
        value = self.programme_value
        return value if value is not None and value.guild_id == guild_id else None

    async def list_sessions(self, guild_id: int, *, include_cancelled: bool = True) -> list[Session]:
        """Return the guild's sessions in start order (cancelled ones only when asked)."""
        found = [s for s in self.sessions if s.guild_id == guild_id and (include_cancelled or not s.is_cancelled)]
        return sorted(found, key=lambda s: s.starts_at)


@dataclass
class FakeRecaps:
    """The reflections service's session recaps, given as the Flash Report's Recap by session id."""

    recaps: dict[int, Recap] = field(default_factory=dict)

    async def session_recap(self, guild_id: int, session_id: int) -> SessionRecap:
        """Return the stored recap as the reflections feature shows it (quotes quoted and made safe)."""
        found = self.recaps.get(session_id)
        if found is None:
            raise SessionNotFoundError()
        return SessionRecap(
            session_id=session_id,
            attendance_count=found.attendance,
            reflections_count=found.reflections,
            average_rating=found.average_rating,
            quotes=tuple(f"“{one_line(q.text, 10**6)}”" for q in found.quotes),
            session_number=found.session_number or 0,
            session_title=found.session_title,
            rating_count=found.rating_count,
            quoted_user_ids=tuple(q.author_id or 0 for q in found.quotes),
        )


@dataclass
class FakeParticipants:
    """The participants service's reading side: who consents to what, when people joined, who left."""

    by_purpose: dict[str, set[int]] = field(default_factory=dict)
    joined: list[datetime] = field(default_factory=list)
    left: set[int] = field(default_factory=set)

    async def consenting_users(self, guild_id: int, purpose: str) -> Collection[int]:
        """Return the consenting user ids."""
        return set(self.by_purpose.get(purpose, set()))

    async def count_joined(self, guild_id: int, since: datetime | None, until: datetime) -> int:
        """Count joins in (since, until]."""
        return sum(1 for j in self.joined if (since is None or j > since) and j <= until)

    async def get_participant(self, guild_id: int, user_id: int) -> SimpleNamespace | None:
        """Return a participant record marked inactive for those who left (nobody else is known)."""
        return SimpleNamespace(active=False) if user_id in self.left else None


@dataclass
class Flash:
    """Everything a Flash Report test needs, wired like the composition root would."""

    service: FlashService
    deliveries: FlashDeliveries
    dispatcher: Dispatcher
    sender: CrashableSender
    clock: ManualClock
    database: Database
    programmes: FakeProgrammes
    recaps: FakeRecaps
    participants: FakeParticipants

    @property
    def consent(self) -> FakeParticipants:
        """Return the participants fake, which also answers who consents to what."""
        return self.participants

    @property
    def membership(self) -> FakeParticipants:
        """Return the participants fake, which also knows who left the server."""
        return self.participants

    async def run(self) -> int:
        """Run whatever deliveries are due now."""
        return await self.dispatcher.run_due()

    async def run_until(self, when: datetime, step: timedelta = timedelta(hours=1)) -> None:
        """Move the clock forward to when, running due deliveries along the way."""
        while self.clock.now() < when:
            self.clock.set(min(when, self.clock.now() + step))
            await self.run()

    def posted_to(self, channel_id: int) -> list[OutboundMessage]:
        """Return the messages posted to a channel, in order."""
        return [p.message for p in self.sender.posts if p.channel_id == channel_id]


def programme() -> Programme:
    """Return the test programme (Europe/London, both channels, a facilitator role)."""
    return Programme(
        id=1,
        guild_id=GUILD,
        timezone="Europe/London",
        flash_reports_channel_id=FLASH_CHANNEL,
        facilitator_channel_id=FACILITATOR_CHANNEL,
        facilitator_role_id=FACILITATOR_ROLE,
    )


@pytest.fixture
async def flash(database: Database, clock: ManualClock) -> AsyncIterator[Flash]:
    """Build the Flash Report service, its delivery handlers and a real dispatcher on the test database."""
    sender = CrashableSender(clock=clock)
    programmes = FakeProgrammes(programme())
    recaps, participants = FakeRecaps(), FakeParticipants()
    dispatcher = Dispatcher(database, clock, worker_id="flash-test", poll_interval=None)
    planner = IssuePlanner(
        programmes=programmes,  # type: ignore[arg-type]
        reflections=recaps,  # type: ignore[arg-type]
        participants=participants,  # type: ignore[arg-type]
        deliveries=dispatcher,
    )
    deliveries = flash_deliveries.register(dispatcher, database=database, clock=clock, sender=sender, planner=planner)
    service = FlashService(database, clock, planner)
    yield Flash(service, deliveries, dispatcher, sender, clock, database, programmes, recaps, participants)
    await dispatcher.stop(grace=1.0)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
