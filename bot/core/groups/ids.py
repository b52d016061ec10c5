"""custom_ids of the groups feature's buttons: builders and strict parsers (Discord allows ≤ 100 characters).

    blether:groups:create:<proposal_id>    "Create" under proposed groups
    blether:groups:shuffle:<proposal_id>   "Shuffle"
    blether:groups:cancel:<proposal_id>    "Cancel"
    blether:groups:join:<session_id>       "Join a group" on a reflection card or reminder

The *_TEMPLATE strings are regexes for discord.py DynamicItem (full-matched); parse_* return None for
anything else, so a tampered id never reaches the service as a number. The proposal id is looked up in
the database, so the buttons keep working after a restart.
"""

import re

_ID = r"(?P<id>[1-9][0-9]{0,18})"
_MAX = 2**63 - 1

PROPOSAL_TEMPLATE = rf"blether:groups:(?P<action>create|shuffle|cancel):{_ID}"
JOIN_TEMPLATE = rf"blether:groups:join:{_ID}"
_PROPOSAL = re.compile(PROPOSAL_TEMPLATE)
_JOIN = re.compile(JOIN_TEMPLATE)
ACTIONS = ("create", "shuffle", "cancel")


def proposal_button_id(action: str, proposal_id: int) -> str:
    """Return the custom_id of a proposal's Create, Shuffle or Cancel button."""
    if action not in ACTIONS or not 1 <= proposal_id <= _MAX:
        raise ValueError("unknown action or id")
    return f"blether:groups:{action}:{proposal_id}"


def parse_proposal_button_id(custom_id: object) -> tuple[str, int] | None:
    """Return (action, proposal id) of a proposal button's custom_id, or None."""
    if not isinstance(custom_id, str) or len(custom_id) > 100:
        return None
    match = _PROPOSAL.fullmatch(custom_id)
    if match is None or int(match["id"]) > _MAX:
        return None
    return match["action"], int(match["id"])


def join_button_id(session_id: int) -> str:
    """Return the custom_id of a session's "Join a group" button."""
    if not 1 <= session_id <= _MAX:
        raise ValueError("session ids are positive 64-bit integers")
    return f"blether:groups:join:{session_id}"


def parse_join_button_id(custom_id: object) -> int | None:
    """Return the session id of a "Join a group" custom_id, or None."""
    if not isinstance(custom_id, str) or len(custom_id) > 100:
        return None
    match = _JOIN.fullmatch(custom_id)
    if match is None or int(match["id"]) > _MAX:
        return None
    return int(match["id"])


MEET_TEMPLATE = rf"blether:connect:(?P<answer>yes|not_yet|skip):{_ID}"
_MEET = re.compile(MEET_TEMPLATE)


def meet_button_id(answer: str, connection_id: int) -> str:
    """Return the custom_id of a "Did you meet?" button."""
    if answer not in ("yes", "not_yet", "skip") or not 1 <= connection_id <= _MAX:
        raise ValueError("unknown answer or id")
    return f"blether:connect:{answer}:{connection_id}"


def parse_meet_button_id(custom_id: object) -> tuple[str, int] | None:
    """Return (answer, connection id) of a "Did you meet?" custom_id, or None."""
    if not isinstance(custom_id, str) or len(custom_id) > 100:
        return None
    match = _MEET.fullmatch(custom_id)
    if match is None or int(match["id"]) > _MAX:
        return None
    return match["answer"], int(match["id"])
