"""/flash items: list, include, exclude and edit what is collected for the next issue."""

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.flash.domain import ItemKind, ItemState, MessageRef
from bot.core.flash.errors import ItemAlreadyPublishedError, ItemNotFoundError, StoryNotEditableError
from bot.core.flash.render import render_items_page
from tests.core.flash.conftest import FACILITATOR, GUILD, OTHER, PARTICIPANT, Flash
from tests.core.flash.limits import all_text, check_limits
from tests.rendering import written


async def test_items_are_paged_with_ids_and_consent_flags(flash: Flash) -> None:
    """Facilitators page through items; stories without quote consent are flagged."""
    for i in range(23):
        sharer = replace(PARTICIPANT, user_id=1000 + i // 10)  # within the daily limit of 10 each
        await flash.service.share_resource(sharer, f"https://site{i}.example/", f"Resource {i}", tags="guide")
    story = await flash.service.share_story(OTHER, "We did a thing.")
    first = await flash.service.list_items(FACILITATOR)
    assert (first.page, first.pages, first.total) == (1, 3, 24)
    assert [i.title for i in first.items][:2] == ["Resource 0", "Resource 1"]
    last = await flash.service.list_items(FACILITATOR, page=99)
    assert last.page == 3 and story.item.id in last.unquotable_ids
    stories = await flash.service.list_items(FACILITATOR, kind=ItemKind.STORY)
    assert [i.id for i in stories.items] == [story.item.id]
    embed = render_items_page(last)
    from bot.core.messages import OutboundMessage

    check_limits([OutboundMessage(embeds=(embed,))])
    assert f"`#{story.item.id}` 🌱" in written(embed.description)
    assert "waits for quote consent" in written(embed.description)


async def test_excluded_items_stay_out_and_are_not_offered_again(flash: Flash) -> None:
    """An excluded item is left out of the issue and does not come back in the next one."""
    kept = await flash.service.share_resource(PARTICIPANT, "https://keep.example/", "Keep me")
    dropped = await flash.service.share_resource(PARTICIPANT, "https://drop.example/", "Drop me")
    assert (await flash.service.exclude_item(FACILITATOR, dropped.item.id)).state is ItemState.EXCLUDED
    assert (await flash.service.include_item(FACILITATOR, kept.item.id)).state is ItemState.INCLUDED
    await flash.service.publish_now(FACILITATOR)
    await flash.run()
    text = all_text((await flash.service.latest(PARTICIPANT)).snapshot.messages)
    assert "Keep me" in text and "Drop me" not in text
    assert (await flash.service.list_items(FACILITATOR)).total == 0
    with pytest.raises(ItemAlreadyPublishedError, match="Flash Report #1"):
        await flash.service.include_item(FACILITATOR, dropped.item.id)


async def test_edit_changes_title_note_and_tags_but_not_stories(flash: Flash) -> None:
    """Facilitators edit resources and nominations; a story stays in its author's words."""
    shared = await flash.service.share_resource(PARTICIPANT, "https://a.example/", "Old", note="old note", tags="guide")
    edited = await flash.service.edit_item(
        FACILITATOR, shared.item.id, title="New title", note="", tags="toolkit, peer-support"
    )
    assert (edited.title, edited.body, edited.tags) == ("New title", "", ("toolkit", "peer-support"))
    assert "peer-support" in await flash.service.suggest_tags(GUILD, "peer")
    nominated = await flash.service.nominate_message(
        FACILITATOR,
        MessageRef(
            GUILD, 1, 2, "https://discord.com/channels/4242/1/2", OTHER.user_id, "Morag", "hello", frozenset({GUILD})
        ),
    )
    assert (await flash.service.edit_item(FACILITATOR, nominated.item.id, title="Morag's idea")).title == "Morag's idea"
    story = await flash.service.share_story(PARTICIPANT, "A story.")
    with pytest.raises(StoryNotEditableError):
        await flash.service.edit_item(FACILITATOR, story.item.id, note="Better words")
    with pytest.raises(ItemNotFoundError):
        await flash.service.edit_item(FACILITATOR, 999, title="x")
    flash.clock.advance(timedelta(minutes=1))
    assert (await flash.service.edit_item(FACILITATOR, shared.item.id)).title == "New title"  # nothing to change


async def test_items_of_another_server_are_invisible(flash: Flash) -> None:
    """An id from another server is "not found"."""

    shared = await flash.service.share_resource(PARTICIPANT, "https://a.example/", "A")
    stranger = replace(FACILITATOR, guild_id=GUILD + 1, is_admin=True)
    with pytest.raises(ItemNotFoundError):
        await flash.service.exclude_item(stranger, shared.item.id)
