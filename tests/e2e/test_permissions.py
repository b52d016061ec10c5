"""Facilitator commands and buttons refuse everyone else at RUNTIME, whatever Discord's client shows.

Commands are discovered from the synced command tree (fake.commands()), so cogs added later are covered
without editing this file. A command counts as a facilitator command when its definition carries
default_member_permissions (how Blether marks them). Every call uses strict=False: the fake then skips
Discord's client-side default_member_permissions rule, which is exactly what a server admin does when
they remove or loosen that default in Server Settings → Integrations. The bot's own check must refuse.
"""

import asyncio
from typing import Any

import pytest

from tests.e2e.harness import RunningBot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import walk_components
from tests.hardening import database as db
from tests.hardening.checks import refusal_problem, reply_problem
from tests.hardening.commands import Leaf, leaves, plausible_options
from tests.hardening.components import facilitator_examples
from tests.hardening.tamper import click_with_id

pytestmark = pytest.mark.e2e


def facilitator_leaves(fake: FakeDiscord) -> list[Leaf]:
    """Return every facilitator subcommand currently synced."""
    return [leaf for leaf in leaves(fake.commands()) if leaf.facilitator_only]


async def refusals(fake: FakeDiscord, bot: RunningBot, users: list[Any], *, everything: bool) -> list[str]:
    """Invoke every facilitator command as each user; return every call that was not a clean refusal."""
    problems: list[str] = []
    for leaf in facilitator_leaves(fake):
        for user in users:
            options = plausible_options(fake, leaf, everything=everything)
            before = await db.snapshot(bot.database)
            ix = await fake.slash(leaf.path, options, user=user, strict=False)
            text = await ix.settle(timeout=10)
            problem = refusal_problem(text, ix.ephemeral)
            changed = db.changed_tables(before, await db.snapshot(bot.database))
            if problem:
                problems.append(f"{leaf} as {user.name} {options}: {problem}")
            if changed:
                problems.append(f"{leaf} as {user.name} {options}: database changed {changed}")
    return problems


async def set_up_programme(fake: FakeDiscord) -> bool:
    """Run /programme setup as fran (Facilitator role as the facilitator role); False if the command is absent."""
    paths = {leaf.path for leaf in leaves(fake.commands())}
    if "programme setup" not in paths:
        return False
    options = {
        "timezone": "Europe/London",
        "announcements": fake.channels.announcements,
        "reflections": fake.channels.reflections,
        "flash_reports": fake.channels.flash_reports,
        "facilitator_role": fake.roles.facilitator,
        "participant_role": fake.roles.participant,
        "facilitator_channel": fake.channels.facilitators,
    }
    definition = next(leaf for leaf in leaves(fake.commands()) if leaf.path == "programme setup")
    known = {o["name"] for o in definition.options}
    ix = await fake.slash("programme setup", {k: v for k, v in options.items() if k in known}, user=fake.users.fran)
    text = await ix.settle(timeout=10)
    assert reply_problem(text) is None, text
    return True


async def test_facilitator_commands_refuse_participants_and_members_without_a_role(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    """Every default_member_permissions command refuses pat and nora privately and changes nothing.

    strict=False simulates an admin who removed default_member_permissions: only the runtime check is left.
    Checked before the programme exists and again after /programme setup (when it exists).
    """
    if not facilitator_leaves(fake):
        pytest.skip("no facilitator commands are synced yet")
    users = [fake.users.pat, fake.users.nora]
    problems = await refusals(fake, bot, users, everything=False)
    if await set_up_programme(fake):
        problems += await refusals(fake, bot, users, everything=False)
    assert problems == [], "\n".join(problems)


async def test_facilitator_is_not_refused_programme_show(fake: FakeDiscord, bot: RunningBot) -> None:
    """fran (Facilitator) gets the programme from /programme show after setup, not a refusal."""
    if not await set_up_programme(fake):
        pytest.skip("/programme setup is not synced yet")
    ix = await fake.slash("programme show", user=fake.users.fran)
    text = await ix.settle(timeout=10)
    assert reply_problem(text) is None, text
    assert "Europe/London" in text
    assert "only facilitators" not in text.lower()


async def test_facilitator_buttons_refuse_participants(fake: FakeDiscord, bot: RunningBot) -> None:
    """A well-formed click on every facilitator DynamicItem (publish/intro/skip/close …) is refused for pat."""
    examples = facilitator_examples(bot.bot)
    if not examples:
        pytest.skip("no persistent facilitator buttons are registered yet")
    await set_up_programme(fake)
    host = await bot.services.sender.post(fake.channels.facilitators.id, _plain("buttons live here"))
    message = fake.message(host.message_id)
    problems: list[str] = []
    for custom_id, item in examples:
        before = await db.snapshot(bot.database)
        ix = await click_with_id(fake, message, custom_id, fake.users.pat)
        text = await ix.settle(timeout=10)
        problem = refusal_problem(text, ix.ephemeral)
        changed = db.changed_tables(before, await db.snapshot(bot.database))
        if problem:
            problems.append(f"{custom_id} ({item.__name__}) as pat: {problem}")
        if changed:
            problems.append(f"{custom_id} ({item.__name__}) as pat: database changed {changed}")
    assert problems == [], "\n".join(problems)


async def test_facilitator_forms_refuse_participants(fake: FakeDiscord, bot: RunningBot) -> None:
    """A participant who submits the Flash Report intro form (opened by a facilitator, or forged) is refused."""
    assert await set_up_programme(fake)
    draft = await fake.slash("flash draft", user=fake.users.fran)
    assert reply_problem(await draft.settle(timeout=10)) is None
    messages = [m for m in (draft.original, *draft.followups) if m is not None]
    found = [
        (m, c["custom_id"])
        for m in messages
        for c in walk_components(m.components)
        if str(c.get("custom_id", "")).startswith("blether:flash:intro:")
    ]
    assert found, "the draft has no Edit intro button"
    holder, intro_id = found[-1]
    opened = await fake.click(holder, intro_id, user=fake.users.fran)
    await opened.settle(timeout=10)
    assert opened.modal is not None
    components = opened.modal["components"]
    for user in (fake.users.pat, fake.users.nora):
        before = await db.snapshot(bot.database)
        ix = await fake.submit_modal(
            opened.modal["custom_id"], {"intro": "Hijacked!"}, user=user, components=components, strict=False
        )
        text = await ix.settle(timeout=10)
        assert refusal_problem(text, ix.ephemeral) is None, (user.name, text)
        assert db.changed_tables(before, await db.snapshot(bot.database)) == {}, user.name


def _plain(content: str) -> Any:
    from bot.core.messages import OutboundMessage

    return OutboundMessage(content=content)


async def make_nora_a_coach(fake: FakeDiscord, bot: RunningBot) -> int:
    """Give nora the peer coach role, make groups for session 1 with her coaching one; return the session id."""
    from datetime import UTC, datetime, timedelta

    from bot.core.actors import Actor
    from bot.core.delivery.repository import SqlDeliveryRepository
    from bot.core.programme.domain import Location, NewSession
    from bot.core.programme.repository import SqlSessionRepository

    coach = await fake.create_role("coach", "Peer Coach")
    groups_channel = await fake.create_text_channel("groups", "groups")
    await fake.set_roles(fake.users.nora, [coach])
    setup = await fake.slash("programme setup", {"groups_channel": groups_channel, "peer_coach_role": coach})
    assert reply_problem(await setup.settle(timeout=10)) is None
    now = datetime.now(UTC)
    async with bot.database.unit_of_work() as uow:
        session = await uow.repo(SqlSessionRepository).add(
            NewSession(fake.guild_id, 1, "Coached", "", "", now + timedelta(days=1), 90, Location()), now=now
        )
        await uow.commit()
    for index, member in enumerate(fake.add_members(6)):
        await bot.services.participants.join(Actor(fake.guild_id, member.id), community=f"c{index}")
    await bot.services.participants.join(Actor(fake.guild_id, fake.users.nora.id), community="coaches")
    fran = Actor(fake.guild_id, fake.users.fran.id, can_manage_events=True)
    proposal = await bot.services.groups.propose(fran, session.id, size=3)
    created = await bot.services.groups.create(fran, proposal.proposal.id)
    assert any(g.coach_id == fake.users.nora.id for g in created.groups)
    await fake.wait_until(
        lambda: (
            len(fake.threads(groups_channel)) == len(created.groups)
            and all(fake.channel_messages(t) for t in fake.threads(groups_channel))
        ),
        timeout=20,
        what="the group threads and their welcomes",
    )
    for _ in range(100):  # the welcomes are recorded as sent just after they are posted
        async with bot.database.unit_of_work() as uow:
            rows = await uow.repo(SqlDeliveryRepository).list(kind="group_thread")
        if all(str(r.status) == "sent" for r in rows):
            break
        await asyncio.sleep(0.05)
    return session.id


async def test_a_peer_coach_is_refused_every_facilitator_command_and_button(fake: FakeDiscord, bot: RunningBot) -> None:
    """nora coaches a group (peer coach role): still no export, report, setup, other groups or proposal buttons."""
    assert await set_up_programme(fake)
    await make_nora_a_coach(fake, bot)
    problems = await refusals(fake, bot, [fake.users.nora], everything=False)
    host = await bot.services.sender.post(fake.channels.facilitators.id, _plain("buttons live here"))
    message = fake.message(host.message_id)
    for custom_id, item in facilitator_examples(bot.bot):
        before = await db.snapshot(bot.database)
        ix = await click_with_id(fake, message, custom_id, fake.users.nora)
        problem = refusal_problem(await ix.settle(timeout=10), ix.ephemeral)
        changed = db.changed_tables(before, await db.snapshot(bot.database))
        if problem or changed:
            problems.append(f"{custom_id} ({item.__name__}) as the coach nora: {problem or changed}")
    assert problems == [], "\n".join(problems)


async def test_coach_commands_refuse_people_who_coach_no_group(fake: FakeDiscord, bot: RunningBot) -> None:
    """/coach view|mark|nudge refuse pat (no coach role, no group) privately and change nothing; nora may."""
    assert await set_up_programme(fake)
    await make_nora_a_coach(fake, bot)
    coach_leaves = [leaf for leaf in leaves(fake.commands()) if leaf.path.startswith("coach ")]
    assert {leaf.path for leaf in coach_leaves} == {"coach view", "coach mark", "coach nudge"}
    problems: list[str] = []
    for leaf in coach_leaves:
        options = plausible_options(fake, leaf) | {"session": 1}
        before = await db.snapshot(bot.database)
        ix = await fake.slash(leaf.path, options, user=fake.users.pat, strict=False)
        problem = refusal_problem(await ix.settle(timeout=10), ix.ephemeral)
        changed = db.changed_tables(before, await db.snapshot(bot.database))
        if problem or changed:
            problems.append(f"{leaf} as pat {options}: {problem or changed}")
    assert problems == [], "\n".join(problems)
    view = await fake.slash("coach view", {"session": 1}, user=fake.users.nora)
    text = await view.settle(timeout=10)
    assert reply_problem(text) is None and "attended" in text, text
