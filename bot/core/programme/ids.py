"""Button custom_ids for session messages: builders and strict parsers (Discord allows ≤ 100 characters).

The templates are anchored-free regexes for discord.py DynamicItem (which full-matches them);
the parse functions full-match too and return None for anything else.
"""

import re

MAX_CUSTOM_ID = 100
_ID = r"(?P<session_id>[1-9][0-9]{0,18})"

ICS_TEMPLATE = rf"blether:ics:{_ID}"
RSVP_TEMPLATE = rf"blether:rsvp:{_ID}"

_ICS = re.compile(ICS_TEMPLATE)
_RSVP = re.compile(RSVP_TEMPLATE)


def _build(prefix: str, session_id: int) -> str:
    if session_id < 1:
        raise ValueError("session ids are positive")
    custom_id = f"{prefix}{session_id}"
    if len(custom_id) > MAX_CUSTOM_ID:  # pragma: no cover - 19 digits fit easily
        raise ValueError("custom_id too long")
    return custom_id


def _parse(pattern: re.Pattern[str], custom_id: str) -> int | None:
    match = pattern.fullmatch(custom_id) if len(custom_id) <= MAX_CUSTOM_ID else None
    return None if match is None else int(match["session_id"])


def ics_button_id(session_id: int) -> str:
    """Return the custom_id of a session's "Add to calendar" button."""
    return _build("blether:ics:", session_id)


def parse_ics_button_id(custom_id: str) -> int | None:
    """Return the session id of an "Add to calendar" custom_id, or None if it is not one."""
    return _parse(_ICS, custom_id)


def rsvp_button_id(session_id: int) -> str:
    """Return the custom_id of a session's "I'll be there" button."""
    return _build("blether:rsvp:", session_id)


def parse_rsvp_button_id(custom_id: str) -> int | None:
    """Return the session id of an "I'll be there" custom_id, or None if it is not one."""
    return _parse(_RSVP, custom_id)
