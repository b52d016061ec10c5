"""custom_ids of reflection cards and forms: builders and strict parsers (Discord allows ≤ 100 characters).

The *_TEMPLATE strings are regexes without anchors for discord.py DynamicItem and the modal router
(both full-match them); the parse functions full-match too and return None for anything else, so a
tampered id never reaches the service as a number.

    blether:reflect:<session_id>      the card's "Reflect" button
    blether:attend:<session_id>       the card's "I attended" button
    blether:reflection:<session_id>   the reflection modal
    q1 … q5                           the modal's answer fields, in question order
"""

import re

MAX_CUSTOM_ID = 100
MAX_FIELDS = 5
_ID = r"(?P<session_id>[1-9][0-9]{0,18})"

REFLECT_TEMPLATE = rf"blether:reflect:{_ID}"
ATTEND_TEMPLATE = rf"blether:attend:{_ID}"
MODAL_TEMPLATE = rf"blether:reflection:{_ID}"
FIELD_IDS = tuple(f"q{n}" for n in range(1, MAX_FIELDS + 1))

_REFLECT = re.compile(REFLECT_TEMPLATE)
_ATTEND = re.compile(ATTEND_TEMPLATE)
_MODAL = re.compile(MODAL_TEMPLATE)
_MAX_SNOWFLAKE = 2**63 - 1


def _build(prefix: str, session_id: int) -> str:
    if not 1 <= session_id <= _MAX_SNOWFLAKE:
        raise ValueError("session ids are positive 64-bit integers")
    return f"{prefix}{session_id}"


def _parse(pattern: re.Pattern[str], custom_id: object) -> int | None:
    if not isinstance(custom_id, str) or len(custom_id) > MAX_CUSTOM_ID:
        return None
    match = pattern.fullmatch(custom_id)
    if match is None:
        return None
    value = int(match["session_id"])
    return value if value <= _MAX_SNOWFLAKE else None


def reflect_button_id(session_id: int) -> str:
    """Return the custom_id of a card's "Reflect" button."""
    return _build("blether:reflect:", session_id)


def parse_reflect_button_id(custom_id: object) -> int | None:
    """Return the session id of a "Reflect" custom_id, or None if it is not exactly one."""
    return _parse(_REFLECT, custom_id)


def attend_button_id(session_id: int) -> str:
    """Return the custom_id of a card's "I attended" button."""
    return _build("blether:attend:", session_id)


def parse_attend_button_id(custom_id: object) -> int | None:
    """Return the session id of an "I attended" custom_id, or None if it is not exactly one."""
    return _parse(_ATTEND, custom_id)


def reflection_modal_id(session_id: int) -> str:
    """Return the custom_id of the reflection modal of a session."""
    return _build("blether:reflection:", session_id)


def parse_reflection_modal_id(custom_id: object) -> int | None:
    """Return the session id of a reflection modal custom_id, or None if it is not exactly one."""
    return _parse(_MODAL, custom_id)


def field_id(index: int) -> str:
    """Return the answer field id of the question at 0-based index ("q1" for the first)."""
    if not 0 <= index < MAX_FIELDS:
        raise ValueError(f"a form has at most {MAX_FIELDS} fields")
    return FIELD_IDS[index]
