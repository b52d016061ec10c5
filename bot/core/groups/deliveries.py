"""The groups feature's deliveries: kinds, targets, dedupe keys, and the handlers that make group threads.

Delivery kinds:

* ``group_thread`` — one per group, key ``group_thread:<group id>`` (a group id is never reused; every key is
  built by bot.core.delivery.keys), due when the groups are created. The handler makes the group's private thread
  in the groups channel, adds its members and coach, and posts the welcome (the session's theme and prompt).
  Creating a thread carries no nonce on Discord, so before creating one the handler looks for an existing thread
  with the group's name (which ends in ``g<group id>``): a crash between creating the thread and recording it
  never makes a second one. Adding members is idempotent; the welcome goes through post_once (nonce + marker).
* ``group_member`` — add or remove one person to or from a group's thread after a late join or a move;
  key ``group_member:<group id>:<user id>:<add|remove>:<unix time>``. It waits (retries) while the group's
  thread is still being made.
* ``group_archive`` — archive and lock a group's thread ``group_archive_hours`` after the session ends;
  key ``group_archive:<group id>`` (``…:dissolved`` when a facilitator dissolves the groups).
* ``group_nudge`` — a peer coach's nudge posted in their group's thread; key
  ``group_nudge:<group id>:<local YYYY-MM-DD>``, so one per group per day.
* ``groups_auto`` — make and create a session's groups ``groups_before_minutes`` before it starts; key
  ``groups_auto:<session id>:<unix time>``, planned by GroupsFollower whenever a session is saved.

Connections (bot.core.groups.connections): ``connect_round`` (key ``connect_round:<guild>:<time>``) pairs people
and plans the next round; ``connect_thread`` (``connect_thread:<connection id>``) makes the introduction's
private thread the same way as a group's (found again by its name ``… · c<id>`` after a crash) and posts the
conversation starter; ``connect_ask`` (``connect_ask:<connection id>``) asks "Did you meet?" in it a week later;
``connect_paused`` tells someone (DM) that connections paused after two ignored introductions.

Targets: ``groups:session:<id>`` (threads, members, archives; cancelled when the groups are dissolved),
``groups:dissolved:<id>`` (archiving dissolved groups' threads), ``groups:auto:<id>``.
"""

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliverySkipped, NewDelivery
from bot.core.delivery.idempotent import dm_once, post_once
from bot.core.delivery.keys import delivery_key, key_time
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.errors import DomainError
from bot.core.groups import render
from bot.core.groups.domain import Connection, Group
from bot.core.groups.errors import GroupsChannelMissingError
from bot.core.groups.repository import SqlConnectionRepository, SqlGroupRepository
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.ports import PermanentSendError, Sender, Threads, TransientSendError
from bot.core.programme.domain import LocationKind, Programme, Session
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.storage.database import Database, UnitOfWork

if TYPE_CHECKING:
    from bot.core.groups.connections import ConnectionService
    from bot.core.groups.service import GroupService

log = logging.getLogger(__name__)

GROUP_THREAD = "group_thread"
GROUP_MEMBER = "group_member"
GROUP_ARCHIVE = "group_archive"
GROUP_NUDGE = "group_nudge"
GROUPS_AUTO = "groups_auto"
CONNECT_ROUND = "connect_round"
CONNECT_THREAD = "connect_thread"
CONNECT_ASK = "connect_ask"
CONNECT_PAUSED = "connect_paused"
ARCHIVE_GRACE = timedelta(days=3)


def groups_target(session_id: int) -> str:
    """Return the target of a session's group deliveries (cancelled together when groups are dissolved)."""
    return f"groups:session:{session_id}"


def auto_target(session_id: int) -> str:
    """Return the target of a session's automatic groups."""
    return f"groups:auto:{session_id}"


def thread_key(group_id: int) -> str:
    """Return the dedupe key of a group's thread."""
    return delivery_key(GROUP_THREAD, group_id)


def _until(session: Session, programme: Programme) -> datetime:
    return session.ends_at + timedelta(hours=programme.group_archive_hours)


def thread_delivery(session: Session, group: Group, programme: Programme, now: datetime) -> NewDelivery:
    """Return the delivery that makes a group's thread (useful until its threads are archived)."""
    return NewDelivery(
        guild_id=group.guild_id,
        kind=GROUP_THREAD,
        target=groups_target(session.id),
        dedupe_key=thread_key(group.id),
        due_at=now,
        deliver_before=max(_until(session, programme), now + timedelta(hours=1)),
        payload={"group_id": group.id, "summary": f"thread of group {group.number} of session {session.number}"},
    )


def archive_delivery(session: Session, group: Group, programme: Programme) -> NewDelivery:
    """Return the delivery that archives a group's thread group_archive_hours after the session."""
    due = _until(session, programme)
    return NewDelivery(
        guild_id=group.guild_id,
        kind=GROUP_ARCHIVE,
        target=groups_target(session.id),
        dedupe_key=delivery_key(GROUP_ARCHIVE, group.id),
        due_at=due,
        deliver_before=due + ARCHIVE_GRACE,
        payload={"group_id": group.id, "summary": f"archiving group {group.number}'s thread"},
    )


def dissolved_archive_delivery(group: Group, now: datetime) -> NewDelivery:
    """Return the delivery that archives a dissolved group's thread now."""
    return NewDelivery(
        guild_id=group.guild_id,
        kind=GROUP_ARCHIVE,
        target=f"groups:dissolved:{group.session_id}",
        dedupe_key=delivery_key(GROUP_ARCHIVE, group.id, "dissolved"),
        due_at=now,
        deliver_before=now + ARCHIVE_GRACE,
        payload={
            "thread_id": group.thread_id,
            "voice_channel_id": group.voice_channel_id,
            "summary": f"archiving dissolved group {group.number}'s thread",
        },
    )


def member_delivery(group: Group, user_id: int, action: str, now: datetime) -> NewDelivery:
    """Return the delivery that adds someone to (or removes them from) a group's thread."""
    return NewDelivery(
        guild_id=group.guild_id,
        kind=GROUP_MEMBER,
        target=groups_target(group.session_id),
        dedupe_key=delivery_key(GROUP_MEMBER, group.id, user_id, action, now),
        due_at=now,
        deliver_before=now + timedelta(days=1),
        payload={"group_id": group.id, "user_id": user_id, "action": action, "summary": f"group {action}"},
    )


def nudge_delivery(group: Group, coach_id: int, note: str, now: datetime, zone: ZoneInfo) -> NewDelivery:
    """Return a coach's nudge to their group (one per group per local day)."""
    return NewDelivery(
        guild_id=group.guild_id,
        kind=GROUP_NUDGE,
        target=groups_target(group.session_id),
        dedupe_key=delivery_key(GROUP_NUDGE, group.id, now.astimezone(zone).date()),
        due_at=now,
        deliver_before=now + timedelta(days=1),
        payload={"group_id": group.id, "coach_id": coach_id, "note": note[:1000], "summary": "peer coach nudge"},
    )


def auto_delivery(session: Session, programme: Programme, now: datetime) -> NewDelivery | None:
    """Return the automatic groups of a session, or None (no groups_before, or the session has started)."""
    if programme.groups_before_minutes is None or session.is_cancelled or session.starts_at <= now:
        return None
    due = max(session.starts_at - timedelta(minutes=programme.groups_before_minutes), now)
    return NewDelivery(
        guild_id=session.guild_id,
        kind=GROUPS_AUTO,
        target=auto_target(session.id),
        dedupe_key=delivery_key(GROUPS_AUTO, session.id, due),
        due_at=due,
        deliver_before=session.ends_at,
        payload={"session_id": session.id, "summary": f"groups for session {session.number}"},
    )


def connect_target(guild_id: int) -> str:
    """Return the target of a server's connection deliveries."""
    return f"connections:{guild_id}"


def round_delivery(guild_id: int, due: datetime) -> NewDelivery:
    """Return a round of connections due at `due`."""
    return NewDelivery(
        guild_id=guild_id,
        kind=CONNECT_ROUND,
        target=connect_target(guild_id),
        dedupe_key=delivery_key(CONNECT_ROUND, guild_id, due),
        due_at=due,
        deliver_before=due + timedelta(days=2),
        payload={"round_at": key_time(due), "summary": "a round of connections"},
    )


def connect_thread_delivery(connection: Connection, now: datetime) -> NewDelivery:
    """Return the delivery that makes an introduction's thread and posts the conversation starter."""
    return NewDelivery(
        guild_id=connection.guild_id,
        kind=CONNECT_THREAD,
        target=connect_target(connection.guild_id),
        dedupe_key=delivery_key(CONNECT_THREAD, connection.id),
        due_at=now,
        deliver_before=now + timedelta(days=3),
        payload={"connection_id": connection.id, "summary": "an introduction"},
    )


def connect_ask_delivery(connection: Connection, due: datetime) -> NewDelivery:
    """Return the "Did you meet?" question of an introduction."""
    return NewDelivery(
        guild_id=connection.guild_id,
        kind=CONNECT_ASK,
        target=connect_target(connection.guild_id),
        dedupe_key=delivery_key(CONNECT_ASK, connection.id),
        due_at=due,
        deliver_before=due + timedelta(days=3),
        payload={"connection_id": connection.id, "summary": "did you meet?"},
    )


def connect_paused_delivery(guild_id: int, user_id: int, now: datetime) -> NewDelivery:
    """Return the DM telling someone their connections paused."""
    return NewDelivery(
        guild_id=guild_id,
        kind=CONNECT_PAUSED,
        target=connect_target(guild_id),
        dedupe_key=delivery_key(CONNECT_PAUSED, guild_id, user_id, now),
        due_at=now,
        deliver_before=now + timedelta(days=2),
        payload={"user_id": user_id, "summary": "connections paused"},
    )


def _int(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DeliverySkipped(f"payload has no {name}")
    return value


def _no_channel(session: Session) -> PermanentSendError:
    return PermanentSendError(
        f"No groups channel is set, so Session {session.number}'s group threads could not be made. "
        "Choose one with /programme setup groups_channel:, then run /groups make again."
    )


class GroupsFollower:
    """Plan (or re-plan) a session's automatic groups whenever the programme saves or cancels it."""

    def __init__(self, clock: Clock, dispatcher: DeliveryScheduler) -> None:
        self._clock = clock
        self._dispatcher = dispatcher

    async def session_saved(self, uow: UnitOfWork, programme: Programme, session: Session) -> datetime | None:
        """Schedule the groups_auto delivery (cancelling any earlier plan)."""
        now = self._clock.now()
        new = auto_delivery(session, programme, now)
        repo = uow.repo(SqlDeliveryRepository)
        await repo.cancel_target(auto_target(session.id), now=now, sparing=new.dedupe_key if new else None)
        if new is None:
            return None
        await self._dispatcher.schedule(uow, new)
        return new.due_at

    async def session_cancelled(self, uow: UnitOfWork, programme: Programme, session: Session) -> datetime | None:
        """Cancel the session's automatic groups and pending thread work."""
        now = self._clock.now()
        repo = uow.repo(SqlDeliveryRepository)
        await repo.cancel_target(auto_target(session.id), now=now)
        await repo.cancel_target(groups_target(session.id), now=now)
        return None


class _Handler:
    def __init__(self, database: Database, clock: Clock, sender: Sender, threads: Threads) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._threads = threads

    async def _load(self, uow: UnitOfWork, group_id: int) -> tuple[Group, Session, Programme]:
        group = await uow.repo(SqlGroupRepository).group(group_id)
        if group is None:
            raise DeliverySkipped(f"group {group_id} was dissolved")
        session = await uow.repo(SqlSessionRepository).get(group.session_id)
        if session is None or session.is_cancelled:
            raise DeliverySkipped(f"session {group.session_id} is gone or cancelled")
        programme = await uow.repo(SqlProgrammeRepository).get(group.guild_id)
        if programme is None:
            raise DeliverySkipped("the programme is gone")
        return group, session, programme


class GroupThreadHandler(_Handler):
    """Make a group's private thread, add its people and post the welcome (kind group_thread).

    Guarantee: one thread per group — the thread id is recorded as soon as it exists, and a retry after a
    crash first looks for a thread with the group's name; the welcome at most once (post_once).
    """

    async def __call__(self, delivery: Delivery) -> int | None:
        """Return the welcome's message id."""
        group_id = _int(delivery.payload, "group_id")
        async with self._database.unit_of_work() as uow:
            group, session, programme = await self._load(uow, group_id)
            channel_id = group.channel_id or programme.groups_channel_id
            if channel_id is None:
                raise _no_channel(session)
            active = await uow.repo(SqlParticipantRepository).user_ids(group.guild_id)
        members = tuple(m for m in group.members if m in active)
        thread_id = group.thread_id
        if thread_id is None:
            name = render.thread_name(session, group)
            found = await self._threads.find_thread(group.guild_id, channel_id, name)
            if found is not None:
                log.info("Group %s already has thread %s (made before a restart); using it", group.id, found.thread_id)
                thread_id = found.thread_id
            else:
                thread_id = await self._threads.create_private_thread(channel_id, name)
            async with self._database.unit_of_work() as uow:
                recorded = await uow.repo(SqlGroupRepository).set_thread(
                    group.id, channel_id, thread_id, now=self._clock.now()
                )
                await uow.commit()
            if not recorded:
                await self._threads.archive(thread_id)
                raise DeliverySkipped(f"group {group.id} was dissolved while its thread was being made")
        for user_id in (*members, *((group.coach_id,) if group.coach_id is not None else ())):
            await self._threads.add_member(thread_id, user_id)
        voice = group.voice_channel_id
        category = programme.groups_voice_category_id
        if voice is None and category is not None and session.location_kind in (LocationKind.VOICE, LocationKind.STAGE):
            voice = await self._threads.voice_room(group.guild_id, category, render.voice_room_name(session, group))
            async with self._database.unit_of_work() as uow:
                await uow.repo(SqlGroupRepository).set_voice(group.id, voice)
                await uow.commit()
        welcome = render.welcome(session, group, members, voice_channel_id=voice)
        message_id = await post_once(self._sender, thread_id, welcome, delivery)
        log.info("Group %s of session %s has thread %s", group.number, session.id, thread_id)
        return message_id


class GroupMemberHandler(_Handler):
    """Add someone to (or remove them from) a group's thread after a late join or a move (kind group_member)."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Return the late-welcome message id (None for a removal)."""
        group_id = _int(delivery.payload, "group_id")
        user_id = _int(delivery.payload, "user_id")
        action = delivery.payload.get("action")
        async with self._database.unit_of_work() as uow:
            group, _, _ = await self._load(uow, group_id)
        if group.thread_id is None:
            raise TransientSendError("the group's thread is still being made")
        if action == "remove":
            if user_id in group.members:
                raise DeliverySkipped("they are back in this group")
            await self._threads.remove_member(group.thread_id, user_id)
            return None
        if user_id not in group.members:
            raise DeliverySkipped("no longer in this group")
        await self._threads.add_member(group.thread_id, user_id)
        return await post_once(self._sender, group.thread_id, render.late_welcome(user_id), delivery)


class GroupArchiveHandler(_Handler):
    """Archive and lock a group's thread and remove its temporary voice channel (kind group_archive)."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Archive; nothing is posted."""
        thread_id = delivery.payload.get("thread_id")
        voice = delivery.payload.get("voice_channel_id")
        if not isinstance(thread_id, int):
            async with self._database.unit_of_work() as uow:
                group = await uow.repo(SqlGroupRepository).group(_int(delivery.payload, "group_id"))
            if group is None or group.thread_id is None:
                raise DeliverySkipped("the group has no thread")
            thread_id, voice = group.thread_id, group.voice_channel_id
        if isinstance(voice, int):
            await self._threads.delete_channel(voice)
        await self._threads.archive(thread_id)
        return None


class GroupNudgeHandler(_Handler):
    """Post a peer coach's nudge in their group's thread (kind group_nudge)."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Return the nudge's message id."""
        async with self._database.unit_of_work() as uow:
            group, _, _ = await self._load(uow, _int(delivery.payload, "group_id"))
        if group.thread_id is None:
            raise TransientSendError("the group's thread is still being made")
        note = delivery.payload.get("note")
        message = render.nudge(group, _int(delivery.payload, "coach_id"), note if isinstance(note, str) else "")
        return await post_once(self._sender, group.thread_id, message, delivery)


class GroupsAutoHandler:
    """Make and create a session's groups before it starts (kind groups_auto, from groups_before)."""

    def __init__(self, service: "GroupService") -> None:
        self._service = service

    async def __call__(self, delivery: Delivery) -> int | None:
        """Create the groups; their threads follow as group_thread deliveries."""
        session_id = _int(delivery.payload, "session_id")
        try:
            made = await self._service.make_automatically(delivery.guild_id, session_id)
        except GroupsChannelMissingError as error:
            raise PermanentSendError(str(error)) from error  # the message as plain text (it may be rich)
        except DomainError as error:
            raise DeliverySkipped(str(error)) from error
        if made is None:
            raise DeliverySkipped("the session already has groups")
        log.info("Made %d groups for session %s automatically", len(made.groups), session_id)
        return None


class _ConnectionHandler:
    def __init__(self, database: Database, clock: Clock, sender: Sender, threads: Threads) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._threads = threads

    async def _load(self, connection_id: int) -> tuple[Connection, Programme, Session | None]:
        async with self._database.unit_of_work() as uow:
            connection = await uow.repo(SqlConnectionRepository).get(connection_id)
            if connection is None or len(connection.members) < 2:
                raise DeliverySkipped("the introduction is gone")
            programme = await uow.repo(SqlProgrammeRepository).get(connection.guild_id)
            if programme is None:
                raise DeliverySkipped("the programme is gone")
            sessions = await uow.repo(SqlSessionRepository).list(connection.guild_id, include_cancelled=False)
        now = self._clock.now()
        started = [s for s in sessions if s.starts_at <= now]
        latest = started[-1] if started else (sessions[0] if sessions else None)
        return connection, programme, latest


class ConnectThreadHandler(_ConnectionHandler):
    """Make an introduction's private thread (found again by name after a crash) and post the starter."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Return the starter's message id."""
        connection, programme, latest = await self._load(_int(delivery.payload, "connection_id"))
        channel_id = programme.groups_channel_id
        if channel_id is None:
            raise PermanentSendError(
                "No groups channel is set, so introductions between participants could not be made. "
                "Choose one with /programme setup groups_channel:."
            )
        thread_id = connection.thread_id
        if thread_id is None:
            name = render.connection_thread_name(connection)
            found = await self._threads.find_thread(connection.guild_id, channel_id, name)
            thread_id = found.thread_id if found else await self._threads.create_private_thread(channel_id, name)
            async with self._database.unit_of_work() as uow:
                await uow.repo(SqlConnectionRepository).set_thread(connection.id, channel_id, thread_id)
                await uow.commit()
        for user_id in connection.members:
            await self._threads.add_member(thread_id, user_id)
        return await post_once(self._sender, thread_id, render.introduction(connection, latest), delivery)


class ConnectAskHandler(_ConnectionHandler):
    """Ask "Did you meet?" in an introduction's thread (Yes / Not yet / Skip)."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Return the question's message id."""
        connection, _, _ = await self._load(_int(delivery.payload, "connection_id"))
        if connection.thread_id is None:
            raise TransientSendError("the introduction's thread is still being made")
        message_id = await post_once(self._sender, connection.thread_id, render.did_you_meet(connection), delivery)
        async with self._database.unit_of_work() as uow:
            await uow.repo(SqlConnectionRepository).mark_asked(connection.id, self._clock.now())
            await uow.commit()
        return message_id


class ConnectPausedHandler(_ConnectionHandler):
    """Tell someone by DM that their connections paused, and how to resume."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Return the DM's id (skipped quietly when they do not accept DMs)."""
        user_id = _int(delivery.payload, "user_id")
        try:
            return await dm_once(self._sender, user_id, render.connect_paused(), delivery)
        except PermanentSendError as error:
            raise DeliverySkipped(error.reason) from error


class ConnectRoundHandler:
    """Run a round of connections (kind connect_round)."""

    def __init__(self, connections: "ConnectionService") -> None:
        self._connections = connections

    async def __call__(self, delivery: Delivery) -> int | None:
        """Pair people; the threads, questions and next round follow as deliveries."""
        raw = delivery.payload.get("round_at")
        round_at = datetime.fromtimestamp(raw, UTC) if isinstance(raw, int) else delivery.due_at
        result = await self._connections.run_round(delivery.guild_id, round_at)
        log.info("Connections round in guild %s: %d introductions", delivery.guild_id, len(result.connections))
        return None


def register(
    dispatcher: DeliveryScheduler,
    *,
    database: Database,
    clock: Clock,
    sender: Sender,
    threads: Threads,
    service: "GroupService",
    connections: "ConnectionService | None" = None,
) -> None:
    """Register the groups feature's delivery kinds on a Dispatcher."""
    dispatcher.register(GROUP_THREAD, GroupThreadHandler(database, clock, sender, threads))
    dispatcher.register(GROUP_MEMBER, GroupMemberHandler(database, clock, sender, threads))
    dispatcher.register(GROUP_ARCHIVE, GroupArchiveHandler(database, clock, sender, threads))
    dispatcher.register(GROUP_NUDGE, GroupNudgeHandler(database, clock, sender, threads))
    dispatcher.register(GROUPS_AUTO, GroupsAutoHandler(service))
    if connections is not None:
        dispatcher.register(CONNECT_ROUND, ConnectRoundHandler(connections))
        dispatcher.register(CONNECT_THREAD, ConnectThreadHandler(database, clock, sender, threads))
        dispatcher.register(CONNECT_ASK, ConnectAskHandler(database, clock, sender, threads))
        dispatcher.register(CONNECT_PAUSED, ConnectPausedHandler(database, clock, sender, threads), dm=True)
