"""/about (what Blether is) and /help (the commands the caller may use)."""

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.client import BletherBot
from cogs._shared.replies import send_ephemeral
from cogs.about import render


class About(commands.Cog):
    """Tell people what Blether is and which commands they can use."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="about")
    async def about(self, interaction: discord.Interaction) -> None:
        """Show what Blether does, its version and the programme's time zone."""
        await send_ephemeral(interaction, embed=render.about_embed(__version__, self.bot.settings.timezone))

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """List the commands you can use here."""
        facilitator = await render.caller_is_facilitator(self.bot, interaction)
        commands_ = render.visible_commands(self.bot.tree, facilitator=facilitator)
        await send_ephemeral(interaction, embed=render.help_embed(commands_, facilitator=facilitator))


async def setup(bot: BletherBot) -> None:
    """Load the cog."""
    await bot.add_cog(About(bot))
