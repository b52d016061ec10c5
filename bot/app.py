"""Composition root: build the database, the core services and the ports once, in one place."""

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from bot.config import Settings
from bot.core.actors import Actor
from bot.core.clock import Clock, SystemClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.leadership import AdvisoryLockLeader
from bot.core.delivery.limiter import RateLimiter
from bot.core.evaluation import deliveries as evaluation_deliveries
from bot.core.evaluation.service import EvaluationService
from bot.core.flash import deliveries as flash_deliveries
from bot.core.flash.planning import IssuePlanner
from bot.core.flash.service import FlashService
from bot.core.groups import deliveries as group_deliveries
from bot.core.groups.connections import ConnectionService
from bot.core.groups.deliveries import GroupsFollower
from bot.core.groups.service import GroupService
from bot.core.interviews import deliveries as interview_deliveries
from bot.core.interviews.service import InterviewService
from bot.core.looplag import LoopLagWatch
from bot.core.participants import deliveries as participant_deliveries
from bot.core.participants.service import ParticipantService
from bot.core.ports import EventMirror, MemberDirectory, PermanentSendError, RoleMembers, Sender, ThreadInfo, Threads
from bot.core.programme import deliveries as programme_deliveries
from bot.core.programme.domain import ChannelDirectory
from bot.core.programme.permissions import is_facilitator
from bot.core.programme.service import ProgrammeService
from bot.core.questionnaires import deliveries as questionnaire_deliveries
from bot.core.questionnaires.service import QuestionnaireService
from bot.core.reflections import deliveries as reflection_deliveries
from bot.core.reflections.attendance import AttendanceService
from bot.core.reflections.follower import ReflectionPollFollower
from bot.core.reflections.service import ReflectionService
from bot.core.storage.database import Database
from bot.core.stories import deliveries as story_deliveries
from bot.core.stories.service import StoryService

log = logging.getLogger(__name__)


def worker_id(database: Database) -> str:
    """Name this process for delivery leases: stable on SQLite (one process), unique on PostgreSQL."""
    explicit = os.environ.get("BLETHER_WORKER_ID", "").strip()
    if explicit:
        return explicit[:64]
    if database.is_sqlite:
        return "sqlite-single-process"
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass
class Services:
    """Everything the adapters call into; built once per process."""

    settings: Settings
    database: Database
    clock: Clock
    sender: Sender
    mirror: EventMirror | None  # None: sessions are not mirrored as scheduled events (the command line)
    limiter: RateLimiter
    dispatcher: Dispatcher
    programme: ProgrammeService
    participants: ParticipantService
    reflections: ReflectionService
    attendance: AttendanceService
    flash: FlashService
    evaluation: EvaluationService
    groups: GroupService
    connections: ConnectionService
    questionnaires: QuestionnaireService
    interviews: InterviewService
    stories: StoryService
    leader: AdvisoryLockLeader | None = field(default=None)
    loop_lag: LoopLagWatch = field(default_factory=LoopLagWatch)

    async def start(self) -> None:
        """Start background work: watch the event loop, reconcile and run the delivery dispatcher.

        Every server with a programme gets its daily retention sweep, also one the bot can no longer reach:
        its data is still held here.
        """
        self.loop_lag.start()
        await self.dispatcher.start()
        await self.evaluation.ensure_all_retention_sweeps()

    async def prepare_guild(self, guild_id: int) -> None:
        """Bring a server's scheduled work up to date when the bot (re)connects to it."""
        await self.reflections.ensure_polls(guild_id)
        await self.evaluation.ensure_retention_sweep(guild_id)
        await self.programme.mirror_missing(guild_id)

    async def stop(self) -> None:
        """Stop background work gracefully (in-flight deliveries finish or are released)."""
        await self.dispatcher.stop()
        if self.leader is not None:
            await self.leader.close()
        await self.loop_lag.stop()

    async def is_facilitator(self, actor: Actor) -> bool:
        """Tell whether the actor may use facilitator commands in their server."""
        return is_facilitator(await self.programme.get_programme(actor.guild_id), actor)


class OfflineThreads:
    """Threads when no platform is connected (the command line): every call is refused."""

    async def _refuse(self) -> None:
        raise PermanentSendError("Group threads are made by the running bot, not from the command line.")

    async def create_private_thread(self, channel_id: int, name: str, *, auto_archive_minutes: int = 10080) -> int:
        """Refuse."""
        await self._refuse()
        return 0

    async def find_thread(self, guild_id: int, channel_id: int, name: str) -> ThreadInfo | None:
        """Refuse."""
        await self._refuse()
        return None

    async def add_member(self, thread_id: int, user_id: int) -> None:
        """Refuse."""
        await self._refuse()

    async def remove_member(self, thread_id: int, user_id: int) -> None:
        """Refuse."""
        await self._refuse()

    async def archive(self, thread_id: int, *, locked: bool = True) -> None:
        """Refuse."""
        await self._refuse()

    async def voice_room(self, guild_id: int, category_id: int, name: str) -> int:
        """Refuse."""
        await self._refuse()
        return 0

    async def delete_channel(self, channel_id: int) -> None:
        """Refuse."""
        await self._refuse()


def build_services(
    settings: Settings,
    database: Database,
    *,
    sender: Sender,
    mirror: EventMirror | None,
    channels: ChannelDirectory | None = None,
    members: MemberDirectory | None = None,
    clock: Clock | None = None,
    limiter: RateLimiter | None = None,
    threads: Threads | None = None,
    roles: RoleMembers | None = None,
) -> Services:
    """Wire the core services to a database, a clock and a platform's ports.

    members tells whether someone is still in a server (buttons pressed in DMs); without it the
    participants' active flag decides.
    """
    clock = clock or SystemClock()
    limiter = limiter or RateLimiter()
    # On PostgreSQL several processes may run; one dispatcher leads (advisory lock), the others
    # check every 10 s so one takes over quickly. SQLite is single-process (a lock file enforces it).
    leader = AdvisoryLockLeader(database.url) if database.is_postgresql else None
    dispatcher = Dispatcher(
        database,
        clock,
        worker_id=worker_id(database),
        limiter=limiter,
        leader=leader,
        poll_interval=timedelta(seconds=10) if leader is not None else timedelta(minutes=1),
    )
    reflections = ReflectionService(database, clock, sender=sender, dispatcher=dispatcher, members=members)
    programme = ProgrammeService(
        database.unit_of_work,
        dispatcher,
        clock,
        mirror=mirror,
        channels=channels,
        default_timezone=settings.timezone,
        followers=[ReflectionPollFollower(reflections.scheduler, clock), GroupsFollower(clock, dispatcher)],
        members=members,
    )
    participants = ParticipantService(database, clock)
    planner = IssuePlanner(
        programmes=programme, reflections=reflections, participants=participants, deliveries=dispatcher
    )
    flash = FlashService(database, clock, planner)
    evaluation = EvaluationService(database, clock, flash=flash, dispatcher=dispatcher, export_key=settings.export_key)
    # Each feature registers its delivery kinds in one place: its deliveries module.
    programme_deliveries.register(dispatcher, database=database, clock=clock, sender=sender)
    reflection_deliveries.register(
        dispatcher, database=database, clock=clock, sender=sender, scheduler=reflections.scheduler
    )
    participant_deliveries.register(dispatcher)
    flash_deliveries.register(dispatcher, database=database, clock=clock, sender=sender, planner=planner)
    evaluation_deliveries.register(dispatcher, database=database, clock=clock)
    groups = GroupService(database, clock, dispatcher, roles)
    connections = ConnectionService(database, clock, dispatcher)
    group_deliveries.register(
        dispatcher,
        database=database,
        clock=clock,
        sender=sender,
        threads=threads or OfflineThreads(),
        service=groups,
        connections=connections,
    )
    questionnaire_deliveries.register(dispatcher, database=database, clock=clock, sender=sender)
    interview_deliveries.register(dispatcher, database=database, sender=sender)
    story_deliveries.register(dispatcher)
    return Services(
        settings=settings,
        database=database,
        clock=clock,
        sender=sender,
        mirror=mirror,
        limiter=limiter,
        dispatcher=dispatcher,
        programme=programme,
        participants=participants,
        reflections=reflections,
        attendance=AttendanceService(database, clock, members=members),
        flash=flash,
        evaluation=evaluation,
        groups=groups,
        connections=connections,
        questionnaires=QuestionnaireService(database, clock, dispatcher=dispatcher, consent=participants),
        interviews=InterviewService(database, clock, dispatcher=dispatcher),
        stories=StoryService(database, clock),
        leader=leader,
    )
