"""Flash Reports end to end: sharing, nominating, stories, the draft's buttons, publishing once, export."""

import asyncio
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.delivery.domain import DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.flash import ids
from bot.core.flash.deliveries import issue_target
from bot.core.flash.domain import Issue, IssueStatus
from bot.core.flash.export import export_issue
from bot.core.flash.repository import SqlFlashIssueRepository
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
    return [m for m in fake.channel_messages(fake.channels.flash_reports) if m.author.id == fake.users.bot.id]


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
    """ "Add to Flash Report" and fran's 📌 nominate a message; pat's 📌 does nothing."""
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


async def test_a_message_nominated_from_a_private_channel_is_marked_restricted(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    """A message in the facilitators' private channel (neither @everyone nor the participant role can see it) is
    kept as restricted and the nominator is told it waits for its author; one in #general is not restricted."""
    fran = await _set_up(fake, bot)
    private = await fake.user_message(fake.channels.facilitators, fake.users.fran, "Between us: https://example.org/p")
    ix = await fake.context_menu("Add to Flash Report", private, user=fake.users.fran)
    assert "not everyone in the programme can see" in await ix.settle()
    public = await fake.user_message(fake.channels.general, fake.users.sam, "For all: https://example.org/all")
    ix = await fake.context_menu("Add to Flash Report", public, user=fake.users.pat)
    assert "not everyone" not in await ix.settle()
    page = await bot.services.flash.list_items(fran)
    assert {i.source_message_id: i.restricted for i in page.items} == {private.id: True, public.id: False}


# -- draft, intro, publishing -----------------------------------------------------------------------------------


def _with_button(ix: object, custom_id: str) -> Message:
    messages = [m for m in (ix.original, *ix.followups) if m is not None]  # type: ignore[attr-defined]
    found = [m for m in messages if m.find_component(custom_id) is not None]
    assert found, f"no message with {custom_id}"
    return found[-1]


async def test_stories_draft_intro_and_publish_once(fake: FakeDiscord, bot: RunningBot, tmp_path: Path) -> None:
    """Stories honour quote consent; the draft's Edit intro and Publish now work; publishing twice posts once."""
    fran = await _set_up(fake, bot)
    pat = _actor(fake, fake.users.pat)
    await _consent_to_quotes(bot, pat)
    await bot.services.flash.share_resource(pat, "https://example.org/garden", "Garden guide", "How we did it")

    ix = await fake.slash(
        "story", {"text": "We opened a tool library.", "credit_me_by_name": True}, user=fake.users.pat
    )
    assert "with your name" in await ix.settle()
    ix = await fake.slash("story", {"text": "Our bus route came back."}, user=fake.users.sam)
    assert "agree to be quoted" in await ix.settle()

    draft = await fake.slash("flash draft", user=fake.users.fran)
    text = await draft.settle()
    assert draft.ephemeral
    assert "Draft of Flash Report #1" in text and "tool library" in text and "bus route" not in text

    issue_id = (await bot.services.flash.build_draft(fran)).issue.id
    holder = _with_button(draft, ids.intro_id(issue_id))
    opened = await fake.click(holder, ids.intro_id(issue_id), user=fake.users.fran)
    await opened.settle()
    assert opened.modal is not None
    modal_id = opened.modal["custom_id"]
    submitted = await fake.submit_modal(modal_id, {"intro": "Hello from the March gathering!"}, user=fake.users.fran)
    assert "saved" in await submitted.settle()

    publish = await fake.click(holder, ids.publish_id(issue_id), user=fake.users.fran)
    assert "going out" in await publish.settle()
    await _wait_published(bot, fake.guild_id, 1)
    posted = _issue_messages(fake)
    assert posted and "Hello from the March gathering!" in posted[0].text()
    assert "Garden guide" in "\n".join(m.text() for m in posted)
    assert "bus route" not in "\n".join(m.text() for m in posted)

    again = await fake.slash("flash publish", user=fake.users.fran)
    assert "already" in await again.settle()
    twice = await fake.click(holder, ids.publish_id(issue_id), user=fake.users.fran)
    assert "already" in await twice.settle()
    refused = await fake.slash("flash publish", user=fake.users.pat)  # the core checks at run time
    assert "facilitator" in (await refused.settle()).lower()
    await asyncio.sleep(0.5)
    assert len(_issue_messages(fake)) == len(posted)
    assert all(count == 1 for count in fake.nonce_counts.values())

    latest = await fake.slash("flash latest", user=fake.users.pat)
    assert "Flash Report #1" in await latest.settle()
    archive = await fake.slash("flash archive", user=fake.users.pat)
    assert "Flash Report #1" in await archive.settle()

    snapshot = (await bot.services.flash.latest(pat)).snapshot
    markdown = await export_issue(bot.database, fake.guild_id, 1, "md")
    html = await _cli_export(fake, bot, tmp_path, "html")
    for entry in snapshot.content.resources:
        assert entry.title in markdown and entry.title in html
        assert entry.url in markdown and entry.url in html
    assert "tool library" in markdown and "tool library" in html


async def _cli_export(fake: FakeDiscord, running: RunningBot, tmp_path: Path, fmt: str) -> str:
    """Run `blether flash export 1 --guild ID --format fmt --out FILE` against the bot's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_", "DATABASE_URL"))}
    env |= {"PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": running.database.url.render_as_string(hide_password=False)}
    out = tmp_path / f"issue.{fmt}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "flash", "export", "1",
        "--guild", str(fake.guild_id), "--format", fmt, "--out", str(out),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.read_text(encoding="utf-8")


async def _share_many(running: RunningBot, fake: FakeDiscord, count: int, fran: Actor) -> list[str]:
    """Share count resources from count / 10 people (the daily limit is 10 each); posted in full (size 200)."""
    await running.services.flash.set_limits(fran, issue_size=200)
    urls = []
    for n in range(count):
        sharer = Actor(guild_id=fake.guild_id, user_id=900_000 + n // 10, display_name=f"Sharer {n // 10}")
        url = f"https://example.org/resource/{n}/a-rather-long-path-so-links-take-room-{'x' * (n % 40)}"
        tag = ("toolkit", "funding", "maps", "")[n % 4]
        await running.services.flash.share_resource(
            sharer, url, f"Resource number {n} with a descriptive title", "A note " * 20, tag or None
        )
        urls.append(url)
    return urls


async def test_a_month_of_200_resources_publishes_split_within_limits(fake: FakeDiscord, bot: RunningBot) -> None:
    """200 resources go out as several messages within every Discord limit, each link whole, once."""
    fran = await _set_up(fake, bot)
    urls = await _share_many(bot, fake, 200, fran)
    ix = await fake.slash("flash publish", user=fake.users.fran)
    assert "going out" in await ix.settle()
    await _wait_published(bot, fake.guild_id, 1, timeout=60)
    posted = _issue_messages(fake)
    assert len(posted) > 1
    text = "\n".join(m.text() for m in posted)
    for url in urls:
        assert url in text
    _all_limits_respected(fake)
    assert all(count == 1 for count in fake.nonce_counts.values())
    issue = (await bot.services.flash.latest(fran)).issue
    assert len(issue.message_ids) == len(posted)


async def test_publish_interrupted_by_a_restart_posts_exactly_once(fake: FakeDiscord, fresh_database_url: str) -> None:
    """A publication under way when the bot stops finishes after the restart without duplicate parts."""
    async with running_bot(fake, fresh_database_url) as first:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        fran = await _set_up(fake, first)
        await _share_many(first, fake, 200, fran)
        await first.services.flash.publish_now(fran)
        await fake.wait_for_message(fake.channels.flash_reports, timeout=20)  # the first part is out
        fake.inject("/channels/{channel_id}/messages", "POST", kind="delay", delay=3)  # a part hangs...
        await asyncio.sleep(0.2)
        await first.services.dispatcher.stop(grace=0.5)  # ...and the bot stops under it
        parts_before = len(_issue_messages(fake))
        assert (await first.services.flash.issue(fran, 1)).issue.status is IssueStatus.PUBLISHING
    async with running_bot(fake, fresh_database_url) as second:
        await _wait_published(second, fake.guild_id, 1, timeout=60)
        issue = (await second.services.flash.latest(fran)).issue
        again = await second.services.flash.publish_now(fran)
        assert again.outcome.value.startswith("already")
    posted = _issue_messages(fake)
    assert 1 <= parts_before < len(posted)
    assert len(posted) == len(issue.message_ids) == len(set(issue.message_ids))
    assert sorted(m.id for m in posted) == sorted(issue.message_ids)
    assert all(len(messages) == 1 for messages in fake.messages_by_nonce.values())
    _all_limits_respected(fake)


# -- cadence: scheduled drafts, skipping a month, publishing on time -------------------------------------------

LONDON = ZoneInfo("Europe/London")
CADENCE_START = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)  # a Sunday; 1 April 2030 is the next first Monday


def _first_monday_at_nine(year: int, month: int) -> datetime:
    """Return 09:00 London time on the first Monday of a month, in UTC (computed without the bot's code)."""
    day = datetime(year, month, 1, 9, 0, tzinfo=LONDON)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return day.astimezone(UTC)


async def _run_deliveries(running: RunningBot) -> None:
    """Run whatever the moved clock made due, as the dispatcher's own timer would (it waits on real time)."""
    await running.services.dispatcher.run_due()


async def _draft_issue(running: RunningBot, guild_id: int) -> Issue:
    async with running.database.unit_of_work() as uow:
        found = await uow.repo(SqlFlashIssueRepository).draft(guild_id)
    assert found is not None, "no draft issue"
    return found


async def _issue_deliveries(running: RunningBot, issue_id: int) -> list[tuple[str, datetime, DeliveryStatus]]:
    """Return (kind, due_at, status) of every delivery of an issue, in due order."""
    async with running.database.unit_of_work() as uow:
        rows = await uow.repo(SqlDeliveryRepository).list(target=issue_target(issue_id))
    return [(row.kind, row.due_at, row.status) for row in rows]


def _bot_messages(fake: FakeDiscord, channel: object) -> list[Message]:
    return [m for m in fake.channel_messages(channel) if m.author.id == fake.users.bot.id]


async def _schedule_first_monday(fake: FakeDiscord, running: RunningBot) -> str:
    """Set the programme up and run /flash schedule as fran; return the reply."""
    await _set_up(fake, running)
    ix = await fake.slash("flash schedule", {"rule": "first Monday of the month at 09:00"}, user=fake.users.fran)
    text = await ix.settle()
    assert ix.ephemeral
    return text


async def test_a_scheduled_draft_can_be_skipped_only_by_a_facilitator_and_nothing_goes_out(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """/flash schedule → the draft arrives at its lead time; pat's Skip is refused; fran's moves it a month."""
    clock = ManualClock(CADENCE_START)
    april, may = _first_monday_at_nine(2030, 4), _first_monday_at_nine(2030, 5)
    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        pat = _actor(fake, fake.users.pat)
        await running.services.flash.share_resource(pat, "https://example.org/april", "April toolkit")

        reply = await _schedule_first_monday(fake, running)
        assert "first Monday of the month at 09:00" in reply and "Europe/London" in reply
        assert f"published <t:{int(april.timestamp())}:F>" in reply
        assert f"<t:{int((april - timedelta(days=2)).timestamp())}:F>" in reply  # the draft, 48 hours before
        issue = await _draft_issue(running, fake.guild_id)
        assert issue.scheduled_for == april

        # Just before the lead time nothing is posted; at it, the draft goes to the facilitators.
        clock.set(april - timedelta(days=2, minutes=1))
        await _run_deliveries(running)
        assert _bot_messages(fake, fake.channels.facilitators) == []
        clock.set(april - timedelta(days=2))
        await _run_deliveries(running)
        drafts = _bot_messages(fake, fake.channels.facilitators)
        assert len(drafts) >= 1 and "Draft of Flash Report #1" in drafts[0].text()
        assert "April toolkit" in "\n".join(m.text() for m in drafts)
        holder = drafts[-1]
        labels = {c.get("custom_id"): c.get("label") for row in holder.components for c in row["components"]}
        assert labels == {
            ids.publish_id(issue.id): "Publish now",
            ids.intro_id(issue.id): "Edit intro",
            ids.skip_id(issue.id): "Skip this month",
        }
        before = await _issue_deliveries(running, issue.id)

        # A participant cannot skip: the refusal is private and nothing moves.
        refused = await fake.click(holder, ids.skip_id(issue.id), user=fake.users.pat)
        refusal = await refused.settle()
        assert refused.ephemeral and "facilitator" in refusal.lower()
        assert (await _draft_issue(running, fake.guild_id)).scheduled_for == april
        assert await _issue_deliveries(running, issue.id) == before

        # The facilitator skips: April is skipped and the same issue moves to May's first Monday.
        skipped = await fake.click(holder, ids.skip_id(issue.id), user=fake.users.fran)
        confirmation = await skipped.settle()
        assert skipped.ephemeral
        assert f"<t:{int(april.timestamp())}:D>" in confirmation and f"<t:{int(may.timestamp())}:F>" in confirmation
        moved = await _draft_issue(running, fake.guild_id)
        assert (moved.id, moved.number, moved.scheduled_for) == (issue.id, 1, may)
        pending = [(k, due) for k, due, s in await _issue_deliveries(running, issue.id) if s is DeliveryStatus.PENDING]
        assert sorted(pending) == [("flash_draft", may - timedelta(days=2)), ("flash_publish", may)]

        # April's publication time passes: nothing is published and the skipped issue is still a draft.
        drafts_so_far = len(_bot_messages(fake, fake.channels.facilitators))
        clock.set(april + timedelta(hours=1))
        await _run_deliveries(running)
        assert _issue_messages(fake) == []
        still = await _draft_issue(running, fake.guild_id)
        assert (still.status, still.scheduled_for) == (IssueStatus.DRAFT, may)
        assert len(_bot_messages(fake, fake.channels.facilitators)) == drafts_so_far
        late = await fake.click(holder, ids.skip_id(issue.id), user=fake.users.fran)  # pressed again: May → June
        assert f"<t:{int(_first_monday_at_nine(2030, 6).timestamp())}:F>" in await late.settle()


async def test_a_draft_nobody_acts_on_is_published_on_time_exactly_once(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """A scheduled issue goes out at its date without anyone pressing a button, once, then May's issue is planned."""
    clock = ManualClock(CADENCE_START)
    april, may = _first_monday_at_nine(2030, 4), _first_monday_at_nine(2030, 5)
    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        pat = _actor(fake, fake.users.pat)
        await running.services.flash.share_resource(pat, "https://example.org/on-time", "On-time guide")
        await _schedule_first_monday(fake, running)
        issue = await _draft_issue(running, fake.guild_id)

        clock.set(april - timedelta(days=2))
        await _run_deliveries(running)
        assert any("Draft of Flash Report #1" in m.text() for m in _bot_messages(fake, fake.channels.facilitators))
        clock.set(april - timedelta(seconds=1))
        await _run_deliveries(running)
        assert _issue_messages(fake) == []

        clock.set(april)
        await _run_deliveries(running)
        await _wait_published(running, fake.guild_id, 1)
        posted = _issue_messages(fake)
        assert posted and "On-time guide" in "\n".join(m.text() for m in posted)
        assert "Draft of" not in "\n".join(m.text() for m in posted)

        # Running again (now, and later) posts nothing more; each message went out under one nonce.
        for later in (april + timedelta(minutes=5), april + timedelta(days=1)):
            clock.set(later)
            await _run_deliveries(running)
        assert [m.id for m in _issue_messages(fake)] == [m.id for m in posted]
        published = (await running.services.flash.issue(pat, 1)).issue
        assert published.id == issue.id and sorted(published.message_ids) == sorted(m.id for m in posted)
        assert all(len(messages) == 1 for messages in fake.messages_by_nonce.values())
        assert all(count == 1 for count in fake.nonce_counts.values())

        following = await _draft_issue(running, fake.guild_id)
        assert (following.number, following.scheduled_for) == (2, may)
        pending = await _issue_deliveries(running, following.id)
        assert sorted((k, due) for k, due, s in pending if s is DeliveryStatus.PENDING) == [
            ("flash_draft", may - timedelta(days=2)),
            ("flash_publish", may),
        ]
