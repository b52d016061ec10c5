"""custom_id of the "Erase my data" confirmation: builder and strict parser.

``blether:evaluation:erase:<user id>`` carries the requester's user id, so a click by anyone else is refused
before anything is erased. The template suits discord.py DynamicItem; the parser full-matches and returns
None for anything else.
"""

import re

ERASE_PREFIX = "blether:evaluation:erase:"
ERASE_TEMPLATE = r"blether:evaluation:erase:(?P<user_id>[1-9][0-9]{0,19})"
_ERASE = re.compile(ERASE_TEMPLATE)
_MAX_SNOWFLAKE = 2**64 - 1


def erase_button_id(user_id: int) -> str:
    """Return the confirm button's custom_id for a user."""
    return f"{ERASE_PREFIX}{user_id}"


def parse_erase_button_id(custom_id: str) -> int | None:
    """Return the requester's user id of a confirm button's custom_id, or None."""
    match = _ERASE.fullmatch(custom_id)
    if match is None:
        return None
    user_id = int(match["user_id"])
    return user_id if user_id <= _MAX_SNOWFLAKE else None
