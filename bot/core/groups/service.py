"""Small groups for a session: propose, shuffle, create, show, move, dissolve, late joins and peer coaches.

Facilitator operations take an Actor and are checked here at runtime (commands and buttons alike). A peer
coach (someone with the programme's peer coach role who coaches a group) may see their own groups'
attendance and reflection counts, mark attendance for their members and nudge their group — nothing else.

Creating groups stores them, their members and one ``group_thread`` delivery per group in one transaction;
the delivery engine then makes the threads (bot.core.groups.deliveries), so a crash or a Discord error never
makes a thread twice or leaves a group without one.
"""

import logging
import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.groups import deliveries
from bot.core.groups.assignment import (
    MAX_SIZE,
    MIN_SIZE,
    SAME_COMMUNITY,
    Person,
    assign_groups,
    mix_figures,
    placement_cost,
)
from bot.core.groups.domain import (
    DEFAULT_SIZE,
    CoachView,
    Group,
    GroupCounts,
    JoinResult,
    MemberHow,
    Mix,
    MoveResult,
    Proposal,
    ProposalStatus,
    ProposalView,
    SessionGroups,
    Source,
)
from bot.core.groups.errors import (
    GroupNotFoundError,
    GroupsChannelMissingError,
    GroupsExistError,
    GroupSizeError,
    NoGroupsError,
    NotAParticipantError,
    NotTheirGroupError,
    NudgedTodayError,
    ProposalClosedError,
    ProposalNotFoundError,
    SessionEndedError,
    TooFewPeopleError,
)
from bot.core.groups.repository import SqlGroupRepository
from bot.core.participants.domain import Participant
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.ports import RoleMembers
from bot.core.programme.domain import Programme, Session
from bot.core.programme.errors import ProgrammeNotSetUpError, SessionNotFoundError
from bot.core.programme.permissions import is_facilitator, require_facilitator
from bot.core.programme.repository import SqlProgrammeRepository, SqlRsvpRepository, SqlSessionRepository
from bot.core.reflections.domain import AttendanceSource
from bot.core.reflections.repository import SqlAttendanceRepository, SqlReflectionRepository
from bot.core.storage.database import Database, UnitOfWork
from bot.core.storage.state import SqlAuditRepository

log = logging.getLogger(__name__)


class ProposalViewFigures(NamedTuple):
    """What a proposal achieved: groups with a same-community pair, repeat pairs, coaches placed."""

    groups_with_same_community_pair: int
    repeat_pairs: int
    coaches: int


def person(participant: Participant, mix: Mix) -> Person:
    """Return what the assignment looks at for a participant: the mix's attribute is kept apart first."""
    community = participant.community.casefold() if participant.community else None
    area = None if participant.area is None else participant.area_group.value
    role = None if participant.role is None else participant.role.value
    if mix is Mix.AREA:
        return Person(participant.user_id, community=area, area=community, role=role)
    if mix is Mix.ROLE:
        return Person(participant.user_id, community=role, area=community, role=area)
    return Person(participant.user_id, community=community, area=area, role=role)


async def _active(uow: UnitOfWork, guild_id: int) -> dict[int, Participant]:
    return {p.user_id: p for p in await uow.repo(SqlParticipantRepository).list_all(guild_id, active_only=True)}


def open_until(session: Session, programme: Programme) -> datetime:
    """Return until when a session's groups may still change (its threads are archived then)."""
    return session.ends_at + timedelta(hours=programme.group_archive_hours)


class GroupService:
    """The groups feature's use-cases; cogs call one method per command or button and render the result."""

    def __init__(
        self, database: Database, clock: Clock, dispatcher: DeliveryScheduler, roles: RoleMembers | None
    ) -> None:
        self._database = database
        self._clock = clock
        self._dispatcher = dispatcher
        self._roles = roles

    # -- loading ------------------------------------------------------------------------------------

    async def _context(
        self, uow: UnitOfWork, guild_id: int, session_id: int, *, facilitator: tuple[Actor, str] | None = None
    ) -> tuple[Programme, Session]:
        """Load the programme and the session; with facilitator=(actor, action) check the actor first."""
        programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
        if facilitator is not None:
            self._facilitator(programme, *facilitator)
        if programme is None:
            raise ProgrammeNotSetUpError()
        session = await uow.repo(SqlSessionRepository).get(session_id)
        if session is None or session.guild_id != guild_id:
            raise SessionNotFoundError()
        return programme, session

    async def _coach_ids(self, programme: Programme) -> frozenset[int]:
        if programme.peer_coach_role_id is None or self._roles is None:
            return frozenset()
        try:
            return await self._roles.role_members(programme.guild_id, programme.peer_coach_role_id)
        except Exception:  # the platform's view of a role is a nicety: groups are made without coaches
            log.warning("Could not read the peer coach role of guild %s", programme.guild_id, exc_info=True)
            return frozenset()

    async def _pool(
        self, uow: UnitOfWork, session: Session, source: Source | None
    ) -> tuple[Source, dict[int, Participant]]:
        active = await _active(uow, session.guild_id)
        if source is None:
            rsvps = set(await uow.repo(SqlRsvpRepository).users(session.id)) & set(active)
            source = Source.RSVP if len(rsvps) >= 2 else Source.PARTICIPANTS
        if source is Source.RSVP:
            ids: Iterable[int] = await uow.repo(SqlRsvpRepository).users(session.id)
        elif source is Source.ATTENDED:
            ids = await uow.repo(SqlAttendanceRepository).attendees(session.id)
        else:
            ids = active
        return source, {u: active[u] for u in ids if u in active}

    async def _assign(
        self,
        uow: UnitOfWork,
        programme: Programme,
        session: Session,
        *,
        size: int,
        mix: Mix,
        source: Source | None,
        seed: int,
    ) -> tuple[Source, list[list[int]], list[int | None], int, ProposalViewFigures]:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise GroupSizeError(size)
        source, pool = await self._pool(uow, session, source)
        coach_ids = await self._coach_ids(programme)
        members = {u: p for u, p in pool.items() if u not in coach_ids}
        if len(members) < 2:
            raise TooFewPeopleError(session.number, len(members), source.value)
        people = [person(p, mix) for p in members.values()]
        active = await _active(uow, session.guild_id)
        coaches = [person(active[c], mix) if c in active else Person(c) for c in sorted(coach_ids & set(pool))]
        met = await uow.repo(SqlGroupRepository).met_pairs(session.guild_id, except_session=session.id)
        grouping = assign_groups(people, size=size, met_before=met, coaches=coaches, seed=seed)
        everyone = {p.user_id: p for p in (*people, *coaches)}
        figures = mix_figures(grouping.groups, everyone, met)
        placed = sum(c is not None for c in grouping.coaches)
        return (
            source,
            [list(g) for g in grouping.groups],
            list(grouping.coaches),
            grouping.cost,
            ProposalViewFigures(figures.groups_with_same_community_pair, figures.repeat_pairs, placed),
        )

    def _facilitator(self, programme: Programme | None, actor: Actor, action: str) -> None:
        require_facilitator(programme, actor, action)

    # -- proposals ----------------------------------------------------------------------------------

    async def propose(
        self,
        actor: Actor,
        session_id: int,
        *,
        size: int = DEFAULT_SIZE,
        mix: Mix = Mix.COMMUNITY,
        source: Source | None = None,
        seed: int | None = None,
    ) -> ProposalView:
        """Propose groups for a session (stored, so its buttons survive restarts); nothing is created yet.

        Raises PermissionDeniedError, GroupSizeError, TooFewPeopleError, SessionEndedError.
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme, session = await self._context(
                uow, actor.guild_id, session_id, facilitator=(actor, "make groups")
            )
            self._check_open(programme, session, now)
            seed = random.randrange(1, 2**31 - 1) if seed is None else seed
            source, groups, coaches, cost, figures = await self._assign(
                uow, programme, session, size=size, mix=mix, source=source, seed=seed
            )
            proposal = await uow.repo(SqlGroupRepository).add_proposal(
                guild_id=actor.guild_id,
                session_id=session.id,
                created_by=actor.user_id,
                size=size,
                mix=mix,
                source=source,
                seed=seed,
                groups=groups,
                coaches=coaches,
                cost=cost,
                now=now,
            )
            await uow.commit()
        return ProposalView(proposal, session, *figures)

    async def _open_proposal(
        self, uow: UnitOfWork, actor: Actor, proposal_id: int
    ) -> tuple[Programme, Session, Proposal]:
        self._facilitator(await uow.repo(SqlProgrammeRepository).get(actor.guild_id), actor, "make groups")
        proposal = await uow.repo(SqlGroupRepository).proposal(proposal_id, for_update=True)
        if proposal is None or proposal.guild_id != actor.guild_id:
            raise ProposalNotFoundError()
        programme, session = await self._context(uow, actor.guild_id, proposal.session_id)
        if proposal.status is not ProposalStatus.OPEN:
            raise ProposalClosedError(proposal.status.value)
        return programme, session, proposal

    async def shuffle(self, actor: Actor, proposal_id: int) -> ProposalView:
        """Try another mix for an open proposal (same people, size and mix; a new seed)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme, session, proposal = await self._open_proposal(uow, actor, proposal_id)
            seed = proposal.seed % (2**31 - 2) + 1
            _, groups, coaches, cost, figures = await self._assign(
                uow, programme, session, size=proposal.size, mix=proposal.mix, source=proposal.source, seed=seed
            )
            proposal = await uow.repo(SqlGroupRepository).update_proposal(
                proposal.id, {"groups": groups, "coaches": coaches, "cost": cost, "seed": seed}, now=now
            )
            await uow.commit()
        return ProposalView(proposal, session, *figures)

    async def cancel(self, actor: Actor, proposal_id: int) -> ProposalView:
        """Drop an open proposal."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            _, session, proposal = await self._open_proposal(uow, actor, proposal_id)
            proposal = await uow.repo(SqlGroupRepository).update_proposal(
                proposal.id, {"status": ProposalStatus.CANCELLED}, now=now
            )
            await uow.commit()
        return ProposalView(proposal, session, 0, 0, 0)

    async def create(self, actor: Actor, proposal_id: int) -> SessionGroups:
        """Create the proposed groups: store them and plan one thread delivery per group (and their archiving).

        People who left the programme since the proposal are left out. Raises GroupsChannelMissingError,
        GroupsExistError, ProposalClosedError, ProposalNotFoundError, PermissionDeniedError.
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme, session, proposal = await self._open_proposal(uow, actor, proposal_id)
            groups, notes = await self._store(uow, programme, session, proposal, now)
            await uow.repo(SqlGroupRepository).update_proposal(proposal.id, {"status": ProposalStatus.CREATED}, now=now)
            await uow.repo(SqlAuditRepository).record(
                action="groups.create",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"session {session.number}: {len(groups)} groups",
            )
            await uow.commit()
        self._dispatcher.wake(now)
        return SessionGroups(session, tuple(groups), tuple(notes))

    async def _store(
        self, uow: UnitOfWork, programme: Programme, session: Session, proposal: Proposal, now: datetime
    ) -> tuple[list[Group], list[str]]:
        self._check_open(programme, session, now)
        if programme.groups_channel_id is None:
            raise GroupsChannelMissingError()
        repo = uow.repo(SqlGroupRepository)
        await repo.lock_session(session.id)
        if await repo.groups(session.id):
            raise GroupsExistError(session.number)
        active = await uow.repo(SqlParticipantRepository).user_ids(session.guild_id)
        groups: list[Group] = []
        left = 0
        for proposed in proposal.groups:
            members = [m for m in proposed.members if m in active]
            left += len(proposed.members) - len(members)
            group = await repo.add_group(
                guild_id=session.guild_id,
                session_id=session.id,
                number=proposed.number,
                coach_id=proposed.coach_id,
                channel_id=programme.groups_channel_id,
                members=members,
                how=MemberHow.PROPOSAL,
                now=now,
            )
            groups.append(group)
            await self._dispatcher.schedule(uow, deliveries.thread_delivery(session, group, programme, now))
            await self._dispatcher.schedule(uow, deliveries.archive_delivery(session, group, programme))
        notes = [f"{left} who left the programme since the proposal were left out."] if left else []
        return groups, notes

    def _check_open(self, programme: Programme, session: Session, now: datetime) -> None:
        if session.is_cancelled:
            raise SessionEndedError(session.number, "was cancelled")
        if now >= open_until(session, programme):
            raise SessionEndedError(session.number)

    # -- automatic groups (groups_before) --------------------------------------------------------------

    async def make_automatically(self, guild_id: int, session_id: int) -> SessionGroups | None:
        """Make and create a session's groups with the defaults (for groups_before); None when it has groups."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme, session = await self._context(uow, guild_id, session_id)
            repo = uow.repo(SqlGroupRepository)
            if await repo.groups(session.id):
                return None
            seed = session.id
            source, groups, coaches, cost, _ = await self._assign(
                uow, programme, session, size=DEFAULT_SIZE, mix=Mix.COMMUNITY, source=None, seed=seed
            )
            proposal = await repo.add_proposal(
                guild_id=guild_id,
                session_id=session.id,
                created_by=None,
                size=DEFAULT_SIZE,
                mix=Mix.COMMUNITY,
                source=source,
                seed=seed,
                groups=groups,
                coaches=coaches,
                cost=cost,
                now=now,
            )
            created, notes = await self._store(uow, programme, session, proposal, now)
            await repo.update_proposal(proposal.id, {"status": ProposalStatus.CREATED}, now=now)
            await uow.commit()
        self._dispatcher.wake(now)
        return SessionGroups(session, tuple(created), tuple(notes))

    # -- after creation -------------------------------------------------------------------------------

    async def show(self, actor: Actor, session_id: int) -> SessionGroups:
        """Return a session's groups (facilitators)."""
        async with self._database.unit_of_work() as uow:
            _programme, session = await self._context(
                uow, actor.guild_id, session_id, facilitator=(actor, "see every group")
            )
            groups = await uow.repo(SqlGroupRepository).groups(session.id)
        if not groups:
            raise NoGroupsError(session.number)
        return SessionGroups(session, tuple(groups))

    async def move(self, actor: Actor, session_id: int, user_id: int, to_number: int) -> MoveResult:
        """Move someone (or place someone unassigned) into another group of the session; threads follow."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme, session = await self._context(
                uow, actor.guild_id, session_id, facilitator=(actor, "move people between groups")
            )
            self._check_open(programme, session, now)
            repo = uow.repo(SqlGroupRepository)
            await repo.lock_session(session.id)
            groups = await repo.groups(session.id)
            if not groups:
                raise NoGroupsError(session.number)
            target = next((g for g in groups if g.number == to_number), None)
            if target is None:
                raise GroupNotFoundError(session.number, to_number, len(groups))
            if user_id not in await uow.repo(SqlParticipantRepository).user_ids(session.guild_id):
                raise NotAParticipantError()
            current = next((g for g in groups if user_id in g.members), None)
            if current is not None and current.id == target.id:
                return MoveResult(session, user_id, current.number, target.number)
            if current is not None:
                await repo.remove_member(session.id, user_id)
                await self._dispatcher.schedule(uow, deliveries.member_delivery(current, user_id, "remove", now))
            await repo.add_member(target, user_id, MemberHow.MOVED, now=now)
            await self._dispatcher.schedule(uow, deliveries.member_delivery(target, user_id, "add", now))
            await uow.commit()
        self._dispatcher.wake(now)
        return MoveResult(session, user_id, current.number if current else None, target.number)

    async def dissolve(self, actor: Actor, session_id: int) -> int:
        """Remove a session's groups: pending thread work is cancelled and existing threads archived."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            _programme, session = await self._context(
                uow, actor.guild_id, session_id, facilitator=(actor, "dissolve groups")
            )
            repo = uow.repo(SqlGroupRepository)
            await repo.lock_session(session.id)
            groups = await repo.groups(session.id)
            if not groups:
                raise NoGroupsError(session.number)
            await uow.repo(SqlDeliveryRepository).cancel_target(deliveries.groups_target(session.id), now=now)
            for group in groups:
                if group.thread_id is not None:
                    await self._dispatcher.schedule(uow, deliveries.dissolved_archive_delivery(group, now))
            await repo.delete_groups(session.id)
            await uow.repo(SqlAuditRepository).record(
                action="groups.dissolve",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"session {session.number}: {len(groups)} groups",
            )
            await uow.commit()
        self._dispatcher.wake(now)
        return len(groups)

    async def join_late(self, actor: Actor, session_id: int) -> JoinResult:
        """Place someone who was not assigned in the smallest group that keeps the mix (or say where they are).

        "Keeps the mix": a group without someone from their community when there is one, then the smallest
        such group, then the one where they add the least pair cost (areas, roles, people met before).
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme, session = await self._context(uow, actor.guild_id, session_id)
            participants = await _active(uow, session.guild_id)
            if actor.user_id not in participants:
                raise NotAParticipantError()
            repo = uow.repo(SqlGroupRepository)
            await repo.lock_session(session.id)
            groups = await repo.groups(session.id)
            if not groups:
                raise NoGroupsError(session.number)
            mine = next((g for g in groups if g.includes(actor.user_id)), None)
            if mine is not None:
                return JoinResult(session, mine, already=True)
            self._check_open(programme, session, now)
            people = {u: person(p, Mix.COMMUNITY) for u, p in participants.items()}
            for group in groups:
                for uid in (*group.members, group.coach_id):
                    if uid is not None and uid not in people:
                        people[uid] = Person(uid)
            met = await repo.met_pairs(session.guild_id, except_session=session.id)
            target = min(
                groups,
                key=lambda g: (
                    (cost := placement_cost(actor.user_id, g.members, people, met)) >= SAME_COMMUNITY,
                    len(g.members),
                    cost,
                    g.number,
                ),
            )
            await repo.add_member(target, actor.user_id, MemberHow.LATE, now=now)
            await self._dispatcher.schedule(uow, deliveries.member_delivery(target, actor.user_id, "add", now))
            await uow.commit()
            placed = await repo.group(target.id) or target
        self._dispatcher.wake(now)
        return JoinResult(session, placed, already=False)

    async def member_left(self, guild_id: int, user_id: int) -> int:
        """Take someone who left the server out of the groups of sessions still open; return how many."""
        now = self._clock.now()
        removed = 0
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
            if programme is None:
                return 0
            repo = uow.repo(SqlGroupRepository)
            sessions = uow.repo(SqlSessionRepository)
            for group in await repo.places_of(guild_id, user_id):
                session = await sessions.get(group.session_id)
                if session is None or now >= open_until(session, programme):
                    continue  # past groups stay as they were (evaluation); erasure removes them
                removed += await repo.remove_member(group.session_id, user_id)
                if group.thread_id is not None:
                    await self._dispatcher.schedule(uow, deliveries.member_delivery(group, user_id, "remove", now))
            await uow.commit()
        if removed:
            self._dispatcher.wake(now)
        return removed

    # -- peer coaches -------------------------------------------------------------------------------------

    async def _coached(self, uow: UnitOfWork, actor: Actor, session_id: int) -> tuple[Programme, Session, list[Group]]:
        programme, session = await self._context(uow, actor.guild_id, session_id)
        groups = await uow.repo(SqlGroupRepository).groups(session.id)
        if is_facilitator(programme, actor):
            return programme, session, groups
        is_coach = programme.peer_coach_role_id is not None and programme.peer_coach_role_id in actor.role_ids
        own = [g for g in groups if g.coach_id == actor.user_id]
        if not is_coach or not own:
            raise NotTheirGroupError()
        return programme, session, own

    async def coach_view(self, actor: Actor, session_id: int) -> CoachView:
        """Return a coach's own groups of a session with attendance and reflection counts (never answers)."""
        async with self._database.unit_of_work() as uow:
            _, session, groups = await self._coached(uow, actor, session_id)
            attended = await uow.repo(SqlAttendanceRepository).attendees(session.id)
            reflections = uow.repo(SqlReflectionRepository)
            poll = await reflections.poll(session.id)
            responders = await reflections.responder_ids(poll.id) if poll is not None else set()
        return CoachView(
            session,
            tuple(
                GroupCounts(g, frozenset(set(g.members) & attended), len(set(g.members) & responders)) for g in groups
            ),
        )

    async def coach_mark(self, actor: Actor, session_id: int, user_ids: Sequence[int]) -> set[int]:
        """Mark attendance for members of the actor's own groups; return who was newly marked."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            _, session, groups = await self._coached(uow, actor, session_id)
            allowed = {m for g in groups for m in g.members}
            if not user_ids or any(u not in allowed for u in user_ids):
                raise NotTheirGroupError()
            marked = await uow.repo(SqlAttendanceRepository).record(
                guild_id=session.guild_id,
                session_id=session.id,
                user_ids=user_ids,
                source=AttendanceSource.FACILITATOR,
                now=now,
                by=actor.user_id,
            )
            await uow.commit()
        return marked

    async def coach_nudge(self, actor: Actor, session_id: int, note: str = "") -> Group:
        """Send the coach's group a nudge in its thread, through the delivery engine (one per group per day)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme, session, groups = await self._coached(uow, actor, session_id)
            own = [g for g in groups if g.coach_id == actor.user_id] or groups[:1]
            if not own:
                raise NoGroupsError(session.number)
            group = own[0]
            new = deliveries.nudge_delivery(group, actor.user_id, note, now, programme.zone)
            if await uow.repo(SqlDeliveryRepository).get_by_key(new.dedupe_key) is not None:
                raise NudgedTodayError(group.number)
            await self._dispatcher.schedule(uow, new)
            await uow.commit()
        self._dispatcher.wake(now)
        return group
