"""Turn the groups feature's core messages into discord.py arguments (ephemeral replies and edits)."""

from typing import Any

from bot.core.messages import OutboundMessage, RichText
from bot.discord_ports import message_kwargs
from bot.discord_render import render


def reply_kwargs(message: OutboundMessage) -> dict[str, Any]:
    """Return send/edit keyword arguments for a core message (no pings; buttons routed by DynamicItems)."""
    kwargs = message_kwargs(message)
    kwargs.setdefault("content", None)
    kwargs.setdefault("embeds", [])
    kwargs.setdefault("view", None)
    return kwargs


def line(value: RichText) -> str:
    """Return rich text as one Discord message."""
    return render(value, 2000)
