"""Small groups end to end through the fake Discord: make and create, private threads, a late joiner, a peer
coach's nudge and refused export, and a SIGKILL while threads are being made."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.actors import Actor
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.groups.deliveries import GROUP_THREAD
from bot.core.groups.ids import join_button_id, proposal_button_id
from bot.core.groups.repository import SqlGroupRepository
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Location, NewSession, Programme
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.storage.database import Database
from bot.core.storage.migrations import upgrade_to_head
from tests.e2e.harness import Bots, RunningBot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import CHANNEL_PRIVATE_THREAD, Channel, Message

pytestmark = [pytest.mark.e2e]

THREADS = "/channels/{channel_id}/threads"


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    """Return a message's buttons by custom_id."""
    return {
        item["custom_id"]: item
        for row in message.components
        for item in row.get("components", [])
        if "custom_id" in item
    }


async def join_everyone(services_participants: ParticipantService, guild_id: int, user_ids: list[int]) -> None:
    """Register people two per community."""
    for index, user_id in enumerate(user_ids):
        await services_participants.join(Actor(guild_id, user_id), community=f"community {index // 2}")


def welcomed(fake: FakeDiscord, thread: Channel) -> list[Message]:
    """Return the bot's welcome messages in a thread."""
    return [m for m in fake.channel_messages(thread) if "Group" in m.text() and "Listening well" in m.text()]


async def test_groups_are_made_created_joined_late_and_coached(fake: FakeDiscord, bot: RunningBot) -> None:
    """Make → Create: one private thread per group with its members and coach; Join a group; a coach nudges
    their own group and is refused an export."""
    services = bot.services
    coach_role = await fake.create_role("coach", "Peer Coach")
    groups_channel = await fake.create_text_channel("groups", "groups")
    await fake.set_roles(fake.users.nora, [coach_role])
    setup = await fake.slash(
        "programme setup",
        {
            "timezone": "Europe/London",
            "reflections": fake.channels.reflections,
            "facilitator_channel": fake.channels.facilitators,
            "groups_channel": groups_channel,
            "peer_coach_role": coach_role,
        },
    )
    await setup.settle()
    now = datetime.now(UTC)
    async with bot.database.unit_of_work() as uow:
        session = await uow.repo(SqlSessionRepository).add(
            NewSession(
                fake.guild_id, 1, "Listening well", "Hearing each other", "", now + timedelta(days=1), 90, Location()
            ),
            now=now,
        )
        await uow.commit()
    people = [m.id for m in fake.add_members(8)]
    await join_everyone(services.participants, fake.guild_id, people)
    await services.participants.join(Actor(fake.guild_id, fake.users.nora.id), community="coaches")

    refused = await fake.slash("groups make", {"session": 1, "size": 13})
    assert "3 to 12" in await refused.settle()
    make = await fake.slash("groups make", {"session": 1, "size": 3})
    await make.settle(timeout=10)
    proposal = make.last_reply()
    assert proposal is not None and proposal.ephemeral
    create_id = next(cid for cid in buttons(proposal) if cid.startswith("blether:groups:create:"))
    create = await fake.click(proposal, create_id)
    assert "Created" in await create.settle(timeout=10)

    await fake.wait_until(
        lambda: len(fake.threads(groups_channel)) == 3 and all(welcomed(fake, t) for t in fake.threads(groups_channel)),
        timeout=20,
        what="three group threads with their welcomes",
    )
    async with bot.database.unit_of_work() as uow:
        groups = await uow.repo(SqlGroupRepository).groups(session.id)
    threads = {t.id: t for t in fake.threads(groups_channel)}
    assert sorted(g.thread_id for g in groups) == sorted(threads)
    for group in groups:
        thread = threads[group.thread_id]
        assert thread.type == CHANNEL_PRIVATE_THREAD and not thread.invitable
        expected = set(group.members) | {fake.users.bot.id} | ({group.coach_id} if group.coach_id else set())
        assert set(thread.thread_members) == expected
        assert len(welcomed(fake, thread)) == 1
    assert sum(g.coach_id == fake.users.nora.id for g in groups) == 1
    assert sorted(m for g in groups for m in g.members) == sorted(people)

    # A late joiner presses "Join a group" on the reflection card.
    pat = fake.users.pat
    await services.participants.join(Actor(fake.guild_id, pat.id), community="community 0")
    await services.reflections.open_poll(Actor(fake.guild_id, fake.users.fran.id, can_manage_events=True), session.id)
    card = await fake.wait_for_message(
        fake.channels.reflections, lambda m: join_button_id(session.id) in buttons(m), timeout=10
    )
    join = await fake.click(card, join_button_id(session.id), user=pat)
    said = await join.settle(timeout=10)
    assert "You are now in Group" in said
    await fake.wait_until(
        lambda: any(pat.id in t.thread_members for t in fake.threads(groups_channel)), timeout=10, what="pat added"
    )
    placed = next(t for t in fake.threads(groups_channel) if pat.id in t.thread_members)
    community_zero = {people[0], people[1]}
    assert not community_zero & set(placed.thread_members)  # the group without someone from community 0
    again = await fake.click(card, join_button_id(session.id), user=pat)
    assert "already in Group" in await again.settle(timeout=10)

    # The coach nudges their own group (once a day) and sees counts; an export is refused.
    nudge = await fake.slash(
        "coach nudge", {"session": 1, "message": "How is everyone getting on?"}, user=fake.users.nora
    )
    assert "on its way" in await nudge.settle(timeout=10)
    coached = next(g for g in groups if g.coach_id == fake.users.nora.id)
    await fake.wait_for_message(
        threads[coached.thread_id], lambda m: "How is everyone getting on?" in m.text(), timeout=10
    )
    second = await fake.slash("coach nudge", {"session": 1}, user=fake.users.nora)
    assert "already nudged today" in await second.settle(timeout=10)
    view = await fake.slash("coach view", {"session": 1}, user=fake.users.nora)
    assert "0/" in await view.settle(timeout=10)
    export = await fake.slash("export", {}, user=fake.users.nora, strict=False)
    assert "Only facilitators" in await export.settle(timeout=10)
    outsider = await fake.slash("coach view", {"session": 1}, user=fake.users.sam)
    assert "peer coach" in await outsider.settle(timeout=10)
    assert fake.ping_violations() == []


async def seed(fake: FakeDiscord, url: str, groups_channel: int, now: datetime) -> tuple[int, list[int]]:
    """Create the programme, session 1 and twelve participants before the bot starts; return the session id."""
    await upgrade_to_head(url)
    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            await uow.repo(SqlProgrammeRepository).create(
                Programme(
                    id=0,
                    guild_id=fake.guild_id,
                    facilitator_channel_id=fake.channels.facilitators.id,
                    groups_channel_id=groups_channel,
                ),
                now=now,
            )
            session = await uow.repo(SqlSessionRepository).add(
                NewSession(fake.guild_id, 1, "Listening well", "", "", now + timedelta(days=1), 90, Location()),
                now=now,
            )
            await uow.commit()
        people = [m.id for m in fake.add_members(12)]
        from bot.core.clock import SystemClock

        await join_everyone(ParticipantService(database, SystemClock()), fake.guild_id, people)
    finally:
        await database.dispose()
    return session.id, people


async def thread_rows(url: str) -> list[Any]:
    """Return the group_thread deliveries."""
    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            return await uow.repo(SqlDeliveryRepository).list(kind=GROUP_THREAD)
    finally:
        await database.dispose()


@pytest.mark.slow
async def test_a_sigkill_while_threads_are_made_leaves_each_group_exactly_one_thread(
    fake: FakeDiscord, fresh_database_url: str, tmp_path: Path
) -> None:
    """Discord makes a thread but the answer is lost and the bot is killed: after a restart each group has one."""
    groups_channel = await fake.create_text_channel("groups", "groups")
    session_id, people = await seed(fake, fresh_database_url, groups_channel.id, datetime.now(UTC))
    bots = Bots(fake, fresh_database_url, tmp_path)
    try:
        first, _ = await bots.start()
        await fake.wait_commands_synced()
        make = await fake.slash("groups make", {"session": 1, "size": 4})
        await make.settle(timeout=15)
        proposal = make.last_reply()
        assert proposal is not None
        create_id = next(cid for cid in buttons(proposal) if cid.startswith("blether:groups:create:"))
        assert create_id == proposal_button_id("create", int(create_id.rsplit(":", 1)[1]))
        # Discord creates the first thread but the bot never hears back; then the bot dies.
        fake.inject(THREADS, "POST", kind="reset_after")
        await fake.click(proposal, create_id)
        await fake.wait_until(lambda: fake.threads(groups_channel), timeout=20, what="a thread")
        first.kill()
        assert any(str(r.status) != "sent" for r in await thread_rows(fresh_database_url))

        second, _ = await bots.start()
        deadline = asyncio.get_running_loop().time() + 40
        while asyncio.get_running_loop().time() < deadline:
            rows = await thread_rows(fresh_database_url)
            if rows and all(str(r.status) == "sent" for r in rows):
                break
            await asyncio.sleep(0.2)
        assert [str(r.status) for r in rows] == ["sent"] * 3, second.logs()[-3000:]
        threads = fake.threads(groups_channel)
        assert len(threads) == 3  # one per group, never two
        assert len({t.name for t in threads}) == 3
        members = {u for t in threads for u in t.thread_members} - {fake.users.bot.id}
        assert members == set(people)
        for thread in threads:
            welcomes = [m for m in fake.channel_messages(thread) if m.author.id == fake.users.bot.id]
            assert len(welcomes) == 1
        second.terminate()
    finally:
        bots.stop_all()
    assert session_id


async def test_connections_over_three_rounds_with_did_you_meet(fake: FakeDiscord, fresh_database_url: str) -> None:
    """/connect on for five people from different communities; three rounds (a pair and a trio each) make
    private threads with a starter, "Did you meet?" a week later is answered with the buttons, pairs repeat only
    when no new pairing exists, and someone who ignored two introductions is paused and told by DM."""
    from bot.core.clock import ManualClock
    from bot.core.groups.ids import meet_button_id
    from bot.core.groups.repository import SqlConnectionRepository
    from tests.e2e.harness import running_bot

    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        groups_channel = await fake.create_text_channel("groups", "groups")
        setup = await fake.slash("programme setup", {"timezone": "Europe/London", "groups_channel": groups_channel})
        await setup.settle()
        people = [fake.users.pat, fake.users.sam, fake.users.nora, fake.users.fran, fake.users.owner]
        for index, user in enumerate(people):
            await running.services.participants.join(Actor(fake.guild_id, user.id), community=f"community {index}")
            on = await fake.slash("connect", {"choice": "on"}, user=user)
            assert "introduces you" in await on.settle()
        silent = fake.users.owner  # never answers
        seen: set[tuple[int, int]] = set()
        for round_number in range(3):
            clock.advance(timedelta(hours=1) if round_number == 0 else timedelta(days=7))
            await running.services.dispatcher.run_due()
            await running.services.dispatcher.run_due()
            async with running.database.unit_of_work() as uow:
                made = [
                    c
                    for c in await uow.repo(SqlConnectionRepository).of_guild(fake.guild_id)
                    if c.round_at <= clock.now() and c.asked_at is None
                ]
            expected = [2, 3] if round_number < 2 else [2, 2]  # the silent one is paused in round three
            assert sorted(len(c.members) for c in made) == expected
            this_round = {(a, b) for c in made for a in c.members for b in c.members if a < b}
            # Five people: round two cannot avoid one repeat (a trio needs three new pairs), nor can four in round
            # three; the assignment repeats no more than that.
            assert len(this_round & seen) <= (0 if round_number == 0 else 1)
            seen |= this_round
            for connection in made:
                thread = next(t for t in fake.threads(groups_channel) if t.id == connection.thread_id)
                assert set(thread.thread_members) == set(connection.members) | {fake.users.bot.id}
                assert not thread.invitable
                assert any("another community" in m.text() for m in fake.channel_messages(thread))
            clock.advance(timedelta(days=7))
            await running.services.dispatcher.run_due()
            for connection in made:
                thread = next(t for t in fake.threads(groups_channel) if t.id == connection.thread_id)
                question = await fake.wait_for_message(thread, lambda m: "Did you meet?" in m.text(), timeout=10)
                for user_id in connection.members:
                    if user_id == silent.id:
                        continue
                    click = await fake.click(question, meet_button_id("yes", connection.id), user=user_id)
                    assert "thank you" in (await click.settle()).lower()
                stranger = next(u for u in people if u.id not in connection.members and u.id != silent.id)
                refused = await fake.click(question, meet_button_id("yes", connection.id), user=stranger)
                assert "Only the people introduced" in await refused.settle()
        await running.services.dispatcher.drain_dms()
        await fake.wait_for_dm(silent, lambda m: "/connect on" in m.text(), timeout=10)
        assert fake.ping_violations() == []


async def test_a_voice_session_gets_a_voice_room_per_group_removed_after(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """groups_voice_category: each group of a voice session gets a voice channel there, named in its welcome and
    deleted when the thread is archived (the bot has Manage Channels, which voice rooms need)."""
    from bot.core.clock import ManualClock
    from bot.core.programme.domain import LocationKind
    from tests.e2e.harness import running_bot
    from tests.fakediscord import permissions as perms
    from tests.fakediscord.state import CHANNEL_VOICE

    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        groups_channel = await fake.create_text_channel("groups", "groups")
        rooms = await fake.create_category("rooms", "Group rooms")
        setup = await fake.slash(
            "programme setup",
            {
                "timezone": "Europe/London",
                "groups_channel": groups_channel,
                "groups_voice_category": rooms,
                "facilitator_channel": fake.channels.facilitators,
            },
        )
        await setup.settle()
        now = clock.now()
        async with running.database.unit_of_work() as uow:
            session = await uow.repo(SqlSessionRepository).add(
                NewSession(
                    fake.guild_id,
                    1,
                    "Listening well",
                    "",
                    "",
                    now + timedelta(days=1),
                    90,
                    Location(LocationKind.VOICE, channel_id=fake.channels.session_room.id),
                ),
                now=now,
            )
            await uow.commit()
        await join_everyone(running.services.participants, fake.guild_id, [m.id for m in fake.add_members(8)])
        fake.set_bot_permissions(perms.BOT_DEFAULT | perms.MANAGE_CHANNELS)
        make = await fake.slash("groups make", {"session": 1, "size": 4})
        await make.settle(timeout=10)
        proposal = make.last_reply()
        assert proposal is not None
        create_id = next(cid for cid in buttons(proposal) if cid.startswith("blether:groups:create:"))
        await (await fake.click(proposal, create_id)).settle(timeout=10)
        await running.services.dispatcher.run_due()

        def voice_rooms() -> list[Channel]:
            return [c for c in fake.state.channels.values() if c.type == CHANNEL_VOICE and c.parent_id == rooms.id]

        def welcomes_name_their_room() -> bool:
            rooms_by_id = {c.id for c in voice_rooms()}
            threads = fake.threads(groups_channel)
            return (
                len(rooms_by_id) == 2
                and len(threads) == 2
                and all(
                    any(f"<#{room}>" in m.text() for room in rooms_by_id for m in fake.channel_messages(t))
                    for t in threads
                )
            )

        await fake.wait_until(welcomes_name_their_room, timeout=10, what="two voice rooms named in the welcomes")
        async with running.database.unit_of_work() as uow:
            groups = await uow.repo(SqlGroupRepository).groups(session.id)
        assert {g.voice_channel_id for g in groups} == {c.id for c in voice_rooms()}
        for group in groups:
            welcome = next(t for t in fake.threads(groups_channel) if t.id == group.thread_id)
            assert any(f"<#{group.voice_channel_id}>" in m.text() for m in fake.channel_messages(welcome))
        clock.set(session.ends_at + timedelta(hours=24, minutes=1))
        await running.services.dispatcher.run_due()
        await fake.wait_until(lambda: not voice_rooms(), timeout=10, what="voice rooms removed")
        assert all(t.archived and t.locked for t in fake.threads(groups_channel))
