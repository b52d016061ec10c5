"""Draft button custom_ids: builders and the strict parser."""

import re

import pytest

from bot.core.flash.ids import (
    CUSTOM_ID_TEMPLATE,
    PAGE_TEMPLATE,
    FlashAction,
    FlashButton,
    InvalidCustomIdError,
    PageAction,
    PageButton,
    intro_id,
    is_flash_id,
    page_id,
    parse_custom_id,
    parse_page_id,
    publish_id,
    skip_id,
)


def test_builders_and_parser_round_trip() -> None:
    """Each builder's id parses back to its action and issue."""
    assert publish_id(12) == "blether:flash:publish:12"
    assert intro_id(12) == "blether:flash:intro:12"
    assert skip_id(12) == "blether:flash:skip:12"
    for build, action in (
        (publish_id, FlashAction.PUBLISH),
        (intro_id, FlashAction.INTRO),
        (skip_id, FlashAction.SKIP),
    ):
        assert parse_custom_id(build(7)) == FlashButton(action, 7)
        assert re.fullmatch(CUSTOM_ID_TEMPLATE, build(7))
        assert is_flash_id(build(7))


@pytest.mark.parametrize(
    "custom_id",
    [
        "blether:flash:publish:",
        "blether:flash:publish:0",
        "blether:flash:publish:012",
        "blether:flash:publish:-1",
        "blether:flash:publish:12:extra",
        "blether:flash:delete:12",
        "blether:flash:PUBLISH:12",
        "blether:flash:publish:12 ",
        "blether:flash:publish:1234567890123456789",
        "reminder:snooze:12",
    ],
)
def test_malformed_ids_are_refused(custom_id: str) -> None:
    """Only the exact format parses."""
    with pytest.raises(InvalidCustomIdError):
        parse_custom_id(custom_id)


@pytest.mark.parametrize("bad", [0, -3, True, 10**18])
def test_builders_refuse_impossible_ids(bad: int) -> None:
    """An id that is not a positive integer is a programming error."""
    with pytest.raises(ValueError):
        publish_id(bad)


def test_page_button_ids_round_trip_within_100_characters() -> None:
    """Include/Exclude page ids carry the range, kind and page, and stay under Discord's 100 characters."""
    built = page_id(PageAction.EXCLUDE, 31, 40, None, 4)
    assert built == "blether:flash:items:exclude:31:40:all:4"
    assert parse_page_id(built) == PageButton(PageAction.EXCLUDE, 31, 40, None, 4)
    longest = page_id(PageAction.EXCLUDE, 10**18 - 1, 10**18 - 1, "nomination", 999_999)
    assert len(longest) <= 100 and re.fullmatch(PAGE_TEMPLATE, longest)
    assert parse_page_id(page_id(PageAction.INCLUDE, 1, 2, "story", 1)).kind == "story"


@pytest.mark.parametrize(
    "forged",
    [
        "blether:flash:items:exclude:40:31:all:1",  # reversed range
        "blether:flash:items:exclude:0:31:all:1",
        "blether:flash:items:delete:1:2:all:1",
        "blether:flash:items:exclude:1:2:everything:1",
        "blether:flash:items:exclude:1:2:all:0",
        "blether:flash:items:exclude:1:2:all:1:extra",
        "blether:flash:items:exclude:-1:2:all:1",
        "blether:flash:items:exclude:1:1234567890123456789:all:1",
    ],
)
def test_forged_page_ids_are_refused(forged: str) -> None:
    """Anything but the exact page button format is refused before the core sees it; builders refuse bad ids."""
    with pytest.raises(InvalidCustomIdError):
        parse_page_id(forged)
    with pytest.raises(ValueError):
        page_id(PageAction.INCLUDE, 0, 1, None, 1)
