"""Option parsing shared by the session commands: where a session happens, clearing a text.

Choosing a session (by number) is cogs/_shared/sessions.py, shared with every command that names one.
"""

from typing import Any

import discord
from discord import app_commands

from bot.core.programme.validation import CLEAR, clearable, venue


class VenueChannel(app_commands.Transformer):
    """A voice or stage channel option, handed to the core as "<#id>" so the core checks its kind.

    Discord's client offers only voice and stage channels here; anything else that arrives anyway is
    refused by the core with a message that explains what a session's place can be.
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        """Ask Discord for a channel option."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Offer voice and stage channels only."""
        return [discord.ChannelType.voice, discord.ChannelType.stage_voice]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        """Return the channel as a mention the core resolves."""
        return f"<#{int(value.id)}>"


__all__ = ["CLEAR", "VenueChannel", "clearable", "venue"]
