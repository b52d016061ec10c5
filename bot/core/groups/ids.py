"""custom_ids of the groups feature's buttons and their DynamicItem templates (Discord allows ≤ 100 characters).

    blether:groups:create:<proposal_id>    "Create" under proposed groups
    blether:groups:shuffle:<proposal_id>   "Shuffle"
    blether:groups:cancel:<proposal_id>    "Cancel"
    blether:groups:join:<session_id>       "Join a group" on a reflection card or reminder

    blether:connect:<yes|not_yet|skip>:<connection id>   "Did you meet?"

The *_TEMPLATE strings are regexes for discord.py DynamicItem, which full-matches them, so a tampered id never
reaches the service as a number. The proposal id is looked up in the database, so the buttons keep working
after a restart.
"""

_ID = r"(?P<id>[1-9][0-9]{0,18})"
_MAX = 2**63 - 1

PROPOSAL_TEMPLATE = rf"blether:groups:(?P<action>create|shuffle|cancel):{_ID}"
JOIN_TEMPLATE = rf"blether:groups:join:{_ID}"
MEET_TEMPLATE = rf"blether:connect:(?P<answer>yes|not_yet|skip):{_ID}"
ACTIONS = ("create", "shuffle", "cancel")


def proposal_button_id(action: str, proposal_id: int) -> str:
    """Return the custom_id of a proposal's Create, Shuffle or Cancel button."""
    if action not in ACTIONS or not 1 <= proposal_id <= _MAX:
        raise ValueError("unknown action or id")
    return f"blether:groups:{action}:{proposal_id}"


def join_button_id(session_id: int) -> str:
    """Return the custom_id of a session's "Join a group" button."""
    if not 1 <= session_id <= _MAX:
        raise ValueError("session ids are positive 64-bit integers")
    return f"blether:groups:join:{session_id}"


def meet_button_id(answer: str, connection_id: int) -> str:
    """Return the custom_id of a "Did you meet?" button."""
    if answer not in ("yes", "not_yet", "skip") or not 1 <= connection_id <= _MAX:
        raise ValueError("unknown answer or id")
    return f"blether:connect:{answer}:{connection_id}"
