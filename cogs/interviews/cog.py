"""/interviews shortlist|invite|list (facilitators) and the invitation's persistent Yes / No buttons."""

import re
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.interviews import render as core
from bot.core.interviews.ids import ANSWER_TEMPLATE
from cogs._shared.actors import actor_from
from cogs._shared.interactions import guarded
from cogs._shared.replies import send_ephemeral
from cogs.interviews import render

FACILITATOR = {"facilitator": True}


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Interviews(
    commands.GroupCog,
    group_name="interviews",
    group_description="Facilitator: shortlist and invite people for evaluation interviews.",
    group_extras=FACILITATOR,
):
    """Shortlist, invite and follow interviewees."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot
        self.service = bot.services.interviews

    @app_commands.command(name="shortlist", extras=FACILITATOR)
    async def shortlist(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, 20] = 5,
        vary_by: Literal["area", "role", "attendance"] | None = None,
    ) -> None:
        """Propose people who agreed to interview contact, varied across area, role and attendance.

        Args:
            count: How many to propose (5 if left out).
            vary_by: Vary by this only (all three if left out).
        """
        result = await self.service.shortlist(actor_from(interaction), count, vary_by)
        await send_ephemeral(interaction, embed=render.shortlist_embed(result))

    @app_commands.command(name="invite", extras=FACILITATOR)
    async def invite(self, interaction: discord.Interaction) -> None:
        """Send each proposed person a DM asking whether the evaluation team may contact them."""
        listing = await self.service.invite(actor_from(interaction))
        await send_ephemeral(interaction, embed=render.list_embed(listing, "Interview invitations"))

    @app_commands.command(name="list", extras=FACILITATOR)
    async def listing(self, interaction: discord.Interaction) -> None:
        """Show everyone on the interview list and their answers."""
        listing = await self.service.listing(actor_from(interaction))
        await send_ephemeral(interaction, embed=render.list_embed(listing))


async def answer(interaction: discord.Interaction, guild_id: int, accepted: bool) -> None:
    """Record an answer to an interview invitation."""
    services: Any = getattr(interaction.client, "services")  # noqa: B009
    await services.interviews.answer(actor_from(interaction), guild_id, accepted)
    await send_ephemeral(interaction, core.answered(accepted))


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ANSWER_TEMPLATE):
    """ "Yes, contact me" / "No thanks" in an interview invitation (blether:interview:<guild>:<yes|no>)."""

    def __init__(self, guild_id: int, answer: str) -> None:
        super().__init__(discord.ui.Button(label=answer, custom_id=f"blether:interview:{guild_id}:{answer}"))
        self.guild_id = guild_id
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "AnswerButton":
        """Rebuild the button from its custom_id."""
        return cls(int(match["guild_id"]), match["answer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the answer."""
        await guarded(interaction, "interview answer button", answer(interaction, self.guild_id, self.answer == "yes"))


async def setup(bot: BletherBot) -> None:
    """Load the cog and the invitation buttons."""
    bot.add_persistent_buttons(AnswerButton)
    await bot.add_cog(Interviews(bot))
