"""The Discord renderer: literal text is escaped, times, mentions and links become Discord's markup, limits hold."""

import re
import unicodedata
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.delivery.notices import notice_payload, notice_text
from bot.core.messages import (
    ELLIPSIS,
    Embed,
    EmbedField,
    Link,
    OutboundMessage,
    Text,
    Time,
    TimeStyle,
    channel,
    code,
    code_block,
    italic,
    markup_size,
    quote,
    role,
    small,
    strong,
    struck,
    text,
    user,
)
from bot.discord_render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    Mode,
    render,
    render_embed,
    render_message,
    sanitise_block,
    sanitise_inline,
)

UNLIMITED = 10**9
WHEN = datetime(2026, 3, 4, 18, 30, tzinfo=UTC)
UNIX = int(WHEN.timestamp())

NASTY = st.sampled_from(
    ["@everyone", "@here", "<@123>", "<@&456>", "<#789>", "<@!1>", "\u202e", "\u200b", "\x00", "\x1b", "**", "`", "\n"]
)
TEXT = st.lists(st.one_of(st.text(max_size=30), NASTY), max_size=20).map("".join)
LITERAL = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                "@everyone",
                "@Here",
                "<@1>",
                "<#2>",
                "<t:0:F>",
                "<:e:3>",
                "**",
                "__",
                "_",
                "~~",
                "`",
                "||",
                "\\",
                "[a](b)",
            ]
        ),
        st.sampled_from(["# ", "> ", "- ", "-# ", "+ ", "\n", " ", "x_y", "é_", "https://e.org/a_b(", "http://@here_"]),
    ),
    max_size=12,
).map("".join)
SPANS = st.deferred(
    lambda: st.one_of(
        LITERAL,
        st.builds(Time, st.just(WHEN), st.sampled_from(list(TimeStyle))),
        st.builds(user, st.integers(1, 10**19)),
        st.builds(role, st.integers(1, 10**19)),
        st.builds(channel, st.integers(1, 10**19)),
        st.builds(Link, LITERAL, st.sampled_from(["https://e.org/a_b", "https://x.example/@everyone (1)"])),
        st.builds(strong, SPANS),
        st.builds(italic, SPANS),
        st.builds(struck, SPANS),
        st.builds(code, LITERAL),
        st.builds(quote, SPANS),
        st.builds(small, SPANS),
        st.builds(code_block, LITERAL),
    )
)
RICH = st.lists(SPANS, max_size=8).map(lambda spans: text(*spans))
# A token or escape left whole: a timestamp, a mention and a masked link are complete wherever they appear.
BROKEN = [
    re.compile(r"<t:(?!-?\d+:[FfDdTtR]>)"),
    re.compile(r"<@(?!&?\d+>)"),
    re.compile(r"<#(?!\d+>)"),
    re.compile(r"(?<!\\)\]\((?![^()\s]*\))"),  # an escaped "\](" is no link
]


def _controls(value: str, allowed: str = "") -> list[str]:
    return [c for c in value if unicodedata.category(c) == "Cc" and c not in allowed]


def _no_pings(value: str) -> None:
    lowered = value.lower()
    assert "@everyone" not in lowered and "@here" not in lowered


# -- literal text -------------------------------------------------------------------------------------------


@given(TEXT, st.integers(min_value=1, max_value=300))
def test_inline_output_is_safe_and_bounded(value: str, limit: int) -> None:
    """Inline output never pings, has no control characters or newlines, and respects the limit."""
    out = sanitise_inline(value, limit)
    assert len(out) <= limit
    _no_pings(out)
    assert "<@" not in out and "<#" not in out
    assert not _controls(out)
    assert "\u202e" not in out


@given(TEXT, st.integers(min_value=1, max_value=300))
def test_block_output_is_safe_and_bounded(value: str, limit: int) -> None:
    """Block output keeps only newlines among control characters, never pings and respects the limit."""
    out = sanitise_block(value, limit)
    assert len(out) <= limit
    _no_pings(out)
    assert "<@" not in out and "<#" not in out
    assert not _controls(out, allowed="\n")


def test_mentions_are_neutralised_but_still_readable() -> None:
    """Mention syntax stays readable (with an invisible break) instead of pinging."""
    out = sanitise_inline("hi @everyone and <@&42>", 100)
    assert out.replace("\u200b", "") == "hi @everyone and <@&42>"


def test_markdown_is_escaped() -> None:
    """Markdown characters are shown literally."""
    assert sanitise_inline("**bold** _it_ `code` ||spoiler||", 100) == r"\*\*bold\*\* \_it\_ \`code\` \|\|spoiler\|\|"
    assert sanitise_block("# Big\n> quote\n- item", 100) == "\\# Big\n\\> quote\n\\- item"


def test_whitespace_is_collapsed_and_newlines_follow_the_mode() -> None:
    """Inline collapses everything to single spaces; block keeps at most one blank line."""
    assert sanitise_inline("  a \t b\n\n c  ", 100) == "a b c"
    assert sanitise_block("a  b\n\n\n\nc\r\nd", 100) == "a b\n\nc\nd"


def test_long_text_is_cut_at_a_word_boundary() -> None:
    """A cut ends at a whole word followed by an ellipsis."""
    assert sanitise_inline("The quick brown fox jumps over the lazy dog", 20) == "The quick brown fox…"
    assert sanitise_inline("abcdefghijklmnopqrstuvwxyz", 10) == "abcdefghi…"


def test_plain_spans_are_literal_text() -> None:
    """Markup typed as text is shown as typed: escaped markdown, defused mentions, timestamps and links."""
    out = render("**hi** ~~x~~ ||s|| [a](https://e.org) <t:0:F> <#1> <:e:2> @here `c`")
    assert out == (
        "\\*\\*hi\\*\\* \\~\\~x\\~\\~ \\|\\|s\\|\\| \\[a\\](https://e.org) <\u200bt:0:F> <\u200b#1> <\u200b:e:2> "
        "@\u200bhere \\`c\\`"
    )


def test_web_addresses_in_literal_text_stay_usable() -> None:
    """An address in plain text is written as typed (a backslash would join it), its sentence punctuation escaped."""
    out = render("See https://e.org/a_b*c~d_(x). and *this* @everyone https://e.org/@everyone_")
    assert out == "See https://e.org/a_b*c~d_(x). and \\*this\\* @\u200beveryone https://e.org/%40everyone\\_"
    assert render("set facilitator_channel") == "set facilitator\\_channel"


def test_line_starts_are_escaped_only_where_they_make_blocks() -> None:
    """Quotes, headings, subtext and list bullets at a line start are escaped; #tags and P-3 are left alone."""
    assert render("> q\n# h\n-# s\n- i\n#tag\nP-3\n+1") == "\\> q\n\\# h\n\\-# s\n\\- i\n#tag\nP-3\n+1"


def test_hidden_characters_are_removed_from_literal_text() -> None:
    """Zero-width, bidi-override and control characters never reach Discord."""
    assert render("ad\u200bmin\u202e\x07 team\ufeff") == "admin team"


# -- markup ------------------------------------------------------------------------------------------------------


def test_times_mentions_and_links_become_discord_markup() -> None:
    """A time is <t:UNIX:STYLE>, mentions are <@id>, <@&id>, <#id>, a link a masked link (a bare URL when the same)."""
    out = render(
        text(
            Time(WHEN),
            " ",
            Time(WHEN, TimeStyle.RELATIVE),
            " ",
            user(1),
            role(2),
            channel(3),
            " ",
            Link("the *guide*", "https://e.org/a_b"),
            " ",
            Link("https://e.org/x", "https://e.org/x"),
        )
    )
    assert out == f"<t:{UNIX}:F> <t:{UNIX}:R> <@1><@&2><#3> [the \\*guide\\*](https://e.org/a_b) https://e.org/x"


def test_link_addresses_cannot_break_out_or_ping() -> None:
    """Brackets, spaces and @everyone in an address are percent-encoded (the same address)."""
    out = render(Link("x", "https://e.org/a (b)/@everyone"))
    assert out == "[x](https://e.org/a%20%28b%29/%40everyone)"


def test_emphasis_becomes_markdown() -> None:
    """Bold, italic, struck, code, quote, small print and code blocks use Discord's markers."""
    assert render(text(strong("a*b"), " ", italic("c"), " ", struck("d"), " ", code("e`f"))) == (
        "**a\\*b** _c_ ~~d~~ `eˋf`"
    )
    assert render(text("intro", quote("one\ntwo"), "after")) == "intro\n> one\n> two\nafter"
    assert render(text("hello", small("ref 1"))) == "hello\n-# ref 1"
    assert render(text("Ratings", code_block("5 ★ █\n4 ★"))) == "Ratings\n```\n5 ★ █\n4 ★\n```"
    assert render(text(italic("x"), "abc")) == "*x*abc"  # "_" would not close before a letter


def test_titles_are_one_line_and_footers_plain() -> None:
    """Titles lose line breaks; footers (which Discord shows without markdown) are not escaped."""
    assert render("a\nb *c*", mode=Mode.INLINE) == "a b \\*c\\*"
    assert render(text("ref_1 *x* ", Time(WHEN)), mode=Mode.PLAIN) == "ref_1 *x* 2026-03-04 18:30 UTC"


# -- limits ------------------------------------------------------------------------------------------------------


def _body(out: str, full: str) -> str:
    """Return what a cut output kept of the full text (without its ellipsis and closing markers)."""
    if out == full:
        return out
    head, _, closers = out.rpartition(ELLIPSIS)
    assert set(closers) <= set("*_~`\n"), closers
    return head


@settings(
    max_examples=150, deadline=None, derandomize=True
)  # the same examples every CI run; explore with --hypothesis-seed
@given(RICH, st.integers(min_value=1, max_value=400))
@example(text("\\"), 2)  # a whole escaped backslash ends in a backslash (found by Hypothesis)
@example(text(code("<@")), 4)  # "<@" inside a code span is shown as typed (found by Hypothesis)
@example(text("http://@here_\\"), 16)  # an address ending in a backslash (found by Hypothesis)
def test_a_cut_never_splits_an_escape_a_token_or_a_link(value: Text, limit: int) -> None:
    """At any limit the output fits, never pings, and keeps every escape, timestamp, mention and link whole."""
    full = render(value, UNLIMITED)
    out = render(value, limit)
    assert len(out) <= limit
    _no_pings(out)
    body = _body(out, full).rstrip()
    assert full.startswith(body)
    assert (len(body) - len(body.rstrip("\\"))) % 2 == 0  # a trailing backslash is never half an escape
    assert not full[len(body) :].startswith("\u200b")  # "@\u200beveryone" and "<\u200b@1>" stay whole
    # Discord shows code spans literally, so "<@" there is no token; a cut span is closed after the ellipsis.
    outside_code = re.sub(r"```.*?(?:```|$)", "", body, flags=re.S)
    outside_code = re.sub(r"(?<!\\)`[^`]*(?:`|$)", "", outside_code)
    for pattern in BROKEN:
        assert not pattern.search(outside_code), (pattern.pattern, body)
    assert out.count("```") % 2 == 0  # a cut code block is closed
    if "*" not in value.plain():
        assert out.count("**") % 2 == 0  # and so is bold


@settings(
    max_examples=150, deadline=None, derandomize=True
)  # the same examples every CI run; explore with --hypothesis-seed
@given(RICH)
def test_markup_size_bounds_what_discord_gets(value: Text) -> None:
    """The core lays messages out with markup_size; the Discord renderer never writes more than it."""
    assert len(render(value, UNLIMITED)) <= markup_size(value)


def test_every_embed_limit_holds_after_escaping() -> None:
    """Text that doubles when escaped still meets the title, description, field, footer and total limits."""
    star = "*" * 5000
    embed = Embed(
        title=star,
        description=text(star, Time(WHEN)),
        fields=tuple(EmbedField(star, star) for _ in range(30)),
        footer=star,
    )
    rendered = render_embed(embed)
    assert len(rendered.title or "") <= TITLE_LIMIT and len(rendered.description or "") <= DESCRIPTION_LIMIT
    assert len(rendered.footer or "") <= FOOTER_LIMIT and len(rendered.fields) <= 25
    assert all(len(f.name) <= FIELD_NAME_LIMIT and len(f.value) <= FIELD_VALUE_LIMIT for f in rendered.fields)
    assert len(rendered) <= EMBED_TOTAL_LIMIT
    assert (rendered.title or "").endswith("\\*…")  # cut between escapes, never inside one
    message = render_message(OutboundMessage(content=star, embeds=(embed,) * 3))
    assert len(message.content or "") <= CONTENT_LIMIT
    assert sum(len(e) for e in message.embeds) <= EMBED_TOTAL_LIMIT


def test_a_timestamp_at_the_limit_is_left_out_whole() -> None:
    """When a timestamp does not fit, it goes entirely (with the words before it kept)."""
    value = text("Reflections close ", Time(WHEN))
    assert render(value, 20) == "Reflections close…"
    assert render(value, len(f"Reflections close <t:{UNIX}:F>")) == f"Reflections close <t:{UNIX}:F>"


def test_a_cut_inside_bold_closes_it() -> None:
    """Cutting inside emphasis ends with the ellipsis and the closing marker."""
    assert render(text(strong("one two three four")), 12) == "**one two…**"


# -- stored notices ------------------------------------------------------------------------------------------


def test_notices_keep_their_rich_text_and_old_rows_keep_their_times() -> None:
    """A notice's payload holds plain text (for logs) and rich text; a row stored as markup gets its times back."""
    payload = notice_payload(text("Due ", Time(WHEN, TimeStyle.SHORT), " in ", channel(5), " *now*"))
    assert payload["text"] == "Due 2026-03-04 18:30 UTC in #5 *now*"
    assert render(notice_text(payload)) == f"Due <t:{UNIX}:f> in <#5> \\*now\\*"
    legacy = {"text": f"Blether could not post the reminder, due <t:{UNIX}:f>."}
    assert render(notice_text(legacy)) == f"Blether could not post the reminder, due <t:{UNIX}:f>."
