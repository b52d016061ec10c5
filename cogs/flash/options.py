"""Option helpers shared by the Flash Report commands."""

import discord
from discord import app_commands


async def tag_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete a comma-separated tags option from the tags used in this server."""
    services = interaction.client.services  # type: ignore[attr-defined]
    suggestions = await services.flash.suggest_tags(interaction.guild_id or 0, current)
    return [app_commands.Choice(name=s[:100], value=s[:100]) for s in suggestions[:25]]
