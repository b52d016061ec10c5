"""Reach the core's services from an interaction (buttons and modals have no cog to hold them)."""

from typing import TYPE_CHECKING, cast

import discord

if TYPE_CHECKING:
    from bot.app import Services
    from bot.client import BletherBot


def blether(interaction: discord.Interaction) -> "BletherBot":
    """Return the bot an interaction came to."""
    return cast("BletherBot", interaction.client)


def services(interaction: discord.Interaction) -> "Services":
    """Return the core's services (built once by bot.app.build_services)."""
    return blether(interaction).services
