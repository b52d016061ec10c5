"""Rendering meets every Discord limit by construction, keeps links whole and never pings anyone."""

import random
import re
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.flash.content import (
    IssueContent,
    NextSession,
    NominationEntry,
    Recap,
    RecapQuote,
    Removal,
    ResourceEntry,
    Snapshot,
    StoryEntry,
)
from bot.core.flash.ids import parse_custom_id
from bot.core.flash.render import render_draft, render_issue, render_share_preview, split_rich
from bot.core.flash.safetext import rich_text
from bot.core.flash.tags import SEED_TAGS
from bot.core.flash.urls import URL_LIMIT
from bot.core.messages import Text
from tests.core.flash.limits import all_text, check_limits, written

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
WORDS = ["community", "bereavement", "toolkit", "café", "ünïcödé", "support", "grief", "kindness", "volunteer"]


def discord_text(text: str, limit: int) -> str:
    """Return user text as a Flash Report shows it on Discord (within a budget of limit characters)."""
    return written(rich_text(text, limit))


def sentence(rng: random.Random, length: int) -> str:
    words: list[str] = []
    while len(" ".join(words)) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:length].strip()


def long_url(rng: random.Random, index: int) -> str:
    path = "/".join(f"seg_{rng.randrange(10**6)}-{i}" for i in range(rng.randrange(1, 30)))
    url = f"https://site{index}.example.org/{path}?ref=item_{index}&page={rng.randrange(99)}"
    return url[:URL_LIMIT].rstrip("/-_&=?")


def content_with(resources: int, rng: random.Random, **extra: object) -> IssueContent:
    tags = [*SEED_TAGS, "mental-health", "a" * 24]
    entries = tuple(
        ResourceEntry(
            item_id=i,
            url=long_url(rng, i),
            title=sentence(rng, 150),
            note=sentence(rng, 500) + f" see https://note{i}.example.org/more_{i}",
            tags=tuple(rng.sample(tags, rng.randrange(0, 4))),
            credit=sentence(rng, 100),
            author_id=i,
        )
        for i in range(resources)
    )
    defaults: dict[str, object] = {
        "guild_id": 1,
        "number": 7,
        "timezone": "Europe/London",
        "compiled_at": NOW,
        "intro": sentence(rng, 1000),
        "resources": entries,
    }
    return IssueContent(**{**defaults, **extra})  # type: ignore[arg-type]


def test_two_hundred_long_resources_render_within_every_limit_with_links_whole() -> None:
    """A month with 200 resources (long titles, notes and URLs, many tags) fits Discord and cuts no link."""
    rng = random.Random(20260202)
    content = content_with(
        200,
        rng,
        recap=Recap(
            3, "Grief in the workplace", 31, 17, 9, 4.44, tuple(RecapQuote(sentence(rng, 300)) for _ in range(3))
        ),
        next_session=NextSession(4, "Death cafés", NOW + timedelta(days=14), "url", "https://meet.example.org/abc"),
        nominations=tuple(
            NominationEntry(
                i,
                f"https://discord.com/channels/1/2/{i}",
                f"https://nom{i}.example/x",
                "",
                sentence(rng, 200),
                "",
                (),
                i,
            )
            for i in range(30)
        ),
        stories=tuple(StoryEntry(i, sentence(rng, 1000), "Ailsa" if i % 2 else None, i) for i in range(20)),
        welcome_count=6,
    )
    messages = render_issue(content)
    check_limits(messages)
    text = all_text(messages)
    urls_in_output = set(re.findall(r"https?://[^\s)>\]]+", text))
    for entry in content.resources:
        assert entry.url in urls_in_output, entry.url
        assert f"https://note{entry.item_id}.example.org/more_{entry.item_id}" in text
    for nomination in content.nominations:
        assert nomination.link in urls_in_output
        assert f"({nomination.jump_url})" in text
    assert "https://meet.example.org/abc" in urls_in_output
    assert "<t:" in text and ":F>" in text and ":R>" in text
    assert "⭐ 4.4 / 5 from 9 ratings" in text
    assert len(messages) > 5  # really split across messages


def test_every_output_url_is_one_that_went_in() -> None:
    """No URL appears in the output that is a cut-off prefix of an input URL."""
    rng = random.Random(7)
    content = content_with(60, rng)
    inputs = {e.url for e in content.resources} | {
        f"https://note{e.item_id}.example.org/more_{e.item_id}" for e in content.resources
    }
    for url in re.findall(r"https?://[^\s)>\]]+", all_text(render_issue(content))):
        assert url in inputs, url


def test_average_rating_is_shown_only_from_five_ratings() -> None:
    """Four ratings are too few to show an average."""
    rng = random.Random(1)
    few = all_text(render_issue(content_with(0, rng, recap=Recap(1, "Intro", 10, 4, 4, 4.0))))
    enough = all_text(render_issue(content_with(0, rng, recap=Recap(1, "Intro", 10, 5, 5, 4.0))))
    assert "⭐" not in few and "4 reflections" in few
    assert "⭐ 4.0 / 5 from 5 ratings" in enough


def test_story_credit_only_when_asked_and_removals_are_visible() -> None:
    """An uncredited story says "a participant"; a removal note is shown in the header."""
    content = content_with(
        0,
        random.Random(2),
        stories=(
            StoryEntry(1, "We opened a grief café.", None, 9),
            StoryEntry(2, "We trained 12 listeners.", "Iona", 8),
        ),
        removals=(Removal(2, NOW + timedelta(days=3)),),
    )
    text = all_text(render_issue(content))
    assert "> We opened a grief café.\n— a participant" in text
    assert "— Iona" in text
    assert "_2 items removed at the person's request on 5 February 2026._" in text


def test_empty_issue_still_renders_a_header() -> None:
    """An issue with nothing shared is one message saying so."""
    messages = render_issue(content_with(0, random.Random(3), intro=""))
    check_limits(messages)
    assert len(messages) == 1
    assert "Nothing was shared for this issue" in all_text(messages)


def test_masked_links_in_user_text_show_the_real_address() -> None:
    """[label](url) in a note is shown as "label (url)", never as a hidden link."""
    entry = ResourceEntry(
        1, "https://good.example/", "Guide", "Sign in [at your bank](https://evil.example/x_y)", (), "Pat", 1
    )
    text = written(render_share_preview(entry).description)
    assert "at your bank (https://evil.example/x_y)" in text
    assert "](https://evil" not in text


def test_draft_has_a_note_and_the_three_buttons_on_its_last_message() -> None:
    """The draft tells when it goes out and carries Publish now, Edit intro and Skip this month."""
    content = content_with(80, random.Random(4))
    messages = render_draft(content, issue_id=9, publish_at=NOW, withheld=2)
    check_limits(messages)
    assert "Draft of Flash Report #7" in written(messages[0].content)
    assert "2 stories of change will wait" in written(messages[0].content)
    assert [parse_custom_id(b.custom_id or "").action.value for b in messages[-1].buttons] == [
        "publish",
        "intro",
        "skip",
    ]
    assert all(not m.buttons for m in messages[:-1])
    unscheduled = render_draft(content, issue_id=9, publish_at=None)
    assert [b.label for b in unscheduled[-1].buttons] == ["Publish now", "Edit intro"]


def test_split_text_splits_at_lines_then_words() -> None:
    """Chunks respect the limit, break at line ends first and never inside a word."""
    text = "\n".join(" ".join(f"word{i}x{j}" for j in range(40)) for i in range(30))
    chunks = [written(chunk) for chunk in split_rich(Text((text,)), 500)]
    assert all(len(c) <= 500 for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def test_discord_text_never_cuts_a_link() -> None:
    """Shortening happens at whitespace; a link that does not fit is left out whole."""
    url = "https://example.org/" + "a_b" * 60
    shortened = discord_text(f"Read this {url} today", 100)
    assert shortened == "Read this…"
    assert discord_text(f"{url} x", 1000) == f"{url} x"


TOKENS = [
    *"abc xyz@<>#*_~`|[]()\\:/.\n\t-+!",
    "@everyone",
    "@here",
    "@EVERYONE",
    "<@123>",
    "<@&5>",
    "<@!9>",
    "<#7>",
    "\u202e",
    "\u200b",
    "\u0000",
    "https://x.example/a_b",
    "https://x.example/@everyone",
    "[t](https://evil.example)",
    "é",
    "😀",
    "ﷺ",
]
hostile = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=120).map("".join)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(hostile, min_size=0, max_size=25),
    intro=hostile,
    story=hostile,
    credit=hostile,
    quote=hostile,
)
def test_random_text_never_breaks_limits_or_pings(
    titles: list[str], intro: str, story: str, credit: str, quote: str
) -> None:
    """Whatever people type, every message fits Discord and nothing can ping (@everyone, <@…>)."""
    resources = tuple(
        ResourceEntry(i, f"https://r{i}.example.org/p", title * 3, title * 6, ("toolkit",), credit, i)
        for i, title in enumerate(titles)
    )
    content = IssueContent(
        guild_id=1,
        number=1,
        timezone="Europe/London",
        compiled_at=NOW,
        intro=intro * 5,
        recap=Recap(1, quote, 5, 5, 5, 3.0, (RecapQuote(quote), RecapQuote(quote * 3))),
        next_session=NextSession(2, quote, NOW, "none"),
        resources=resources,
        nominations=(NominationEntry(1, "https://discord.com/channels/1/2/3", None, quote, story, credit, (), 1),),
        stories=(StoryEntry(1, story * 4, credit, 1), StoryEntry(2, story, None, 2)),
    )
    for messages in (render_issue(content), render_draft(content, issue_id=1, publish_at=NOW, withheld=3)):
        check_limits(messages)
        text = all_text(messages)
        assert "@everyone" not in text.lower() and "@here" not in text.lower()
        assert "<@" not in text
        assert "\u202e" not in text and "\u0000" not in text
        for i in range(len(titles)):
            assert f"https://r{i}.example.org/p" in text


def test_snapshots_keep_rich_text_and_version_1_is_rendered_again() -> None:
    """A snapshot round-trips its rich text; one written as Discord markup (version 1) is rendered from its content."""
    content = content_with(3, random.Random(5), intro="Hello *all* @everyone")
    stored = Snapshot(content, tuple(render_issue(content))).to_json()
    assert stored["version"] == 2
    assert Snapshot.from_json(stored).messages == tuple(render_issue(content))
    legacy = {**stored, "version": 1, "messages": [{"content": "**old** \\*markup\\*", "embeds": [], "buttons": []}]}
    again = Snapshot.from_json(legacy).messages
    assert again == tuple(render_issue(content))
    assert "Hello \\*all\\* @\u200beveryone" in all_text(again)
