"""Turn the groups feature's core messages into discord.py arguments (ephemeral replies and edits)."""

from typing import TypedDict

import discord

from bot.core.messages import OutboundMessage, RichText
from bot.discord_ports import message_kwargs
from bot.discord_render import render


class ReplyKwargs(TypedDict):
    """Keyword arguments of an edit (every part given, so it replaces the old one) or an ephemeral reply."""

    content: str | None
    embeds: list[discord.Embed]
    view: discord.ui.View | None
    allowed_mentions: discord.AllowedMentions


def reply_kwargs(message: OutboundMessage) -> ReplyKwargs:
    """Return send/edit keyword arguments for a core message (no pings; buttons routed by DynamicItems; no files)."""
    kwargs = message_kwargs(message)
    return {
        "content": kwargs.get("content"),
        "embeds": kwargs.get("embeds", []),
        "view": kwargs.get("view"),
        "allowed_mentions": kwargs["allowed_mentions"],
    }


def line(value: RichText) -> str:
    """Return rich text as one Discord message."""
    return render(value, 2000)
