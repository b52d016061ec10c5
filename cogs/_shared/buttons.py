"""What every persistent button and routed form shares: reading a custom_id with the core's strict parser.

Persistent buttons are discord.py DynamicItems, rebuilt from the custom_id of any click (also after a
restart). The template only routes the click; the id inside is read by the core's parser for that id, the
same one the core uses, so a tampered custom_id never reaches a service as a number.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import discord

T = TypeVar("T")


class InvalidButtonError(ValueError):
    """A custom_id matched a button's template but not the core's parser (they share the pattern, so: a bug)."""


def parsed_id(custom_id: str, parse: Callable[[str], T | None], what: str) -> T:
    """Return what parse reads from a custom_id; raise InvalidButtonError when it reads nothing."""
    value = parse(custom_id)
    if value is None:
        raise InvalidButtonError(f"not {what}")
    return value


def custom_id_of(item: discord.ui.Item[Any]) -> str:
    """Return a clicked item's custom_id ("" for an item without one; Item itself declares none)."""
    return str(getattr(item, "custom_id", "") or "")


def clicked_id(item: discord.ui.Item[Any], parse: Callable[[str], T | None], what: str) -> T:
    """Return what parse reads from a clicked item's custom_id (see parsed_id)."""
    return parsed_id(custom_id_of(item), parse, what)
