"""custom_id values of the buttons under a Flash Report draft and of its intro form, and their strict parsers.

Format: ``blether:flash:<action>:<issue_id>`` with action publish, intro or skip and a positive issue id,
e.g. ``blether:flash:publish:12``. CUSTOM_ID_TEMPLATE suits discord.ui.DynamicItem, so the buttons keep
working after a restart. The intro form is ``blether:flash:intro-form:<issue_id>`` (INTRO_FORM_TEMPLATE, for
the modal router).
"""

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "blether:flash:"
CUSTOM_ID_TEMPLATE = r"blether:flash:(?P<action>publish|intro|skip):(?P<issue_id>[1-9][0-9]{0,17})"
_CUSTOM_ID = re.compile(rf"^{CUSTOM_ID_TEMPLATE}$")
INTRO_FORM_TEMPLATE = r"blether:flash:intro-form:(?P<issue_id>[1-9][0-9]{0,17})"
_INTRO_FORM = re.compile(INTRO_FORM_TEMPLATE)


class FlashAction(StrEnum):
    """What a draft button does."""

    PUBLISH = "publish"
    INTRO = "intro"
    SKIP = "skip"


class InvalidCustomIdError(ValueError):
    """A custom_id that claims to be a Flash Report button but is malformed (a bug or a forged id)."""


@dataclass(frozen=True, slots=True)
class FlashButton:
    """A parsed draft button."""

    action: FlashAction
    issue_id: int


def _build(action: FlashAction, issue_id: int) -> str:
    if isinstance(issue_id, bool) or not isinstance(issue_id, int) or not 0 < issue_id < 10**18:
        raise ValueError(f"issue ids are positive integers, not {issue_id!r}")
    return f"{PREFIX}{action.value}:{issue_id}"


def publish_id(issue_id: int) -> str:
    """Return the custom_id of "Publish now" for an issue."""
    return _build(FlashAction.PUBLISH, issue_id)


def intro_id(issue_id: int) -> str:
    """Return the custom_id of "Edit intro" for an issue (the adapter opens a modal)."""
    return _build(FlashAction.INTRO, issue_id)


def skip_id(issue_id: int) -> str:
    """Return the custom_id of "Skip this month" for an issue."""
    return _build(FlashAction.SKIP, issue_id)


def is_flash_id(custom_id: str) -> bool:
    """Tell whether a custom_id belongs to the Flash Report buttons (well-formed or not)."""
    return custom_id.startswith(PREFIX)


def parse_custom_id(custom_id: str) -> FlashButton:
    """Read a draft button's custom_id.

    Raises:
        InvalidCustomIdError: when it is not exactly ``blether:flash:(publish|intro|skip):<positive id>``.
    """
    match = _CUSTOM_ID.fullmatch(custom_id)
    if match is None:
        raise InvalidCustomIdError(f"not a Flash Report button id: {custom_id[:100]!r}")
    return FlashButton(FlashAction(match.group("action")), int(match.group("issue_id")))


def intro_form_id(issue_id: int) -> str:
    """Return the custom_id of the "Edit intro" form of an issue."""
    if isinstance(issue_id, bool) or not isinstance(issue_id, int) or not 0 < issue_id < 10**18:
        raise ValueError(f"issue ids are positive integers, not {issue_id!r}")
    return f"{PREFIX}intro-form:{issue_id}"


def parse_intro_form_id(custom_id: str) -> int | None:
    """Return the issue id of an intro form's custom_id, or None."""
    match = _INTRO_FORM.fullmatch(custom_id)
    return None if match is None else int(match["issue_id"])
