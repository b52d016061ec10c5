"""Option helpers shared by the Flash Report commands."""

import discord
from discord import app_commands

from cogs._shared.services import services


async def tag_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete a comma-separated tags option from the tags used in this server."""
    suggestions = await services(interaction).flash.suggest_tags(interaction.guild_id or 0, current)
    return [app_commands.Choice(name=s[:100], value=s[:100]) for s in suggestions[:25]]
