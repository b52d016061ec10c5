"""Flash Reports end to end: sharing, nominating, stories, the draft's buttons, publishing once, export."""

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from bot.core.actors import Actor
from bot.core.flash import ids
from bot.core.flash.domain import IssueStatus
from bot.core.flash.export import export_issue
from bot.core.programme.domain import ProgrammeSettingsUpdate
from tests.e2e.harness import REPO_ROOT, RunningBot, running_bot
from tests.fakediscord import SPEC_UNAVAILABLE, FakeDiscord
from tests.fakediscord.state import Message

pytestmark = pytest.mark.e2e

URL_RE = re.compile(r"https://example\.org/resource/\d+/[a-z0-9-]+")


def _actor(fake: FakeDiscord, member: object, *, facilitator: bool = False) -> Actor:
    return Actor(
        guild_id=fake.guild_id,
        user_id=member.id,  # type: ignore[attr-defined]
        display_name=member.name,  # type: ignore[attr-defined]
        can_manage_events=facilitator,
        role_ids=frozenset(member.roles),  # type: ignore[attr-defined]
    )


async def _set_up(fake: FakeDiscord, running: RunningBot) -> Actor:
    """Create the programme (flash-reports channel, facilitator role) as fran; return fran's Actor."""
    fran = _actor(fake, fake.users.fran, facilitator=True)
    await running.services.programme.setup(
        fran,
        ProgrammeSettingsUpdate(
            timezone="Europe/London",
            flash_reports_channel_id=fake.channels.flash_reports.id,
            facilitator_channel_id=fake.channels.facilitators.id,
            facilitator_role_id=fake.roles.facilitator.id,
            participant_role_id=fake.roles.participant.id,
        ),
    )
    return fran


async def _consent_to_quotes(running: RunningBot, actor: Actor, granted: bool = True) -> None:
    text = await running.services.participants.consent_text(actor.guild_id)
    await running.services.participants.record_consent(actor, {"quote": granted}, text_version=text.version)


def _issue_messages(fake: FakeDiscord) -> list[Message]:
    return [m for m in fake.channel_messages(fake.channels.flash_reports) if m.author_id == fake.users.bot.id]


async def _wait_published(running: RunningBot, guild_id: int, number: int, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        page = await running.services.flash.archive(Actor(guild_id=guild_id, user_id=1))
        if any(s.number == number for s in page.issues):
            issue = (await running.services.flash.issue(Actor(guild_id=guild_id, user_id=1), number)).issue
            if issue.status is IssueStatus.PUBLISHED:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"Flash Report #{number} was not published within {timeout}s")


def _all_limits_respected(fake: FakeDiscord) -> None:
    assert fake.limit_violations() == []
    errors = fake.spec_errors()
    assert errors is SPEC_UNAVAILABLE or errors == []


# -- collecting ---------------------------------------------------------------------------------------------


async def test_share_credits_the_sharer_and_refuses_bad_input_clearly(fake: FakeDiscord, bot: RunningBot) -> None:
    """/share stores a good link with a preview; bad, dangerous, oversized and duplicate shares store nothing."""
    fran = await _set_up(fake, bot)
    ix = await fake.slash(
        "share",
        {"url": "https://example.org/toolkit", "title": "Community toolkit", "note": "Great start", "tags": "toolkit"},
        user=fake.users.pat,
    )
    text = await ix.settle()
    assert ix.ephemeral
    assert "pat" in text.lower() and "Community toolkit" in text and "https://example.org/toolkit" in text

    async def refused(options: dict[str, str]) -> str:
        handle = await fake.slash("share", options, user=fake.users.sam)
        reply = await handle.settle()
        assert handle.ephemeral
        return reply

    assert "https://" in await refused({"url": "notalink"})
    assert "javascript:" in await refused({"url": "javascript:alert(1)"})
    long_title = await refused({"url": "https://example.org/other", "title": "x" * 200})
    assert "title" in long_title.lower() and "150" in long_title
    duplicate = await refused({"url": "https://example.org/toolkit"})
    assert "pat" in duplicate.lower()
    page = await bot.services.flash.list_items(fran)
    assert page.total == 1


async def test_context_menu_and_facilitator_pin_nominate_but_a_participant_pin_does_not(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    """"Add to Flash Report" and fran's 📌 nominate a message; pat's 📌 does nothing."""
    fran = await _set_up(fake, bot)
    by_menu = await fake.user_message(fake.channels.general, fake.users.sam, "Try https://example.org/menu for maps")
    ix = await fake.context_menu("Add to Flash Report", by_menu, user=fake.users.pat)
    assert "Added" in await ix.settle()
    assert ix.ephemeral

    pinned = await fake.user_message(fake.channels.general, fake.users.sam, "Our garden opened today")
    ignored = await fake.user_message(fake.channels.general, fake.users.sam, "Lunch was nice")
    await fake.react(ignored, "📌", fake.users.pat)
    await fake.react(pinned, "📌", fake.users.fran)

    async def nominated_ids() -> set[int]:
        page = await bot.services.flash.list_items(fran, kind=None)
        return {item.source_message_id for item in page.items if item.source_message_id}

    await fake.wait_until(lambda: True, timeout=1, what="events")
    for _ in range(50):
        if pinned.id in await nominated_ids():
            break
        await asyncio.sleep(0.1)
    assert await nominated_ids() == {by_menu.id, pinned.id}
