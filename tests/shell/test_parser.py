"""Reading shell lines: who acts, expected failures, quotes, options like Discord's, durations."""

from datetime import timedelta

import pytest

from bot.shell.app import parse_duration
from bot.shell.parser import ShellInputError, answer_text, is_answer, parse_line, split_options


def test_a_line_names_who_acts_and_keeps_quoted_words_together() -> None:
    """`as NAME` picks the person; quotes group words inside an option."""
    line = parse_line('as morag /session add number:1 title:"Mapping our communities"')
    assert line is not None
    assert line.person == "morag"
    assert line.words == ("/session", "add", "number:1", "title:Mapping our communities")
    assert not line.expect_failure


def test_a_leading_bang_marks_a_line_expected_to_fail() -> None:
    """`! as morag /x` is expected to fail and still names morag."""
    line = parse_line("! as morag /session cancel session:3")
    assert line is not None and line.expect_failure and line.person == "morag"


def test_blank_and_comment_lines_are_skipped_and_unbalanced_quotes_refused() -> None:
    """Comments and blanks give None; an open quote is a readable error."""
    assert parse_line("") is None
    assert parse_line("   # a comment") is None
    with pytest.raises(ShellInputError, match="close every quote"):
        parse_line('/story text:"unfinished')


def test_answer_lines_drop_the_marker_and_one_space() -> None:
    """ "> 5" answers 5; ">" alone answers nothing; other lines are not answers."""
    assert is_answer("> 5") and answer_text("> 5") == "5"
    assert is_answer(">") and answer_text(">") == ""
    assert answer_text(">  two spaces") == " two spaces"
    assert not is_answer("/sessions")


def test_options_are_matched_by_name_and_links_stay_values() -> None:
    """Known name:value words are options; https://… and voice:… are positional values."""
    arguments = split_options(
        ["url:https://example.org", "https://other.example", "voice:123", "TITLE:Hi"], ["url", "title"]
    )
    assert arguments.named == {"url": "https://example.org", "title": "Hi"}
    assert arguments.positional == ("https://other.example", "voice:123")


def test_an_unknown_or_repeated_option_is_refused() -> None:
    """A typo never becomes a value; an option may be given once."""
    with pytest.raises(ShellInputError, match="no option 'numbr'"):
        split_options(["numbr:1"], ["number", "title"])
    with pytest.raises(ShellInputError, match="given twice"):
        split_options(["title:a", "title:b"], ["title"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", timedelta(days=1)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1w", timedelta(weeks=1)),
        ("90m", timedelta(minutes=90)),
        ("1d 12h", timedelta(days=1, hours=12)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    """Durations combine weeks, days, hours and minutes."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "tomorrow", "1x", "1d and 2h"])
def test_bad_durations_are_refused(text: str) -> None:
    """Anything else is a readable error."""
    with pytest.raises(ShellInputError):
        parse_duration(text)
