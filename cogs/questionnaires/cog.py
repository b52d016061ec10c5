"""/questionnaire create|edit|items|open|close|status (facilitators), and the page modals' submit route."""

import re
from collections.abc import Mapping
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.questionnaires import render as core
from bot.core.questionnaires.ids import MODAL_TEMPLATE
from cogs._shared.actors import actor_from
from cogs._shared.interactions import ModalValue
from cogs._shared.replies import send_ephemeral
from cogs.questionnaires import render
from cogs.questionnaires.views import ContinueButton, LaterButton, MentorButton, StartButton

FACILITATOR = {"facilitator": True}
Template = Literal["end-of-programme", "facilitators", "baseline"]
Action = Literal["add", "change", "remove"]
Kind = Literal["agreement", "choice", "yes_maybe_no", "short_text", "long_text"]


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Questionnaire(
    commands.GroupCog,
    group_name="questionnaire",
    group_description="Facilitator: questionnaires (end of programme, facilitators, baseline).",
    group_extras=FACILITATOR,
):
    """Create, edit, open, close and follow questionnaires."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot
        self.service = bot.services.questionnaires

    async def name_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Suggest the server's questionnaires."""
        names = await self.service.names(interaction.guild_id or 0)
        typed = str(current or "").lower()
        return [app_commands.Choice(name=n, value=n) for n in names if typed in n.lower()][:25]

    @app_commands.command(name="create", extras=FACILITATOR)
    async def create(
        self,
        interaction: discord.Interaction,
        template: Template,
        name: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        """Create a questionnaire from a built-in template with the programme's learning outcomes.

        Args:
            template: end-of-programme (participants), facilitators (facilitators, peer coaches, speakers), baseline.
            name: A name of your own (the template's name if left out).
        """
        view = await self.service.create(actor_from(interaction), template, name)
        await send_ephemeral(interaction, embed=render.view_embed(view))

    @app_commands.command(name="items", extras=FACILITATOR)
    @app_commands.autocomplete(name=name_choices)
    async def items(self, interaction: discord.Interaction, name: str) -> None:
        """Show a questionnaire's items, version, pages and schedule.

        Args:
            name: The questionnaire.
        """
        view = await self.service.view(actor_from(interaction), name)
        await send_ephemeral(interaction, embed=render.view_embed(view))

    @app_commands.command(name="edit", extras=FACILITATOR)
    @app_commands.autocomplete(name=name_choices)
    async def edit(
        self,
        interaction: discord.Interaction,
        name: str,
        action: Action,
        number: app_commands.Range[int, 1, 40] | None = None,
        kind: Kind | None = None,
        text: app_commands.Range[str, 1, 150] | None = None,
        choices: app_commands.Range[str, 1, 400] | None = None,
    ) -> None:
        """Add, change or remove an item (after answers exist, a new version; old answers keep theirs).

        Args:
            name: The questionnaire.
            action: add an item at the end, change item number, or remove item number.
            number: The item's number in /questionnaire items (change and remove).
            kind: The kind of item (add; change keeps the kind unless you give one).
            text: The item's words (≤ 150 characters).
            choices: For a choice item: the options separated by | (2 to 10).
        """
        view = await self.service.edit_items(
            actor_from(interaction), name, action, number=number or 0, kind=kind, text=text or "", choices=choices or ""
        )
        await send_ephemeral(interaction, embed=render.view_embed(view))

    @app_commands.command(name="open", extras=FACILITATOR)
    @app_commands.autocomplete(name=name_choices)
    async def open_questionnaire(
        self,
        interaction: discord.Interaction,
        name: str,
        at: app_commands.Range[str, 1, 40] | None = None,
        days: app_commands.Range[int, 1, 90] | None = None,
    ) -> None:
        """Open a questionnaire now, or at a set time.

        Args:
            name: The questionnaire.
            at: When to open, YYYY-MM-DD HH:MM in the programme's time zone (now if left out).
            days: How many days it stays open (21 if left out).
        """
        q = await self.service.open(actor_from(interaction), name, at=at, days=days)
        await send_ephemeral(interaction, core.opened(q, self.bot.services.clock.now()))

    @app_commands.command(name="close", extras=FACILITATOR)
    @app_commands.autocomplete(name=name_choices)
    async def close(self, interaction: discord.Interaction, name: str) -> None:
        """Close a questionnaire now and post the completion summary to facilitators.

        Args:
            name: The questionnaire.
        """
        q = await self.service.close(actor_from(interaction), name)
        await send_ephemeral(interaction, core.closed(q))

    @app_commands.command(name="status", extras=FACILITATOR)
    @app_commands.autocomplete(name=name_choices)
    async def status(self, interaction: discord.Interaction, name: str) -> None:
        """Show how many started and finished, overall and by area and role (counts under 5 hidden).

        Args:
            name: The questionnaire.
        """
        report = await self.service.status(actor_from(interaction), name)
        await send_ephemeral(interaction, embed=render.status_embed(report))


class Pages(commands.Cog):
    """The page modals' submit route."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    async def submit(
        self, interaction: discord.Interaction, match: re.Match[str], values: Mapping[str, ModalValue]
    ) -> None:
        """Save a submitted page, then offer the next one (or show the summary after the last)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        saved = await self.bot.services.questionnaires.submit_page(
            actor_from(interaction),
            int(match["questionnaire_id"]),
            int(match["version"]),
            int(match["page"]),
            dict(values),
        )
        await send_ephemeral(interaction, **render.reply_kwargs(core.between_pages(saved)))


async def setup(bot: BletherBot) -> None:
    """Load the cogs, the persistent buttons and the page modal route."""
    pages = Pages(bot)
    bot.add_persistent_buttons(StartButton, ContinueButton, LaterButton, MentorButton)
    bot.router.add_modal(MODAL_TEMPLATE, pages.submit, name="questionnaire page")
    await bot.add_cog(Questionnaire(bot))
    await bot.add_cog(pages)
