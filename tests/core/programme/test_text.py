"""Cleaning user text: no hidden characters, normalised whitespace; nothing is escaped in the core."""

from bot.core.text import clean_text, one_line, paragraphs


def test_hidden_characters_are_removed() -> None:
    """Zero-width, bidi-override and control characters disappear."""
    assert clean_text("ad\u200bmin\u202e\x07 team\ufeff", keep_newlines=False) == "admin team"


def test_one_line_and_paragraphs_clip_without_escaping() -> None:
    """User text is cleaned and cut at a word with "…", but markup characters stay as typed."""
    assert one_line("**Big**\n _day_ @everyone", 100) == "**Big** _day_ @everyone"
    assert one_line("The quick brown fox jumps over the lazy dog", 20) == "The quick brown fox…"
    assert paragraphs("a  b\n\n\n\n> c", 100) == "a b\n\n> c"
    assert one_line(None, 10) == "" and paragraphs("", 10) == ""
