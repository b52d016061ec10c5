"""Connections between sessions: opt in, rounds that pair different communities without repeats, a trio for an
odd one out, a private thread and starter each, "Did you meet?" a week later, pausing after two ignored."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.evaluation.exports import ExportKind, build_tables
from bot.core.evaluation.figures import compute_programme_figures
from bot.core.evaluation.repository import load_cohort
from bot.core.groups import deliveries as group_deliveries
from bot.core.groups.assignment import pair_key
from bot.core.groups.connections import ConnectionService
from bot.core.groups.domain import MeetAnswer
from bot.core.groups.errors import NotAParticipantError, NotInConnectionError
from bot.core.groups.ids import meet_button_id
from bot.core.groups.repository import SqlConnectionRepository
from bot.core.groups.service import GroupService
from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme, Session
from bot.core.storage.database import Database
from tests.core.fakes import FakeRoles, FakeSender, FakeThreads
from tests.core.groups.conftest import GROUPS_CHANNEL, GUILD, join_people, member

PEOPLE = {100: "a", 101: "a", 102: "b", 103: "b", 104: "c", 105: "c", 106: "d"}  # seven: one trio


@pytest.fixture
async def connections(
    database: Database,
    clock: ManualClock,
    engine: Dispatcher,
    sender: FakeSender,
    threads: FakeThreads,
    roles: FakeRoles,
    programme: Programme,
    session: Session,
) -> AsyncIterator[ConnectionService]:
    """The connection service with every groups delivery registered on the real dispatcher."""
    service = ConnectionService(database, clock, engine)
    group_deliveries.register(
        engine,
        database=database,
        clock=clock,
        sender=sender,
        threads=threads,
        service=GroupService(database, clock, engine, roles),
        connections=service,
    )
    yield service


async def all_connections(database: Database) -> list:
    """Return every introduction."""
    async with database.unit_of_work() as uow:
        return await uow.repo(SqlConnectionRepository).of_guild(GUILD)


async def test_three_rounds_pair_communities_apart_never_repeat_and_ask_did_you_meet(
    connections: ConnectionService,
    participants: ParticipantService,
    engine: Dispatcher,
    clock: ManualClock,
    threads: FakeThreads,
    sender: FakeSender,
    database: Database,
) -> None:
    """Round 1 an hour after the first opt-in, then every 14 days; each introduction gets a thread and a question."""
    await join_people(participants, PEOPLE)
    for user_id in PEOPLE:
        await connections.set_connect(member(user_id), True)
    seen: set[tuple[int, int]] = set()
    for round_number in range(3):
        clock.advance(timedelta(hours=1) if round_number == 0 else timedelta(days=14) - timedelta(days=7))
        await engine.run_due()
        await engine.run_due()
        made = [c for c in await all_connections(database) if c.round_at <= clock.now()][-3:]
        if round_number < 2:  # seven people: two pairs and a trio
            assert sorted(len(c.members) for c in made) == [2, 2, 3]
        else:  # 106 ignored two introductions in a row: paused, so six people make three pairs
            assert sorted(len(c.members) for c in made) == [2, 2, 2]
            assert all(106 not in c.members for c in made)
        for connection in made:
            communities = [PEOPLE[m] for m in connection.members]
            assert len(set(communities)) == len(communities), communities
            pairs = {pair_key(a, b) for i, a in enumerate(connection.members) for b in connection.members[i + 1 :]}
            assert not pairs & seen, "a pair was repeated while new pairs were possible"
            seen |= pairs
            thread = threads.threads[
                next(c.thread_id for c in await all_connections(database) if c.id == connection.id)
            ]
            assert thread.parent_id == GROUPS_CHANNEL and thread.members == set(connection.members)
        # a week later: "Did you meet?" with Yes / Not yet / Skip; everyone answers except 106
        clock.advance(timedelta(days=7))
        await engine.run_due()
        for connection in made:
            question = [p for p in sender.posts if p.channel_id == connection.thread_id and "Did you meet?" in p.text()]
            assert len(question) == 1
            assert {b.custom_id for b in question[0].message.buttons} == {
                meet_button_id(a, connection.id) for a in ("yes", "not_yet", "skip")
            }
            for user_id in connection.members:
                if user_id != 106:
                    await connections.answer(member(user_id), connection.id, MeetAnswer.YES)
    # 106 was paused at the third round and told how to resume.
    async with database.unit_of_work() as uow:
        paused = await uow.repo(SqlConnectionRepository).preference(GUILD, 106)
    assert paused is not None and paused.paused
    await engine.drain_dms()
    assert any(d.user_id == 106 and "/connect on" in d.text() for d in sender.dms)
    resumed = await connections.set_connect(member(106), True)
    assert not resumed.paused
    figures = (await compute_programme_figures(database, GUILD, now=clock.now())).connections
    assert figures is not None
    assert (figures.introductions, figures.met_yes, figures.met_not_yet) == (9, 18, 0)
    assert figures.introduced_community_pairs >= 6


async def test_only_participants_opt_in_and_only_the_introduced_answer(
    connections: ConnectionService,
    participants: ParticipantService,
    engine: Dispatcher,
    clock: ManualClock,
    database: Database,
) -> None:
    """Someone who has not joined cannot opt in; a stranger cannot answer for an introduction."""
    with pytest.raises(NotAParticipantError):
        await connections.set_connect(member(999), True)
    await join_people(participants, {100: "a", 101: "b", 102: "c"})
    for user_id in (100, 101):
        await connections.set_connect(member(user_id), True)
    clock.advance(timedelta(hours=1, minutes=1))
    await engine.run_due()
    [connection] = await all_connections(database)
    assert set(connection.members) == {100, 101}
    with pytest.raises(NotInConnectionError):
        await connections.answer(member(102), connection.id, MeetAnswer.YES)
    answered = await connections.answer(member(100), connection.id, MeetAnswer.NOT_YET)
    assert answered.answer_of(100) is MeetAnswer.NOT_YET
    # The connections export: pseudonyms and answers of people with evaluation consent only (100, not 101).
    prompt = (await participants.join(member(100))).consent_prompt
    assert prompt is not None
    await participants.record_consent(
        member(100),
        {ConsentPurpose.EVALUATION: True, ConsentPurpose.QUOTE: False, ConsentPurpose.INTERVIEW: False},
        text_version=prompt.version,
    )
    [table] = build_tables(
        await load_cohort(database, GUILD, now=clock.now()), "q7Vd-2LxM9_rTb4Wf8Kz1NcYp6HsJe3U", ExportKind.CONNECTIONS
    )
    assert [c.name for c in table.columns] == [
        "connection_id",
        "round_at_utc",
        "round_at_local",
        "people",
        "pseudonym",
        "did_you_meet",
    ]
    assert [(row[0], row[3], row[5]) for row in table.rows] == [(connection.id, 2, "not_yet")]
    assert str(100) not in str(table.rows) and str(101) not in str(table.rows)
