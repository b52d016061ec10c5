"""Flash Report floods end to end: the daily limit's reply, page buttons, held items of leavers, the issue cap."""

import asyncio

import pytest

from bot.core.actors import Actor
from bot.core.flash import ids
from bot.core.flash.domain import ItemState
from bot.core.messages import OutboundMessage
from tests.e2e.harness import RunningBot
from tests.e2e.test_flash import _actor, _issue_messages, _set_up, _wait_published, _with_button
from tests.fakediscord import FakeDiscord
from tests.hardening import database as db
from tests.hardening.tamper import click_with_id

pytestmark = pytest.mark.e2e


async def test_the_eleventh_item_of_the_day_gets_a_kind_refusal_everywhere(fake: FakeDiscord, bot: RunningBot) -> None:
    """/share, /story and "Add to Flash Report" past the limit each answer privately, saying when it resets."""
    fran = await _set_up(fake, bot)
    pat = _actor(fake, fake.users.pat)
    for n in range(10):
        await bot.services.flash.share_resource(pat, f"https://example.org/pat/{n}")
    replies = []
    ix = await fake.slash("share", {"url": "https://example.org/pat/eleven"}, user=fake.users.pat)
    replies.append((ix, await ix.settle()))
    ix = await fake.slash("story", {"text": "One more story"}, user=fake.users.pat)
    replies.append((ix, await ix.settle()))
    said = await fake.user_message(fake.channels.general, fake.users.sam, "Worth sharing")
    ix = await fake.context_menu("Add to Flash Report", said, user=fake.users.pat)
    replies.append((ix, await ix.settle()))
    for handle, text in replies:
        assert handle.ephemeral
        assert "Thank you for sharing so much" in text and "midnight Europe/London time" in text, text
        assert "<t:" in text and "went wrong" not in text
    assert (await bot.services.flash.list_items(fran)).total == 10
    ok = await fake.slash("share", {"url": "https://example.org/sam"}, user=fake.users.sam)
    assert "Thank you, " in await ok.settle()


async def test_page_buttons_exclude_a_page_for_facilitators_only(fake: FakeDiscord, bot: RunningBot) -> None:
    """/flash items carries Include/Exclude page; pat's press changes nothing; fran's excludes the page in place."""
    fran = await _set_up(fake, bot)
    for n in range(12):
        sharer = Actor(guild_id=fake.guild_id, user_id=700_000 + n // 4, display_name=f"Sharer {n // 4}")
        await bot.services.flash.share_resource(sharer, f"https://example.org/page/{n}", f"Page item {n}")
    listing = await fake.slash("flash items", user=fake.users.fran)
    await listing.settle()
    page = await bot.services.flash.list_items(fran)
    exclude_id = ids.page_id(ids.PageAction.EXCLUDE, page.items[0].id, page.items[-1].id, None, 1)
    holder = _with_button(listing, exclude_id)
    assert holder.ephemeral

    before = await db.snapshot(bot.database)
    host = await bot.services.sender.post(fake.channels.general.id, OutboundMessage(content="buttons live here"))
    refused = await click_with_id(fake, fake.message(host.message_id), exclude_id, fake.users.pat)  # pat forges it
    assert "facilitator" in (await refused.settle()).lower() and refused.ephemeral
    assert db.changed_tables(before, await db.snapshot(bot.database)) == {}

    pressed = await fake.click(holder, exclude_id, user=fake.users.fran)
    text = await pressed.settle()
    assert pressed.response_type == 7  # the page is edited in place
    assert "10 items on this page excluded." in text and "excluded" in text
    states = [i.state for i in (await bot.services.flash.list_items(fran)).items]
    assert states == [ItemState.EXCLUDED] * 10
    second = (await bot.services.flash.list_items(fran, 2)).items
    assert [i.state for i in second] == [ItemState.INCLUDED] * 2

    by = await fake.slash("flash include-by", {"member": fake.users.sam}, user=fake.users.fran)
    assert "0 waiting items" in await by.settle()


async def test_a_member_who_leaves_has_their_items_held(fake: FakeDiscord, bot: RunningBot) -> None:
    """GUILD_MEMBER_REMOVE holds sam's waiting items: /flash items says so and the issue leaves them out."""
    fran = await _set_up(fake, bot)
    sam = _actor(fake, fake.users.sam)
    await bot.services.flash.share_resource(sam, "https://example.org/sams-guide", "Sam's guide")
    await bot.services.flash.share_resource(_actor(fake, fake.users.pat), "https://example.org/pats", "Pat's guide")
    await fake.member_leave(fake.users.sam)
    for _ in range(50):
        if (await bot.services.flash.list_items(fran)).held == 1:
            break
        await asyncio.sleep(0.1)
    listing = await fake.slash("flash items", user=fake.users.fran)
    text = await listing.settle()
    assert "held: the author left the server" in text and "1 item held for review" in text

    ix = await fake.slash("flash publish", user=fake.users.fran)
    assert "going out" in await ix.settle()
    await _wait_published(bot, fake.guild_id, 1)
    posted = "\n".join(m.text() for m in _issue_messages(fake))
    assert "Pat's guide" in posted and "Sam's guide" not in posted
    assert [i.state for i in (await bot.services.flash.list_items(fran)).items] == [ItemState.HELD]


async def test_limits_command_and_an_issue_capped_with_the_rest_in_the_archive(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    """/flash limits issue_size:5 → the post shows 5 of 8 and points to /flash archive issue:1, which lists 3."""
    await _set_up(fake, bot)
    ix = await fake.slash("flash limits", {"per_person_per_day": 20, "issue_size": 5}, user=fake.users.fran)
    text = await ix.settle()
    assert "**20** items per person per day" in text and "**5** items per published issue" in text
    refused = await fake.slash("flash limits", {"issue_size": 50}, user=fake.users.pat)
    assert "facilitator" in (await refused.settle()).lower()
    pat = _actor(fake, fake.users.pat)
    urls = [f"https://example.org/capped/{n}" for n in range(8)]
    for url in urls:
        await bot.services.flash.share_resource(pat, url)
    ix = await fake.slash("flash publish", user=fake.users.fran)
    await ix.settle()
    await _wait_published(bot, fake.guild_id, 1)
    posted = "\n".join(m.text() for m in _issue_messages(fake))
    assert sum(url in posted for url in urls) == 5
    assert "and 3 more items in `/flash archive issue:1`" in posted

    listing = await fake.slash("flash archive", user=fake.users.pat)
    assert "3 only here" in await listing.settle()
    archived = await fake.slash("flash archive", {"issue": 1}, user=fake.users.pat)
    rest = await archived.settle()
    assert archived.ephemeral and "3 more beyond the 5 posted" in rest
    assert sorted(url for url in urls if url in rest) == sorted(url for url in urls if url not in posted)
    missing = await fake.slash("flash archive", {"issue": 2**40}, user=fake.users.pat)
    assert "could not find" in (await missing.settle()).lower()
