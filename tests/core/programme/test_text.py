"""Sanitising user text for embeds: no pings, no hidden characters, bounded length."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import clean_text, sanitise_block, sanitise_inline

NASTY = st.sampled_from(
    ["@everyone", "@here", "<@123>", "<@&456>", "<#789>", "<@!1>", "\u202e", "\u200b", "\x00", "\x1b", "**", "`", "\n"]
)
TEXT = st.lists(st.one_of(st.text(max_size=30), NASTY), max_size=20).map("".join)


def _controls(text: str, allowed: str = "") -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in allowed]


@given(TEXT, st.integers(min_value=1, max_value=300))
def test_inline_output_is_safe_and_bounded(text: str, limit: int) -> None:
    """Inline output never pings, has no control characters or newlines, and respects the limit."""
    out = sanitise_inline(text, limit)
    assert len(out) <= limit
    assert "@everyone" not in out.lower() and "@here" not in out.lower()
    assert "<@" not in out and "<#" not in out
    assert not _controls(out)
    assert "\u202e" not in out


@given(TEXT, st.integers(min_value=1, max_value=300))
def test_block_output_is_safe_and_bounded(text: str, limit: int) -> None:
    """Block output keeps only newlines among control characters, never pings and respects the limit."""
    out = sanitise_block(text, limit)
    assert len(out) <= limit
    assert "@everyone" not in out.lower() and "@here" not in out.lower()
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


def test_hidden_characters_are_removed() -> None:
    """Zero-width, bidi-override and control characters disappear."""
    assert clean_text("ad\u200bmin\u202e\x07 team\ufeff", keep_newlines=False) == "admin team"
