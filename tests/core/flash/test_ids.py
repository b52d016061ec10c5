"""Draft button custom_ids: builders and the strict parser."""

import re

import pytest

from bot.core.flash.ids import (
    CUSTOM_ID_TEMPLATE,
    FlashAction,
    FlashButton,
    InvalidCustomIdError,
    intro_id,
    is_flash_id,
    parse_custom_id,
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
