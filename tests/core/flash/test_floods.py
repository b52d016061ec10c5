"""Floods: the per-person daily limit, links that differ only by tracking, the issue size cap, bulk curation
and the items of people who left the server."""

import asyncio
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.core.actors import Actor
from bot.core.errors import DomainError, PermissionDeniedError
from bot.core.flash import ids
from bot.core.flash.domain import ItemKind, ItemState, MessageRef
from bot.core.flash.errors import DailyLimitError, DuplicateResourceError, InvalidLimitError, PageChangedError
from bot.core.flash.render import render_items_message
from bot.core.flash.service import local_day
from bot.core.storage.models.flash import FlashItemRow, FlashTagRow
from tests.core.flash.conftest import FACILITATOR, FLASH_CHANNEL, GUILD, OTHER, PARTICIPANT, Flash, at
from tests.core.flash.limits import all_text, check_limits
from tests.rendering import written


async def count(flash: Flash, model: type, *where: object) -> int:
    async with flash.database.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def person(n: int) -> Actor:
    return Actor(guild_id=GUILD, user_id=5000 + n, display_name=f"Person {n}")


def message(message_id: int, author: int = OTHER.user_id, text: str = "Look at this") -> MessageRef:
    return MessageRef(
        GUILD, 77, message_id, f"https://discord.com/channels/{GUILD}/77/{message_id}", author, "Author", text
    )


async def publish(flash: Flash) -> None:
    await flash.service.publish_now(FACILITATOR)
    await flash.run()


# -- the per-person daily limit --------------------------------------------------------------------------------


async def test_shares_stories_and_nominations_count_together_towards_ten_a_day(flash: Flash) -> None:
    """The 11th item of one person in a day is refused, whatever its kind, with a friendly message; nothing stored."""
    for n in range(6):
        await flash.service.share_resource(PARTICIPANT, f"https://site{n}.example/", f"Site {n}")
    await flash.service.share_story(PARTICIPANT, "One story.")
    await flash.service.share_story(PARTICIPANT, "Another story.")
    await flash.service.nominate_message(PARTICIPANT, message(1))
    await flash.service.nominate_message(PARTICIPANT, message(2))
    midnight = at(2026, 1, 6)  # the next midnight in Europe/London (GMT in January)
    attempts = [
        flash.service.share_resource(PARTICIPANT, "https://eleventh.example/", "Eleventh", tags="new-tag"),
        flash.service.share_story(PARTICIPANT, "A third story."),
        flash.service.nominate_message(PARTICIPANT, message(3)),
    ]
    for attempt in attempts:
        with pytest.raises(DailyLimitError) as caught:
            await attempt
        text = written(caught.value.message)  # as the one error mapping shows it on Discord
        assert "10 items" in text and "not saved" in text and "Thank you" in text
        assert "midnight Europe/London time" in text and f"<t:{int(midnight.timestamp())}:R>" in text
    assert await count(flash, FlashItemRow) == 10
    assert await count(flash, FlashTagRow) == 0  # the refused share's new tag was not counted either
    again = await flash.service.nominate_message(OTHER, message(1))  # someone else, an already nominated message
    assert not again.created
    known = await flash.service.nominate_message(PARTICIPANT, message(2))  # a known item is not a new one
    assert not known.created and known.item.nominated_by_id == PARTICIPANT.user_id
    await flash.service.share_resource(OTHER, "https://others.example/", "Others are not affected")


async def test_the_day_is_midnight_to_midnight_in_the_programmes_time_zone(flash: Flash) -> None:
    """In New York the count starts again at local midnight (05:00 UTC in January), not at UTC midnight."""
    flash.programmes.programme_value = replace(flash.programmes.programme_value, timezone="America/New_York")
    flash.clock.set(at(2026, 1, 6, 3, 0))  # 22:00 on 5 January in New York
    for n in range(10):
        await flash.service.share_resource(PARTICIPANT, f"https://ny{n}.example/")
    flash.clock.set(at(2026, 1, 6, 4, 59))
    with pytest.raises(DailyLimitError, match="America/New_York"):
        await flash.service.share_resource(PARTICIPANT, "https://late.example/")
    flash.clock.set(at(2026, 1, 6, 5, 0))  # midnight in New York
    await flash.service.share_resource(PARTICIPANT, "https://next-day.example/")


async def test_facilitators_and_their_pins_are_not_limited(flash: Flash) -> None:
    """Facilitators seed an issue as they like; their 📌 nominations never hit a limit."""
    for n in range(12):
        await flash.service.share_resource(FACILITATOR, f"https://seed{n}.example/")
    for n in range(12):
        assert await flash.service.nominate_by_reaction(FACILITATOR, message(100 + n)) is not None
    assert await count(flash, FlashItemRow) == 24


async def test_facilitators_set_the_limits_and_participants_feel_them(flash: Flash) -> None:
    """/flash limits per_person_per_day:3 applies at once; participants may neither see nor change the limits."""
    shown = await flash.service.limits(FACILITATOR)
    assert (shown.per_person_per_day, shown.issue_size, shown.timezone) == (10, 40, "Europe/London")
    assert shown.is_default_per_person and shown.is_default_issue_size
    changed = await flash.service.set_limits(FACILITATOR, per_person_per_day=3)
    assert (changed.per_person_per_day, changed.issue_size) == (3, 40)
    assert not changed.is_default_per_person and changed.is_default_issue_size
    with pytest.raises(PermissionDeniedError):
        await flash.service.set_limits(PARTICIPANT, per_person_per_day=100)
    with pytest.raises(PermissionDeniedError):
        await flash.service.limits(PARTICIPANT)
    for n in range(3):
        await flash.service.share_story(PARTICIPANT, f"Story {n}")
    with pytest.raises(DailyLimitError, match="added 3 items"):
        await flash.service.share_story(PARTICIPANT, "Story 4")


HOSTILE_LIMITS = [
    {"per_person_per_day": 0},
    {"per_person_per_day": -1},
    {"per_person_per_day": 101},
    {"per_person_per_day": 10**30},
    {"per_person_per_day": True},
    {"per_person_per_day": 2.5},
    {"per_person_per_day": "7"},
    {"issue_size": 4},
    {"issue_size": 201},
    {"issue_size": -(2**63)},
    {"per_person_per_day": 5, "issue_size": 0},  # one good value and one bad: neither is stored
]


@pytest.mark.parametrize("values", HOSTILE_LIMITS, ids=lambda v: repr(v)[:40])
async def test_hostile_limit_values_are_refused_clearly_and_change_nothing(flash: Flash, values: dict) -> None:
    """Out-of-range, boolean, fractional and text limits are refused with the allowed range; nothing is stored."""
    await flash.service.set_limits(FACILITATOR, per_person_per_day=7, issue_size=30)
    with pytest.raises(InvalidLimitError) as caught:
        await flash.service.set_limits(FACILITATOR, **values)
    assert "must be a whole number from" in str(caught.value) and len(str(caught.value)) < 200
    kept = await flash.service.limits(FACILITATOR)
    assert (kept.per_person_per_day, kept.issue_size) == (7, 30)


async def test_a_burst_of_shares_at_the_same_moment_stops_exactly_at_the_limit(flash: Flash) -> None:
    """30 concurrent shares by one person: 10 stored, 20 refused with the limit message, no other error."""
    results = await asyncio.gather(
        *(flash.service.share_resource(PARTICIPANT, f"https://burst{n}.example/") for n in range(30)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 20 and all(isinstance(r, DailyLimitError) for r in refused), refused[:3]
    assert await count(flash, FlashItemRow) == 10


async def test_a_flood_of_500_shares_by_one_person_stores_ten(flash: Flash) -> None:
    """The experiment's 500 shares: 490 refusals, each the same clear message; the issue stays one message."""
    refusals: set[str] = set()
    for n in range(500):
        try:
            await flash.service.share_resource(PARTICIPANT, f"https://flood.example/page?n={n}", "Flood " * 20)
        except DailyLimitError as error:
            refusals.add(str(error))
    assert len(refusals) == 1 and await count(flash, FlashItemRow) == 10
    await publish(flash)
    assert len(flash.posted_to(FLASH_CHANNEL)) == 1


# -- links that differ only by tracking or parameter order --------------------------------------------------------


async def test_a_link_differing_only_by_tracking_or_order_is_a_duplicate(flash: Flash) -> None:
    """?b=2&a=1 and ?a=1&b=2&ref=x&si=y#top are one resource; a real difference in the query is not."""
    first = await flash.service.share_resource(PARTICIPANT, "https://example.org/guide?b=2&a=1", "Guide")
    assert first.item.url == "https://example.org/guide?a=1&b=2"
    for spelling in (
        "https://Example.org/guide?a=1&b=2&ref=newsletter&si=XyZ#top",
        "https://example.org:443/guide/?utm_source=x&b=2&IGSH=abc&a=1&ref_src=twsrc",
        "https://example.org/guide?a=1&%75tm_medium=email&b=2",
    ):
        with pytest.raises(DuplicateResourceError):
            await flash.service.share_resource(OTHER, spelling)
    other = await flash.service.share_resource(OTHER, "https://example.org/guide?a=1&b=3")
    assert other.item.url == "https://example.org/guide?a=1&b=3"
    assert await count(flash, FlashItemRow) == 2


# -- the issue size cap -------------------------------------------------------------------------------------------


async def test_an_issue_posts_at_most_its_size_and_the_archive_lists_the_rest(flash: Flash) -> None:
    """50 items with the default size 40: the post shows 40 and says 10 more; /flash archive issue:1 lists them."""
    urls = []
    for n in range(50):
        url = f"https://cap{n}.example/"
        await flash.service.share_resource(person(n // 5), url, f"Capped resource {n}")
        urls.append(url)
    draft = await flash.service.build_draft(FACILITATOR)
    assert "10 will be listed only in /flash archive" in all_text(draft.messages)
    await publish(flash)
    posted = flash.posted_to(FLASH_CHANNEL)
    check_limits(posted)
    text = all_text(posted)
    shown = [u for u in urls if u in text]
    assert len(shown) == 40
    assert "…and 10 more items in `/flash archive issue:1`." in text
    archive = await flash.service.archive(PARTICIPANT)
    assert (archive.issues[0].resources, archive.issues[0].archive_only) == (50, 10)
    listed = await flash.service.archive_issue(PARTICIPANT, 1)
    assert (listed.archive_only, listed.posted, listed.pages) == (10, 40, 1)
    assert sorted(u for u in urls if u in written(listed.text)) == sorted(set(urls) - set(shown))
    assert len(written(listed.text)) <= 4096


async def test_the_cap_is_shared_fairly_so_one_flood_cannot_push_others_out(flash: Flash) -> None:
    """A person with 30 items and 10 people with one each, size 20: all ten others are in the post."""
    await flash.service.set_limits(FACILITATOR, per_person_per_day=30, issue_size=20)
    for n in range(30):
        await flash.service.share_resource(PARTICIPANT, f"https://mine{n}.example/")
    for n in range(10):
        await flash.service.share_resource(person(n), f"https://theirs{n}.example/")
    await publish(flash)
    text = all_text(flash.posted_to(FLASH_CHANNEL))
    assert all(f"https://theirs{n}.example/" in text for n in range(10))
    assert sum(f"https://mine{n}.example/" in text for n in range(30)) == 10
    assert "…and 20 more items in `/flash archive issue:1`." in text


async def test_archive_pages_of_a_big_issue_stay_within_discord_limits(flash: Flash) -> None:
    """200 long items with size 5: every archive page fits an embed and together they list all 195."""
    await flash.service.set_limits(FACILITATOR, issue_size=5)
    urls = []
    for n in range(200):
        url = f"https://long{n}.example/{'p' * 200}"
        await flash.service.share_resource(person(n // 10), url, "A long title " * 11, note="A long note. " * 38)
        urls.append(url)
    await publish(flash)
    first = await flash.service.archive_issue(PARTICIPANT, 1)
    texts = [written(first.text)]
    for page in range(2, first.pages + 1):
        texts.append(written((await flash.service.archive_issue(PARTICIPANT, 1, page)).text))
    assert all(0 < len(t) <= 4096 for t in texts)
    assert sum(u in "\n".join(texts) for u in urls) == 195
    beyond = await flash.service.archive_issue(PARTICIPANT, 1, 10**6)
    assert beyond.page == first.pages


# -- bulk curation ----------------------------------------------------------------------------------------------


async def test_exclude_by_and_include_by_act_on_everything_of_one_person(flash: Flash) -> None:
    """A person's shares, stories, nominations and nominated messages go out, or back in, at once."""
    for n in range(3):
        await flash.service.share_resource(PARTICIPANT, f"https://p{n}.example/")
    await flash.service.share_story(PARTICIPANT, "Pat's story")
    await flash.service.nominate_message(PARTICIPANT, message(1))  # Pat nominated Morag's message
    await flash.service.nominate_message(OTHER, message(2, author=PARTICIPANT.user_id))  # Morag nominated Pat's
    kept = await flash.service.share_resource(OTHER, "https://morag.example/")
    with pytest.raises(PermissionDeniedError):
        await flash.service.exclude_by(PARTICIPANT, OTHER.user_id)
    result = await flash.service.exclude_by(FACILITATOR, PARTICIPANT.user_id)
    assert (result.state, result.changed) == (ItemState.EXCLUDED, 6)
    page = await flash.service.list_items(FACILITATOR)
    assert {i.id for i in page.items if i.state is ItemState.INCLUDED} == {kept.item.id}
    assert (await flash.service.exclude_by(FACILITATOR, PARTICIPANT.user_id)).changed == 0
    assert (await flash.service.include_by(FACILITATOR, PARTICIPANT.user_id)).changed == 6
    stranger = replace(FACILITATOR, guild_id=GUILD + 1, is_admin=True)
    assert (await flash.service.exclude_by(stranger, PARTICIPANT.user_id)).changed == 0


async def test_include_and_exclude_page_act_on_exactly_the_page_shown(flash: Flash) -> None:
    """The page buttons change the ten items shown, keep the kind filter, and refuse stale or forged ranges."""
    for n in range(25):
        await flash.service.share_resource(person(n // 10), f"https://pg{n}.example/")
    await flash.service.share_story(OTHER, "A story among them")
    second = await flash.service.list_items(FACILITATOR, 2)
    message_ = render_items_message(second)
    check_limits([message_])
    exclude = next(b for b in message_.buttons if b.label == "Exclude page")
    button = ids.parse_page_id(exclude.custom_id or "")
    assert (button.first_id, button.last_id, button.page) == (second.items[0].id, second.items[-1].id, 2)

    with pytest.raises(PermissionDeniedError):
        await flash.service.set_page_state(PARTICIPANT, button)
    result = await flash.service.set_page_state(FACILITATOR, button)
    assert result.changed == 10 and result.page is not None and result.page.page == 2
    assert all(i.state is ItemState.EXCLUDED for i in result.page.items)
    others = [i for p in (1, 3) for i in (await flash.service.list_items(FACILITATOR, p)).items]
    assert all(i.state is ItemState.INCLUDED for i in others)

    forged = replace(button, first_id=1, last_id=10**17)  # more than a page: refused, nothing changes
    with pytest.raises(PageChangedError, match="Nothing was changed"):
        await flash.service.set_page_state(FACILITATOR, replace(forged, action=ids.PageAction.INCLUDE))
    assert await count(flash, FlashItemRow, FlashItemRow.state == "excluded") == 10

    stories = await flash.service.list_items(FACILITATOR, kind=ItemKind.STORY)
    story_button = ids.parse_page_id(render_items_message(stories).buttons[1].custom_id or "")
    assert story_button.kind == "story"
    wide = replace(story_button, first_id=1)  # resources in the range are not stories: untouched
    assert (await flash.service.set_page_state(FACILITATOR, wide)).changed == 1
    assert await count(flash, FlashItemRow, FlashItemRow.state == "excluded") == 11


# -- people who left the server ------------------------------------------------------------------------------------


async def test_items_of_someone_who_left_are_held_until_a_facilitator_includes_them(flash: Flash) -> None:
    """Leaving holds the person's waiting items: shown as held, not published, not consumed, until included."""
    guide = await flash.service.share_resource(PARTICIPANT, "https://leaver.example/", "Leaver's guide")
    story = await flash.service.share_story(PARTICIPANT, "Leaver's story")
    flash.consent.by_purpose["quote"] = {PARTICIPANT.user_id}
    await flash.service.share_resource(OTHER, "https://stayer.example/", "Stayer's guide")
    excluded = await flash.service.share_resource(PARTICIPANT, "https://excluded.example/", "Excluded one")
    await flash.service.exclude_item(FACILITATOR, excluded.item.id)

    assert await flash.service.member_left(GUILD, PARTICIPANT.user_id) == 2
    page = await flash.service.list_items(FACILITATOR)
    assert page.held == 2
    states = {i.id: i.state for i in page.items}
    assert states[guide.item.id] is ItemState.HELD and states[story.item.id] is ItemState.HELD
    assert states[excluded.item.id] is ItemState.EXCLUDED  # a facilitator's decision stands
    embed_text = written(render_items_message(page).embeds[0].description)
    assert "held: the author left the server" in embed_text and "2 items held for review" in embed_text
    draft = all_text((await flash.service.build_draft(FACILITATOR)).messages)
    assert "2 items from people who left the server are held for review" in draft
    assert "Leaver's" not in draft

    await publish(flash)
    first = all_text(flash.posted_to(FLASH_CHANNEL))
    assert "Stayer's guide" in first and "Leaver's" not in first
    waiting = await flash.service.list_items(FACILITATOR)
    assert {i.id for i in waiting.items} == {guide.item.id, story.item.id}  # held, not consumed

    await flash.service.include_item(FACILITATOR, guide.item.id)
    flash.clock.advance(timedelta(days=1))
    await flash.service.share_resource(OTHER, "https://second.example/", "Second issue")
    await publish(flash)
    second = all_text((await flash.service.latest(OTHER)).snapshot.messages)
    assert "Leaver's guide" in second and "Leaver's story" not in second


async def test_a_message_by_someone_who_left_is_held_when_nominated(flash: Flash) -> None:
    """Nominating a message whose author left (a participant marked inactive) stores it held."""
    flash.membership.left.add(OTHER.user_id)
    result = await flash.service.nominate_message(PARTICIPANT, message(9, author=OTHER.user_id))
    assert result.item.state is ItemState.HELD
    present = await flash.service.nominate_message(PARTICIPANT, message(10, author=FACILITATOR.user_id))
    assert present.item.state is ItemState.INCLUDED


async def test_refusals_are_domain_errors_with_short_messages_and_no_partial_writes(flash: Flash) -> None:
    """Each new refusal is a DomainError (one private reply, never a crash) and leaves the database as it was."""
    await flash.service.set_limits(FACILITATOR, per_person_per_day=1)
    for n in range(11):
        await flash.service.share_resource(FACILITATOR, f"https://seeded{n}.example/")
    await flash.service.share_story(PARTICIPANT, "One")
    async with flash.database.unit_of_work() as uow:
        before = [tuple(r) for r in (await uow.session.execute(select(FlashItemRow.id, FlashItemRow.state))).all()]
    attempts = [
        flash.service.share_story(PARTICIPANT, "Two"),
        flash.service.share_resource(PARTICIPANT, "https://more.example/", tags="brand-new"),
        flash.service.set_limits(FACILITATOR, per_person_per_day=2, issue_size=1),
        flash.service.set_page_state(FACILITATOR, ids.PageButton(ids.PageAction.EXCLUDE, 1, 10**17, None, 1)),
        flash.service.archive_issue(PARTICIPANT, 99),
        flash.service.archive_issue(PARTICIPANT, 2**53),  # beyond a 32-bit id: "not found", not a database error
        flash.service.exclude_item(FACILITATOR, 2**53),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as caught:
            await attempt
        assert 0 < len(str(caught.value)) < 2000
    async with flash.database.unit_of_work() as uow:
        after = [tuple(r) for r in (await uow.session.execute(select(FlashItemRow.id, FlashItemRow.state))).all()]
    assert after == before
    assert await count(flash, FlashTagRow) == 0
    assert (await flash.service.limits(FACILITATOR)).per_person_per_day == 1


def test_local_day_handles_the_clock_change() -> None:
    """On the day British Summer Time starts the day is 23 hours long, from midnight GMT to midnight BST."""
    start, following = local_day(at(2026, 3, 29, 12), ZoneInfo("Europe/London"))
    assert following - start == timedelta(hours=23)
    assert start == at(2026, 3, 29) and following == at(2026, 3, 29, 23)


async def test_the_cap_survives_the_snapshot_and_an_erasure(flash: Flash) -> None:
    """The size is frozen with the issue; erasing someone re-renders within it (old snapshots have no cap)."""
    await flash.service.set_limits(FACILITATOR, issue_size=5)
    for n in range(8):
        await flash.service.share_resource(person(n), f"https://kept{n}.example/")
    await publish(flash)
    await flash.service.set_limits(FACILITATOR, issue_size=200)  # later changes do not touch a published issue
    latest = await flash.service.latest(OTHER)
    content = latest.snapshot.content
    assert content.posted_limit == 5 and content.archive_only_count == 3
    assert type(content).from_json(content.to_json()) == content
    legacy = content.to_json()
    del legacy["posted_limit"]
    assert type(content).from_json(legacy).archive_only_count == 0
    shown = [
        f"https://kept{n}.example/"
        for n in range(8)
        if f"https://kept{n}.example/" in all_text(latest.snapshot.messages)
    ]
    assert len(shown) == 5

    await flash.service.erase_user(GUILD, person(0).user_id)
    amended = await flash.service.latest(OTHER)
    assert amended.snapshot.content.archive_only_count == 2
    text = all_text(amended.snapshot.messages)
    assert "https://kept0.example/" not in text and "…and 2 more items" in text
