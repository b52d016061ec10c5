"""Assertions on the bot's replies and on every request it made."""

import re
from typing import Any

from tests.fakediscord import validate

GENERIC_FAILURE = re.compile(r"something went wrong|reference [0-9A-F]{8}", re.IGNORECASE)
REFUSAL_WORDS = re.compile(r"facilitator|permission|manage events|not allowed|only .* can", re.IGNORECASE)
MESSAGE_ROUTES = ("/messages", "/callback", "/webhooks/")
CHANNEL_POST = "/channels/{channel_id}/messages"


def reply_problem(text: str) -> str | None:
    """Return why a reply is not a clear answer (empty, or the generic unhandled-error text), else None."""
    if not text.strip():
        return "no reply text"
    if GENERIC_FAILURE.search(text):
        return f"generic failure (an unhandled exception): {text[:300]!r}"
    return None


def refusal_problem(text: str, ephemeral: bool) -> str | None:
    """Return why a reply is not a friendly private refusal, else None."""
    problem = reply_problem(text)
    if problem:
        return problem
    if not ephemeral:
        return f"refusal is public: {text[:200]!r}"
    if not REFUSAL_WORDS.search(text):
        return f"reply does not say facilitators/permission: {text[:300]!r}"
    return None


def ping_problems(requests: list[Any], *, participant_role: int, since: int = 0) -> list[str]:
    """Return requests whose body could ping anyone; only channel posts (reminders) may ping the participant role."""
    problems = []
    for record in requests[since:]:
        if record.method not in ("POST", "PATCH") or not isinstance(record.json, dict):
            continue
        route = record.route or record.path
        if not any(part in route for part in MESSAGE_ROUTES):
            continue
        allow = [participant_role] if route == CHANNEL_POST else []
        for violation in validate.check_no_pings(record.json, allow_roles=allow):
            problems.append(f"{record.method} {route}: {violation}")
    return problems


def limit_problems(requests: list[Any], *, since: int = 0) -> list[str]:
    """Return Discord limit violations in request bodies recorded after since."""
    return [
        f"{r.method} {r.route}: {v}"
        for r in requests[since:]
        if isinstance(r.json, dict)
        for v in validate.check_limits(r.json)
    ]
