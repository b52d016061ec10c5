"""Checks shared by the programme and session cogs."""

import discord
from discord import app_commands


def in_guild(interaction: discord.Interaction) -> bool:
    """Allow a command only inside a server; Discord hides these in DMs, this also covers odd or old clients.

    Raises NoPrivateMessage, which the one error mapping turns into a friendly explanation.
    """
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return True
