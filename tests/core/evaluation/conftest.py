"""A synthetic cohort built through the real services: programme, sessions, participants, consent,
attendance, reflections, Flash Report items and one published issue.

    12 participants in 4 communities: Leith (5, large urban), Isle of Skye (3, remote rural),
    Crieff (2, accessible small town), Tain (2: one remote small town, one who did not say)
    5 sessions held (attendance 10, 8, 7, 9, 6 → median 8), one cancelled, one still to come
    30 reflections; DECLINER (user 12) said no to the evaluation and gives the odd ratings 1 and 5
    a resource by user 1, a story by user 3 (consenting) and a story by the decliner; Flash Report #1 published
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.evaluation import deliveries as evaluation_deliveries
from bot.core.evaluation.retention import RetentionSweeper
from bot.core.evaluation.service import EvaluationService
from bot.core.flash import deliveries as flash_deliveries
from bot.core.flash.planning import IssuePlanner
from bot.core.flash.service import FlashService
from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.service import ParticipantService
from bot.core.programme import deliveries as programme_deliveries
from bot.core.programme.domain import ProgrammeSettingsUpdate, Session, SessionDraft
from bot.core.programme.service import ProgrammeService
from bot.core.reflections import deliveries as reflection_deliveries
from bot.core.reflections.attendance import AttendanceService
from bot.core.reflections.follower import ReflectionPollFollower
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database
from tests.core.fakes import FakeSender
from tests.core.programme.fakes import FakeEventMirror

GUILD = 1_234_567_890_123_456_789
FACILITATOR_ROLE = 1_111_111_111_111_111_111
CHANNELS = {
    "announcements": 2_000_000_000_000_000_001,
    "reflections": 2_000_000_000_000_000_002,
    "flash": 2_000_000_000_000_000_003,
    "facilitators": 2_000_000_000_000_000_004,
}
EXPORT_KEY = "k" * 16 + "0123456789abcdef0123456789abcdef"
OTHER_KEY = "another-export-key-ZYXWVUTSRQPONMLK-9876543210"
ADMIN = Actor(guild_id=GUILD, user_id=999_000_000_000_000_001, display_name="Operator Admin", is_admin=True)
FACILITATOR = Actor(
    guild_id=GUILD,
    user_id=999_000_000_000_000_002,
    display_name="Fiona Facilitator",
    role_ids=frozenset({FACILITATOR_ROLE}),
)


def uid(n: int) -> int:
    """Return the Discord-sized user id of participant n (1…12)."""
    return 700_000_000_000_000_000 + n


NAMES = {n: f"Person{n} Surname{n}" for n in range(1, 13)}
DECLINER = 12


def person(n: int) -> Actor:
    """Return participant n as an actor (with a display name that must never reach an export)."""
    return Actor(guild_id=GUILD, user_id=uid(n), display_name=NAMES[n])


PROFILES = {
    1: ("Leith", "large_urban", "volunteer"),
    2: ("Leith", "large_urban", "volunteer"),
    3: ("Leith", "large_urban", "volunteer"),
    4: ("Leith", "large_urban", "volunteer"),
    5: ("Leith", "large_urban", "community_leader"),
    6: ("Isle of Skye", "remote_rural", "volunteer"),
    7: ("Isle of Skye", "remote_rural", "community_leader"),
    8: ("Isle of Skye", "remote_rural", "practitioner"),
    9: ("Crieff", "accessible_small_town", "volunteer"),
    10: ("Crieff", "accessible_small_town", "practitioner"),
    11: ("Tain", "remote_small_town", "community_leader"),
    12: ("Tain", None, None),
}
QUOTE_CONSENT = {1, 2, 3}
STARTS = [
    datetime(2026, 2, 2, 18, 30, tzinfo=UTC),
    datetime(2026, 3, 2, 18, 30, tzinfo=UTC),
    datetime(2026, 4, 6, 17, 30, tzinfo=UTC),  # 18:30 BST
    datetime(2026, 5, 4, 17, 30, tzinfo=UTC),
    datetime(2026, 6, 1, 17, 30, tzinfo=UTC),
]
CANCELLED_START = datetime(2026, 7, 6, 17, 30, tzinfo=UTC)
FUTURE_START = datetime(2026, 9, 7, 17, 30, tzinfo=UTC)
REPORT_AT = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)

ATTENDANCE = {
    1: list(range(1, 11)),
    2: list(range(1, 9)),
    3: list(range(1, 8)),
    4: [1, 2, 3, 4, 5, 6, 9, 10, 11],
    5: [1, 2, 3, 4, 11, 12],
}
MEDIAN_ATTENDANCE = 8
RATINGS = {
    1: {1: 5, 2: 5, 3: 5, 4: 5, 5: 5, 6: 4, 7: 3, 12: 1},
    2: {1: 4, 2: 4, 3: 4, 4: 4, 5: 4, 6: 2},
    3: {1: 5, 2: 4, 3: 4, 4: 3, 5: 3},
    4: {1: 5, 2: 5, 3: 5, 4: 5, 5: 4, 6: 4, 7: 4},
    5: {1: 3, 2: 3, 3: 3, 12: 5},
}
QUOTE_TICKS = {(1, 1), (2, 2), (1, 4), (1, 12)}  # (session, person) who ticked "you may quote"
RESOURCE_URL = "https://example.org/compassion-toolkit"
STORY_TEXT = "Our village started a weekly cuppa for carers after session two."
DECLINER_STORY = "A story whose author did not agree to the evaluation."


def worked(session: int, n: int) -> str:
    """Return the text answer person n gives for session (unique, with no ids in it)."""
    return f"The small groups in session {session} helped, said participant {chr(64 + n)}."


@dataclass
class World:
    """The services and the cohort's handles."""

    database: Database
    clock: ManualClock
    dispatcher: Dispatcher
    sender: FakeSender
    programme: ProgrammeService
    participants: ParticipantService
    reflections: ReflectionService
    attendance: AttendanceService
    flash: FlashService
    evaluation: EvaluationService
    sweeper: RetentionSweeper
    sessions: list[Session] = field(default_factory=list)
    cancelled: Session | None = None
    future: Session | None = None

    def service(self, key: str = EXPORT_KEY) -> EvaluationService:
        """Return an evaluation service with another export key."""
        return EvaluationService(
            self.database, self.clock, flash=self.flash, dispatcher=self.dispatcher, export_key=key
        )


async def build_world(database: Database, clock: ManualClock) -> AsyncIterator[World]:
    """Wire the services as bot.app.build_services does (plus the evaluation)."""
    sender = FakeSender(clock=clock)
    dispatcher = Dispatcher(database, clock, worker_id="evaluation-test", poll_interval=None)
    programme_deliveries.register(dispatcher, database=database, clock=clock, sender=sender)
    reflections = ReflectionService(database, clock, sender=sender, dispatcher=dispatcher)
    reflection_deliveries.register(
        dispatcher, database=database, clock=clock, sender=sender, scheduler=reflections.scheduler
    )
    programme = ProgrammeService(
        database.unit_of_work,
        dispatcher,
        clock,
        mirror=FakeEventMirror(),
        followers=[ReflectionPollFollower(reflections.scheduler, clock)],
    )
    participants = ParticipantService(database, clock)
    attendance = AttendanceService(database, clock)
    planner = IssuePlanner(
        programmes=programme, reflections=reflections, participants=participants, deliveries=dispatcher
    )
    flash_deliveries.register(dispatcher, database=database, clock=clock, sender=sender, planner=planner)
    flash = FlashService(database, clock, planner)
    sweeper = evaluation_deliveries.register(dispatcher, database=database, clock=clock)
    evaluation = EvaluationService(database, clock, flash=flash, dispatcher=dispatcher, export_key=EXPORT_KEY)
    world = World(
        database,
        clock,
        dispatcher,
        sender,
        programme,
        participants,
        reflections,
        attendance,
        flash,
        evaluation,
        sweeper,
    )
    yield world
    await dispatcher.stop(grace=1.0)


async def populate(world: World) -> None:
    """Build the cohort through the services, ending at REPORT_AT."""
    w = world
    await w.programme.setup(
        ADMIN,
        ProgrammeSettingsUpdate(
            timezone="Europe/London",
            announcements_channel_id=CHANNELS["announcements"],
            reflections_channel_id=CHANNELS["reflections"],
            flash_reports_channel_id=CHANNELS["flash"],
            facilitator_channel_id=CHANNELS["facilitators"],
            facilitator_role_id=FACILITATOR_ROLE,
            reminder_offsets="none",
            retention_months=12,
        ),
    )
    for number, start in enumerate(STARTS, start=1):
        change = await w.programme.add_session(FACILITATOR, SessionDraft(number, f"Session theme {number}", start))
        w.sessions.append(change.session)
    w.cancelled = (
        await w.programme.add_session(FACILITATOR, SessionDraft(6, "Cancelled theme", CANCELLED_START))
    ).session
    w.future = (await w.programme.add_session(FACILITATOR, SessionDraft(7, "Future theme", FUTURE_START))).session

    for n, (community, area, role) in PROFILES.items():
        joined = await w.participants.join(person(n), community=community, area=area or "", role=role or "")
        assert joined.consent_prompt is not None
        await w.participants.record_consent(
            person(n),
            {
                ConsentPurpose.EVALUATION: n != DECLINER,
                ConsentPurpose.QUOTE: n in QUOTE_CONSENT or n == DECLINER,
                ConsentPurpose.INTERVIEW: n % 2 == 0,
            },
            text_version=joined.consent_prompt.version,
        )
    await w.programme.set_dm_reminders(GUILD, uid(1), True)
    await w.programme.rsvp(GUILD, w.future.id, uid(1))

    for number, session in enumerate(w.sessions, start=1):
        w.clock.set(session.starts_at + timedelta(minutes=30))
        for n in ATTENDANCE[number]:
            await w.attendance.check_in(person(n), session.id)
        w.clock.set(session.ends_at + timedelta(hours=1))
        for n, rating in RATINGS[number].items():
            answers = {"q1": str(rating), "q2": worked(number, n), "q3": "", "q4": "", "q5": (number, n) in QUOTE_TICKS}
            await w.reflections.submit_reflection(person(n), session.id, answers)
        if number == 2:
            await w.flash.share_resource(person(1), RESOURCE_URL, "Compassion toolkit", "Handy for our cafe", "toolkit")
            await w.flash.share_story(person(3), STORY_TEXT)
            await w.flash.share_story(person(DECLINER), DECLINER_STORY)
            await w.flash.publish_now(FACILITATOR)
            await w.dispatcher.run_due()
    await w.programme.cancel_session(FACILITATOR, w.cancelled.id, "Snow")
    w.clock.set(REPORT_AT)


@pytest.fixture
async def world(database: Database, clock: ManualClock) -> AsyncIterator[World]:
    """Return the wired services with the cohort in place, the clock at REPORT_AT."""
    async for built in build_world(database, clock):
        await populate(built)
        yield built
