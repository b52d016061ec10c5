"""Small groups for a session: propose, shuffle, create (threads through the delivery engine), move, dissolve,
late joins, automatic groups and peer coaches."""

import itertools
from datetime import timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.delivery.domain import DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.errors import PermissionDeniedError
from bot.core.groups.deliveries import GROUP_THREAD, GROUPS_AUTO, GroupsFollower
from bot.core.groups.domain import ProposalStatus, Source
from bot.core.groups.errors import (
    GroupsChannelMissingError,
    GroupsExistError,
    GroupSizeError,
    NoGroupsError,
    NotAParticipantError,
    NotTheirGroupError,
    NudgedTodayError,
    ProposalClosedError,
    TooFewPeopleError,
)
from bot.core.groups.repository import SqlGroupRepository
from bot.core.groups.service import GroupService
from bot.core.participants.service import ParticipantService
from bot.core.ports import PermanentSendError
from bot.core.programme.domain import NewSession, Programme, Session
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.reflections.repository import SqlAttendanceRepository
from bot.core.storage.database import Database
from tests.core.fakes import FakeRoles, FakeSender, FakeThreads
from tests.core.groups.conftest import (
    COACH_ROLE,
    FACILITATOR,
    GROUPS_CHANNEL,
    add_session,
    join_people,
    member,
    rsvp,
)

COMMUNITIES = {100 + i: f"community {i // 2}" for i in range(12)}  # six communities of two


async def deliveries_of(database: Database, kind: str) -> list:
    """Return every delivery of a kind."""
    async with database.unit_of_work() as uow:
        return [d for d in await uow.repo(SqlDeliveryRepository).list() if d.kind == kind]


async def test_propose_keeps_communities_apart_and_stores_the_proposal(
    service: GroupService, participants: ParticipantService, session: Session, database: Database
) -> None:
    """Twelve people from six communities of two, groups of 6: no group holds two from one community."""
    await join_people(participants, COMMUNITIES)
    view = await service.propose(FACILITATOR, session.id, size=6, seed=3)
    assert view.proposal.source is Source.PARTICIPANTS  # nobody said "I'll be there"
    assert [len(g.members) for g in view.proposal.groups] == [6, 6]
    for group in view.proposal.groups:
        assert len({COMMUNITIES[m] for m in group.members}) == 6
    assert view.groups_with_same_community_pair == 0
    async with database.unit_of_work() as uow:
        stored = await uow.repo(SqlGroupRepository).proposal(view.proposal.id)
    assert stored == view.proposal


async def test_propose_uses_rsvps_when_there_are_any(
    service: GroupService, participants: ParticipantService, session: Session, database: Database, clock: ManualClock
) -> None:
    """From defaults to those who said "I'll be there"."""
    await join_people(participants, COMMUNITIES)
    await rsvp(database, clock, session, 100, 102, 104, 106)
    view = await service.propose(FACILITATOR, session.id, size=4)
    assert view.proposal.source is Source.RSVP
    assert sorted(m for g in view.proposal.groups for m in g.members) == [100, 102, 104, 106]


@pytest.mark.parametrize("size", [2, 13, 0])
async def test_sizes_outside_3_to_12_are_refused(
    service: GroupService, participants: ParticipantService, session: Session, size: int
) -> None:
    """A clear message, nothing stored."""
    await join_people(participants, COMMUNITIES)
    with pytest.raises(GroupSizeError, match="3 to 12"):
        await service.propose(FACILITATOR, session.id, size=size)


async def test_fewer_than_two_people_is_refused(
    service: GroupService, participants: ParticipantService, session: Session
) -> None:
    """One participant cannot make a group."""
    await join_people(participants, {100: "a"})
    with pytest.raises(TooFewPeopleError, match="at least 2"):
        await service.propose(FACILITATOR, session.id)


async def test_only_facilitators_propose_and_press_the_buttons(
    service: GroupService, participants: ParticipantService, session: Session
) -> None:
    """Checked at runtime on the command and on each button press."""
    await join_people(participants, COMMUNITIES)
    with pytest.raises(PermissionDeniedError):
        await service.propose(member(100), session.id)
    view = await service.propose(FACILITATOR, session.id)
    for press in (service.create, service.shuffle, service.cancel):
        with pytest.raises(PermissionDeniedError):
            await press(member(100), view.proposal.id)


async def test_shuffle_keeps_the_proposal_id_and_changes_the_seed(
    service: GroupService, participants: ParticipantService, session: Session
) -> None:
    """The buttons keep working on the same proposal after Shuffle."""
    await join_people(participants, COMMUNITIES)
    first = await service.propose(FACILITATOR, session.id, seed=1)
    second = await service.shuffle(FACILITATOR, first.proposal.id)
    assert second.proposal.id == first.proposal.id
    assert second.proposal.seed != first.proposal.seed


async def test_create_makes_one_thread_per_group_with_members_and_welcome(
    service: GroupService,
    participants: ParticipantService,
    session: Session,
    engine: Dispatcher,
    threads: FakeThreads,
    sender: FakeSender,
    database: Database,
) -> None:
    """Create stores the groups and one group_thread delivery each; the engine makes the threads."""
    await join_people(participants, COMMUNITIES)
    view = await service.propose(FACILITATOR, session.id, size=4)
    created = await service.create(FACILITATOR, view.proposal.id)
    assert len(created.groups) == 3
    assert len(await deliveries_of(database, GROUP_THREAD)) == 3
    await engine.run_due()
    made = threads.in_channel(GROUPS_CHANNEL)
    assert len(made) == 3
    shown = await service.show(FACILITATOR, session.id)
    for group in shown.groups:
        thread = threads.threads[group.thread_id]
        assert thread.members == set(group.members)
        assert thread.name.endswith(f"g{group.id}")
    welcomes = [p for p in sender.posts if p.channel_id in threads.threads]
    assert len(welcomes) == 3
    assert "Working across communities" in welcomes[0].text()
    with pytest.raises(ProposalClosedError):
        await service.create(FACILITATOR, view.proposal.id)


async def test_a_crash_after_creating_a_thread_never_makes_a_second_one(
    service: GroupService,
    participants: ParticipantService,
    session: Session,
    engine: Dispatcher,
    threads: FakeThreads,
    clock: ManualClock,
    database: Database,
) -> None:
    """The thread exists but was not recorded: the retry finds it by name instead of creating another."""
    await join_people(participants, COMMUNITIES)
    view = await service.propose(FACILITATOR, session.id, size=12)
    threads.crash_after_create = RuntimeError("process killed")
    await service.create(FACILITATOR, view.proposal.id)
    await engine.run_due()
    assert threads.creates == 1
    clock.advance(timedelta(minutes=30))
    await engine.run_due()
    assert threads.creates == 1
    shown = await service.show(FACILITATOR, session.id)
    assert shown.groups[0].thread_id == next(iter(threads.threads))
    assert threads.threads[shown.groups[0].thread_id].members == set(COMMUNITIES)
    [row] = await deliveries_of(database, GROUP_THREAD)
    assert row.status is DeliveryStatus.SENT


async def test_missing_thread_permission_fails_the_delivery_and_tells_facilitators(
    service: GroupService,
    participants: ParticipantService,
    session: Session,
    engine: Dispatcher,
    threads: FakeThreads,
    database: Database,
) -> None:
    """A permanent platform error names the permission and fails the row at once."""
    await join_people(participants, COMMUNITIES)
    view = await service.propose(FACILITATOR, session.id, size=12)
    threads.failures.append(PermanentSendError("Blether needs Create Private Threads in the groups channel."))
    await service.create(FACILITATOR, view.proposal.id)
    await engine.run_due()
    [row] = await deliveries_of(database, GROUP_THREAD)
    assert row.status is DeliveryStatus.FAILED
    notices = await deliveries_of(database, "facilitator_notice")
    assert any("Create Private Threads" in str(n.payload) for n in notices)


async def test_create_without_a_groups_channel_is_refused(
    service: GroupService, participants: ParticipantService, session: Session, database: Database, clock: ManualClock
) -> None:
    """A clear message and nothing stored."""
    await join_people(participants, COMMUNITIES)
    async with database.unit_of_work() as uow:
        await uow.repo(SqlProgrammeRepository).update(1001, {"groups_channel_id": None}, now=clock.now())
        await uow.commit()
    view = await service.propose(FACILITATOR, session.id)
    with pytest.raises(GroupsChannelMissingError, match="groups_channel"):
        await service.create(FACILITATOR, view.proposal.id)
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlGroupRepository).groups(session.id) == []
        assert (await uow.repo(SqlGroupRepository).proposal(view.proposal.id)).status is ProposalStatus.OPEN


async def test_second_groups_for_one_session_are_refused_until_dissolved(
    service: GroupService, participants: ParticipantService, session: Session, engine: Dispatcher, threads: FakeThreads
) -> None:
    """Dissolve archives the threads and lets new groups be made."""
    await join_people(participants, COMMUNITIES)
    await service.create(FACILITATOR, (await service.propose(FACILITATOR, session.id)).proposal.id)
    await engine.run_due()
    second = await service.propose(FACILITATOR, session.id)
    with pytest.raises(GroupsExistError):
        await service.create(FACILITATOR, second.proposal.id)
    assert await service.dissolve(FACILITATOR, session.id) == 2
    await engine.run_due()
    assert all(t.archived for t in threads.threads.values())
    with pytest.raises(NoGroupsError):
        await service.show(FACILITATOR, session.id)
    third = await service.propose(FACILITATOR, session.id)
    assert len((await service.create(FACILITATOR, third.proposal.id)).groups) == 2


async def test_people_who_left_are_left_out(
    service: GroupService, participants: ParticipantService, session: Session
) -> None:
    """Someone who left between the proposal and Create is not placed."""
    await join_people(participants, COMMUNITIES)
    view = await service.propose(FACILITATOR, session.id)
    await participants.mark_left(1001, 100)
    created = await service.create(FACILITATOR, view.proposal.id)
    assert 100 not in {m for g in created.groups for m in g.members}
    assert created.notes
    with pytest.raises(NotAParticipantError):
        await service.join_late(member(100), session.id)


async def test_a_late_joiner_goes_to_the_smallest_group_without_their_community(
    service: GroupService,
    participants: ParticipantService,
    session: Session,
    engine: Dispatcher,
    threads: FakeThreads,
    database: Database,
    clock: ManualClock,
) -> None:
    """Placed once (pressing again says where they are) and added to that group's thread."""
    await join_people(participants, {**COMMUNITIES, 200: "community 0", 201: "late community"})
    await rsvp(database, clock, session, *COMMUNITIES)
    view = await service.propose(FACILITATOR, session.id, size=4)
    await service.create(FACILITATOR, view.proposal.id)
    await engine.run_due()
    placed = await service.join_late(member(200), session.id)
    assert not placed.already
    assert not {100, 101} & set(placed.group.members)
    again = await service.join_late(member(200), session.id)
    assert again.already and again.group.id == placed.group.id
    second = await service.join_late(member(201), session.id)
    assert second.group.id != placed.group.id  # the smallest group (4, not 5)
    await engine.run_due()
    assert 200 in threads.threads[placed.group.thread_id].members
    assert 201 in threads.threads[second.group.thread_id].members


async def test_move_takes_someone_from_one_thread_to_another(
    service: GroupService, participants: ParticipantService, session: Session, engine: Dispatcher, threads: FakeThreads
) -> None:
    """The member row and both threads follow the move."""
    await join_people(participants, COMMUNITIES)
    await service.create(FACILITATOR, (await service.propose(FACILITATOR, session.id, size=4)).proposal.id)
    await engine.run_due()
    before = await service.show(FACILITATOR, session.id)
    source = next(g for g in before.groups if 100 in g.members)
    target = next(g for g in before.groups if g.id != source.id)
    moved = await service.move(FACILITATOR, session.id, 100, target.number)
    assert (moved.from_number, moved.to_number) == (source.number, target.number)
    await engine.run_due()
    assert 100 not in threads.threads[source.thread_id].members
    assert 100 in threads.threads[target.thread_id].members


async def test_threads_are_archived_after_the_session(
    service: GroupService,
    participants: ParticipantService,
    session: Session,
    engine: Dispatcher,
    threads: FakeThreads,
    clock: ManualClock,
    programme: Programme,
) -> None:
    """group_archive_hours (24) after the session ends."""
    await join_people(participants, COMMUNITIES)
    await service.create(FACILITATOR, (await service.propose(FACILITATOR, session.id)).proposal.id)
    await engine.run_due()
    assert not any(t.archived for t in threads.threads.values())
    clock.set(session.ends_at + timedelta(hours=programme.group_archive_hours, minutes=1))
    await engine.run_due()
    assert all(t.archived and t.locked for t in threads.threads.values())


async def test_groups_before_makes_groups_automatically(
    service: GroupService,
    participants: ParticipantService,
    engine: Dispatcher,
    threads: FakeThreads,
    clock: ManualClock,
    database: Database,
    programme: Programme,
) -> None:
    """The follower plans groups_auto; at its time groups and threads are made without anyone pressing."""
    await join_people(participants, COMMUNITIES)
    async with database.unit_of_work() as uow:
        programme = await uow.repo(SqlProgrammeRepository).update(1001, {"groups_before_minutes": 15}, now=clock.now())
        await uow.commit()
    session = await add_session(database, clock, 2)
    async with database.unit_of_work() as uow:
        due = await GroupsFollower(clock, engine).session_saved(uow, programme, session)
        await uow.commit()
    assert due == session.starts_at - timedelta(minutes=15)
    clock.set(due + timedelta(seconds=1))
    await engine.run_due()
    await engine.run_due()
    shown = await service.show(FACILITATOR, session.id)
    assert len(shown.groups) == 2 and all(g.thread_id for g in shown.groups)
    assert [d.status for d in await deliveries_of(database, GROUPS_AUTO)] == [DeliveryStatus.SENT]


async def test_repeat_pairings_are_avoided_in_the_next_session(
    service: GroupService, participants: ParticipantService, session: Session, database: Database, clock: ManualClock
) -> None:
    """Session 2's groups count session 1's pairs as met."""
    people = {100 + i: None for i in range(12)}
    await join_people(participants, people)
    await service.create(FACILITATOR, (await service.propose(FACILITATOR, session.id, size=3, seed=1)).proposal.id)
    second = await add_session(database, clock, 2, days=8)
    view = await service.propose(FACILITATOR, second.id, size=3, seed=1)
    assert view.repeat_pairs == 0


async def test_coaches_are_placed_one_per_group(
    service: GroupService, participants: ParticipantService, session: Session, roles: FakeRoles
) -> None:
    """Holders of the peer coach role among the people become coaches, not members."""
    await join_people(participants, {**COMMUNITIES, 300: "coaches", 301: "coaches"})
    roles.members[COACH_ROLE] = frozenset({300, 301})
    view = await service.propose(FACILITATOR, session.id, size=6)
    assert sorted(g.coach_id for g in view.proposal.groups) == [300, 301]
    assert not {300, 301} & {m for g in view.proposal.groups for m in g.members}
    assert view.coaches == 2


async def test_a_coach_sees_marks_and_nudges_only_their_own_group(
    service: GroupService,
    participants: ParticipantService,
    session: Session,
    roles: FakeRoles,
    engine: Dispatcher,
    sender: FakeSender,
    threads: FakeThreads,
    database: Database,
) -> None:
    """Counts, not answers; their members only; one nudge per group per day through the engine."""
    await join_people(participants, {**COMMUNITIES, 300: "coaches", 301: "coaches"})
    roles.members[COACH_ROLE] = frozenset({300, 301})
    await service.create(FACILITATOR, (await service.propose(FACILITATOR, session.id)).proposal.id)
    await engine.run_due()
    coach = member(300, coach=True)
    view = await service.coach_view(coach, session.id)
    [mine] = view.groups
    assert mine.group.coach_id == 300
    other = next(g for g in (await service.show(FACILITATOR, session.id)).groups if g.coach_id == 301)
    assert await service.coach_mark(coach, session.id, [mine.group.members[0]]) == {mine.group.members[0]}
    with pytest.raises(NotTheirGroupError):
        await service.coach_mark(coach, session.id, [other.members[0]])
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlAttendanceRepository).attendees(session.id) == {mine.group.members[0]}
    assert len((await service.coach_view(coach, session.id)).groups[0].attended) == 1
    await service.coach_nudge(coach, session.id, "How is everyone?")
    with pytest.raises(NudgedTodayError):
        await service.coach_nudge(coach, session.id)
    await engine.run_due()
    nudges = [p for p in sender.posts if p.channel_id == mine.group.thread_id and "How is everyone?" in p.text()]
    assert len(nudges) == 1
    with pytest.raises(NotTheirGroupError):
        await service.coach_view(member(100), session.id)  # not a coach
    with pytest.raises(PermissionDeniedError):
        await service.show(coach, session.id)  # coaches never see every group
    with pytest.raises(PermissionDeniedError):
        await service.propose(coach, session.id)


def test_communities_of_two_make_pairs() -> None:
    """The fixture has six communities of two."""
    assert [len(list(g)) for _, g in itertools.groupby(sorted(COMMUNITIES.values()))] == [2] * 6


async def test_someone_who_leaves_the_server_leaves_open_groups_and_their_thread(
    service: GroupService, participants: ParticipantService, session: Session, engine: Dispatcher, threads: FakeThreads
) -> None:
    """member_left removes them from the session's group and its thread (their row stays for past sessions)."""
    await join_people(participants, COMMUNITIES)
    await service.create(FACILITATOR, (await service.propose(FACILITATOR, session.id)).proposal.id)
    await engine.run_due()
    await participants.mark_left(1001, 100)
    assert await service.member_left(1001, 100) == 1
    await engine.run_due()
    shown = await service.show(FACILITATOR, session.id)
    assert all(100 not in g.members for g in shown.groups)
    assert all(100 not in threads.threads[g.thread_id].members for g in shown.groups)


async def test_voice_sessions_get_one_temporary_voice_room_per_group_removed_after(
    service: GroupService,
    participants: ParticipantService,
    engine: Dispatcher,
    threads: FakeThreads,
    sender: FakeSender,
    clock: ManualClock,
    database: Database,
    programme: Programme,
) -> None:
    """With groups_voice_category set, a voice session's groups each get a voice room, named in the welcome."""
    from bot.core.programme.domain import Location, LocationKind
    from bot.core.programme.repository import SqlSessionRepository

    async with database.unit_of_work() as uow:
        await uow.repo(SqlProgrammeRepository).update(1001, {"groups_voice_category_id": 4400}, now=clock.now())
        session = await uow.repo(SqlSessionRepository).add(
            NewSession(
                1001,
                5,
                "In voice",
                "",
                "",
                clock.now() + timedelta(days=1),
                60,
                Location(LocationKind.VOICE, channel_id=3001),
            ),
            now=clock.now(),
        )
        await uow.commit()
    await join_people(participants, COMMUNITIES)
    await service.create(FACILITATOR, (await service.propose(FACILITATOR, session.id)).proposal.id)
    await engine.run_due()
    shown = await service.show(FACILITATOR, session.id)
    rooms = {g.voice_channel_id for g in shown.groups}
    assert None not in rooms and set(threads.voice_channels) == rooms
    assert all(category == 4400 for category, _ in threads.voice_channels.values())
    assert all("voice room" in p.text() for p in sender.posts if p.channel_id in threads.threads)
    clock.set(session.ends_at + timedelta(hours=25))
    await engine.run_due()
    assert threads.voice_channels == {}
