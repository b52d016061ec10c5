"""/stories significant|list: facilitators mark each month's most significant story of change, with a reason."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.stories import render as core
from cogs._shared.actors import actor_from
from cogs._shared.replies import send_ephemeral
from cogs.stories import render

FACILITATOR = {"facilitator": True}


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Stories(
    commands.GroupCog,
    group_name="stories",
    group_description="Facilitator: the most significant story of change of each month.",
    group_extras=FACILITATOR,
):
    """Mark and list the most significant stories of change."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="significant", extras=FACILITATOR)
    async def significant(
        self,
        interaction: discord.Interaction,
        item: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 500],
        month: app_commands.Range[str, 7, 7] | None = None,
    ) -> None:
        """Mark a /story as the most significant change of its month, and say why.

        Args:
            item: The story's number from /flash items kind:story.
            reason: Why this change is the most significant (Most Significant Change method).
            month: YYYY-MM (the story's own month if left out).
        """
        highlight = await self.bot.services.stories.mark_significant(actor_from(interaction), item, reason, month)
        await send_ephemeral(interaction, core.marked(highlight))

    @app_commands.command(name="list", extras=FACILITATOR)
    async def listing(self, interaction: discord.Interaction) -> None:
        """List each month's most significant story and the reason."""
        highlights = await self.bot.services.stories.highlights(actor_from(interaction))
        await send_ephemeral(interaction, embed=render.highlights_embed(highlights))


async def setup(bot: BletherBot) -> None:
    """Load the cog."""
    await bot.add_cog(Stories(bot))
