"""Discover the bot's persistent (DynamicItem) buttons and synthesise well-formed custom_ids for them."""

import re
from re import _constants as sre_constants  # the sre_* aliases are deprecated since 3.11
from re import _parser as sre_parse
from typing import Any

# Button actions only facilitators may take (Flash Report curation, closing polls, ...).
FACILITATOR_ACTIONS = ("publish", "intro", "skip", "close", "approve", "reject", "curate", "remove", "delete", "reopen")


def dynamic_items(client: Any) -> dict[re.Pattern[str], type]:
    """Return {compiled template: DynamicItem class} registered on a discord.py client."""
    store = client._connection._view_store
    return dict(store._dynamic_items)


def facilitator_examples(client: Any) -> list[tuple[str, type]]:
    """Return a well-formed custom_id for every facilitator action of every persistent button."""
    found: list[tuple[str, type]] = []
    for pattern, item in dynamic_items(client).items():
        doc = (item.__doc__ or "").lower()
        marked = bool(getattr(item, "facilitator_only", False)) or "facilitator" in doc
        for custom_id in examples(pattern):
            if marked or any(word in custom_id.split(":") for word in FACILITATOR_ACTIONS):
                found.append((custom_id, item))
    return found


def examples(pattern: re.Pattern[str]) -> list[str]:
    """Return custom_ids fully matching pattern: one per alternative of each alternation, digits as 1."""
    parsed = sre_parse.parse(pattern.pattern)
    results = [""]
    for op, arg in parsed:
        results = [prefix + tail for prefix in results for tail in _render(op, arg)]
    return sorted({r for r in results if pattern.fullmatch(r)})


def _render(op: Any, arg: Any) -> list[str]:
    if op is sre_constants.LITERAL:
        return [chr(arg)]
    if op is sre_constants.SUBPATTERN:
        return _seq(arg[-1])
    if op is sre_constants.BRANCH:
        return [s for branch in arg[1] for s in _seq(branch)]
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        low, _high, sub = arg
        options = _seq(sub)
        return [options[0] * max(low, 1)] if options else [""]
    if op is sre_constants.IN:
        for kind, value in arg:
            if kind is sre_constants.LITERAL:
                return [chr(value)]
            if kind is sre_constants.RANGE:
                low, high = value
                return ["1" if low <= ord("1") <= high else chr(low)]
            if kind is sre_constants.CATEGORY:
                return ["1" if value is sre_constants.CATEGORY_DIGIT else "a"]
        return ["1"]
    if op is sre_constants.CATEGORY:
        return ["1" if arg is sre_constants.CATEGORY_DIGIT else "a"]
    if op is sre_constants.ANY:
        return ["a"]
    return [""]  # anchors and lookarounds render as nothing


def _seq(parsed: Any) -> list[str]:
    results = [""]
    for op, arg in parsed:
        results = [prefix + tail for prefix in results for tail in _render(op, arg)]
    return results
