"""Collecting: /share, nominations from the context menu and 📌, and stories of change."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.errors import PermissionDeniedError
from bot.core.flash.domain import ItemKind, MessageRef
from bot.core.flash.errors import (
    DuplicateResourceError,
    InvalidTagError,
    InvalidUrlError,
    MissingValueError,
    TextTooLongError,
    TooManyTagsError,
)
from bot.core.flash.render import render_items_page
from bot.core.storage.models.flash import FlashItemRow, FlashTagRow
from tests.core.flash.conftest import FACILITATOR, FACILITATOR_ROLE, GUILD, OTHER, PARTICIPANT, Flash, programme
from tests.core.flash.limits import all_text
from tests.rendering import written


async def count_rows(flash: Flash, model: type) -> int:
    async with flash.database.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_share_stores_the_normalised_link_and_previews_it_crediting_the_sharer(flash: Flash) -> None:
    """A share is normalised, tagged, credited and shown as it will appear."""
    result = await flash.service.share_resource(
        PARTICIPANT,
        "HTTPS://Example.org/Toolkit/?utm_source=newsletter#top",
        title="Compassionate **Communities** toolkit",
        note="Chapter 3 on [grief](https://grief.example/c_3) is great",
        tags="Toolkit, bereavement",
    )
    item = result.item
    assert item.url == "https://example.org/Toolkit"
    assert item.tags == ("toolkit", "bereavement")
    assert item.author_name == "Pat"
    assert item.kind is ItemKind.RESOURCE
    preview = written(result.preview.description)
    assert "**Compassionate \\*\\*Communities\\*\\* toolkit**" in preview
    assert "https://example.org/Toolkit" in preview
    assert "grief (https://grief.example/c_3)" in preview
    assert "shared by Pat" in preview
    assert "Under #toolkit" in preview


async def test_second_share_of_the_same_link_names_the_first_sharer_and_when(flash: Flash) -> None:
    """Sharing a link again (in any spelling) is refused, naming who shared it first and when."""
    first = await flash.service.share_resource(PARTICIPANT, "https://example.org/guide", title="Guide")
    flash.clock.advance(timedelta(hours=3))
    with pytest.raises(DuplicateResourceError) as caught:
        await flash.service.share_resource(OTHER, "HTTPS://EXAMPLE.org/guide/?fbclid=1#x")
    message = written(caught.value.message)  # as the one error mapping shows it on Discord
    assert "already shared by Pat" in message
    assert f"<t:{int(first.item.created_at.timestamp())}:f>" in message
    assert "on the list for the next Flash Report" in message
    assert caught.value.first_sharer == "Pat"
    assert await count_rows(flash, FlashItemRow) == 1


async def test_bad_input_stores_nothing(flash: Flash) -> None:
    """Invalid links, long titles or notes and malformed tags are refused with their limits; nothing is stored."""
    cases = [
        ({"url": "javascript:alert(1)"}, InvalidUrlError, "run code"),
        ({"url": "data:text/html,hi"}, InvalidUrlError, "data:"),
        ({"url": "file:///C:/x"}, InvalidUrlError, "file:"),
        ({"url": "https://me:pw@example.org"}, InvalidUrlError, "password"),
        ({"url": "not a link"}, InvalidUrlError, "spaces"),
        ({"title": "t" * 151}, TextTooLongError, "151 characters long; the limit is 150"),
        ({"note": "n" * 501}, TextTooLongError, "501 characters long; the limit is 500"),
        ({"tags": "good, Bad Tag"}, InvalidTagError, "lowercase letters"),
        ({"tags": "a,b,c,d"}, TooManyTagsError, "at most 3"),
    ]
    for overrides, error, text in cases:
        kwargs = {"url": "https://example.org/x", "title": "T", "note": "", "tags": None} | overrides
        with pytest.raises(error, match=text.replace("(", r"\(")):
            await flash.service.share_resource(PARTICIPANT, **kwargs)  # type: ignore[arg-type]
    assert await count_rows(flash, FlashItemRow) == 0
    assert await count_rows(flash, FlashTagRow) == 0


async def test_new_well_formed_tags_grow_the_vocabulary_and_autocomplete(flash: Flash) -> None:
    """A new tag in the clear form is accepted and then offered to others."""
    await flash.service.share_resource(PARTICIPANT, "https://a.example/", tags="mental-health, toolkit")
    await flash.service.share_resource(OTHER, "https://b.example/", tags="mental-health")
    suggestions = await flash.service.suggest_tags(GUILD, "men")
    assert suggestions[0] == "mental-health"
    first = await flash.service.suggest_tags(GUILD, "")
    assert first[:2] == ["mental-health", "toolkit"]
    assert "volunteering" in first
    assert await flash.service.suggest_tags(GUILD, "toolkit, well") == ["toolkit, wellbeing"]


def message(**overrides: object) -> MessageRef:
    base = MessageRef(
        guild_id=GUILD,
        channel_id=77,
        message_id=9001,
        jump_url="https://discord.com/channels/4242/77/9001",
        author_id=OTHER.user_id,
        author_name="Morag",
        content="Our <@&99> café worked! Notes: [slides](https://slides.example/deck_1) and https://two.example/. "
        + "More words " * 40,
        viewer_role_ids=frozenset({GUILD}),  # @everyone can see the channel
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


async def test_context_menu_nomination_keeps_the_first_link_and_a_short_excerpt(flash: Flash) -> None:
    """Anyone may nominate a message; it keeps the jump link, its first link and a ≤ 200 character excerpt."""
    result = await flash.service.nominate_message(PARTICIPANT, message())
    item = result.item
    assert result.created
    assert item.kind is ItemKind.NOMINATION
    assert item.url == "https://slides.example/deck_1"
    assert item.jump_url == "https://discord.com/channels/4242/77/9001"
    assert len(item.excerpt) <= 200 and item.excerpt.endswith("…")
    assert "slides (https://slides.example/deck_1)" in item.excerpt
    assert item.author_id == OTHER.user_id and item.nominated_by_id == PARTICIPANT.user_id


async def test_same_message_nominated_twice_is_one_item(flash: Flash) -> None:
    """The context menu and a 📌 on the same message give one item."""
    first = await flash.service.nominate_message(PARTICIPANT, message())
    again = await flash.service.nominate_by_reaction(FACILITATOR, message())
    assert again is not None and not again.created
    assert again.item.id == first.item.id
    assert await count_rows(flash, FlashItemRow) == 1


async def test_pin_reaction_nominates_for_facilitators_only(flash: Flash) -> None:
    """A facilitator's 📌 nominates; a participant's does nothing and raises nothing."""
    assert await flash.service.nominate_by_reaction(PARTICIPANT, message()) is None
    assert await count_rows(flash, FlashItemRow) == 0
    result = await flash.service.nominate_by_reaction(FACILITATOR, message(message_id=9002))
    assert result is not None and result.created
    assert result.item.nominated_by_id == FACILITATOR.user_id


async def test_nomination_needs_a_link_back_and_this_server(flash: Flash) -> None:
    """A message from another server, or without a usable jump link, is refused."""
    with pytest.raises(PermissionDeniedError):
        await flash.service.nominate_message(PARTICIPANT, message(guild_id=1))
    with pytest.raises(InvalidUrlError, match="link back"):
        await flash.service.nominate_message(PARTICIPANT, message(jump_url="javascript:alert(1)"))


async def test_image_only_message_can_be_nominated(flash: Flash) -> None:
    """A message without text still becomes an item with its jump link."""
    result = await flash.service.nominate_message(PARTICIPANT, message(content=""))
    assert result.item.url is None and result.item.excerpt == ""


async def test_story_tells_whether_it_will_appear(flash: Flash) -> None:
    """A story is kept either way; it will appear only with the author's quote consent."""
    without = await flash.service.share_story(PARTICIPANT, "We started a walking group.")
    assert not without.will_appear
    flash.consent.by_purpose["quote"] = {PARTICIPANT.user_id}
    with_consent = await flash.service.share_story(PARTICIPANT, "And a grief café.", credit_by_name=True)
    assert with_consent.will_appear and with_consent.item.credit_by_name
    with pytest.raises(MissingValueError):
        await flash.service.share_story(PARTICIPANT, " \u200b ")
    with pytest.raises(TextTooLongError, match="limit is 1000"):
        await flash.service.share_story(PARTICIPANT, "x" * 1001)


PARTICIPANT_ROLE = 555
JUMP = "https://discord.com/channels/4242/77/{}"


async def test_a_message_from_a_restricted_channel_waits_for_its_authors_consent(flash: Flash) -> None:
    """A message from a channel neither @everyone nor the participant role can see (or an unknown one) is kept
    but not published — not even its link — until its author agrees to be quoted; a channel the participant role
    can see is as public as one @everyone can."""
    flash.programmes.programme_value = replace(programme(), participant_role_id=PARTICIPANT_ROLE)
    private = await flash.service.nominate_message(
        PARTICIPANT, message(message_id=9101, jump_url=JUMP.format(9101), viewer_role_ids=frozenset({FACILITATOR_ROLE}))
    )
    unknown = await flash.service.nominate_message(
        PARTICIPANT, message(message_id=9102, jump_url=JUMP.format(9102), viewer_role_ids=None)
    )
    members = await flash.service.nominate_message(
        PARTICIPANT, message(message_id=9103, jump_url=JUMP.format(9103), viewer_role_ids=frozenset({PARTICIPANT_ROLE}))
    )
    assert (private.item.restricted, unknown.item.restricted, members.item.restricted) == (True, True, False)
    page = await flash.service.list_items(FACILITATOR)
    assert {private.item.id, unknown.item.id} <= page.unquotable_ids
    assert "restricted channel" in written(render_items_page(page).description)
    draft = all_text((await flash.service.build_draft(FACILITATOR)).messages)
    assert "2 nominated messages from channels not everyone can see will wait" in draft
    await flash.service.publish_now(FACILITATOR)
    await flash.run()
    first = all_text((await flash.service.latest(PARTICIPANT)).snapshot.messages)
    assert JUMP.format(9103) in first
    assert JUMP.format(9101) not in first and JUMP.format(9102) not in first
    flash.consent.by_purpose["quote"] = {OTHER.user_id}  # the author agrees: they go out next time
    flash.clock.advance(timedelta(days=1))
    await flash.service.share_resource(PARTICIPANT, "https://next.example/", "Something new")
    await flash.service.publish_now(FACILITATOR)
    await flash.run()
    second = all_text((await flash.service.latest(PARTICIPANT)).snapshot.messages)
    assert JUMP.format(9101) in second and JUMP.format(9102) in second
