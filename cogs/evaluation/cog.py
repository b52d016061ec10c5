"""/export, /report programme|session, /privacy and /retention set: thin commands over EvaluationService.

Facilitator commands carry default_permissions (Discord hides them from others) and extras={"facilitator": True};
the core refuses non-facilitators at run time whatever Discord shows. /me data and /me delete join the
participants' /me group (cogs.participants loads first; see EXTENSIONS).
"""

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.evaluation import EvaluationService
from bot.core.messages import Embed
from bot.core.programme.domain import ProgrammeSettingsUpdate
from bot.discord_ports import discord_embed, to_discord_embed
from bot.discord_render import render_embeds
from cogs._shared.actors import actor_from
from cogs._shared.checks import FACILITATOR
from cogs._shared.files import to_files
from cogs._shared.replies import send_ephemeral
from cogs._shared.sessions import SessionOption
from cogs.evaluation import render
from cogs.evaluation.views import EraseConfirmButton, me_commands

log = logging.getLogger(__name__)

FACILITATOR_PERMISSIONS = discord.Permissions(manage_events=True)

KindChoice = Literal[
    "responses",
    "attendance",
    "participants",
    "resources",
    "stories",
    "questionnaire_items",
    "questionnaire_answers",
    "interviews",
    "codebook",
    "group_memberships",
    "connections",
    "all",
]
FormatChoice = Literal["csv", "json"]


class Evaluation(commands.Cog):
    """Pseudonymised exports, the programme report, the privacy notice and data retention."""

    report = app_commands.Group(
        name="report",
        description="Facilitator: the programme report.",
        guild_only=True,
        default_permissions=FACILITATOR_PERMISSIONS,
        extras=FACILITATOR,
    )
    retention = app_commands.Group(
        name="retention",
        description="Facilitator: how long free text is kept.",
        guild_only=True,
        default_permissions=FACILITATOR_PERMISSIONS,
        extras=FACILITATOR,
    )

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @property
    def _evaluation(self) -> EvaluationService:
        return self.bot.services.evaluation

    @app_commands.command(name="export", extras=FACILITATOR)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_events=True)
    async def export(
        self, interaction: discord.Interaction, kind: KindChoice = "all", format: FormatChoice = "csv"
    ) -> None:
        """Export pseudonymised evaluation data as files (facilitators).

        Args:
            kind: Which table, or all of them in one zip.
            format: csv (spreadsheets) or json.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self._evaluation.export(actor_from(interaction), kind, format)
        await self._send_files(interaction, render.exported(result), to_files(result.files))

    @report.command(name="programme", extras=FACILITATOR)
    async def report_programme(self, interaction: discord.Interaction) -> None:
        """Show the programme report with its charts and the HTML page (facilitators)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self._evaluation.programme_report(actor_from(interaction))
        embeds = [discord_embed(e) for e in render_embeds(result.embeds)]
        await self._send_files(interaction, None, to_files(result.files), embeds=embeds)

    @report.command(name="session", extras=FACILITATOR)
    async def report_session(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """Show one session's figures (facilitators).

        Args:
            session: The session (start typing its number or title).
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self._evaluation.session_report(actor_from(interaction), session)
        await send_ephemeral(interaction, embeds=[discord_embed(e) for e in render_embeds(result.embeds)])

    @app_commands.command(name="privacy")
    @app_commands.guild_only()
    async def privacy(self, interaction: discord.Interaction) -> None:
        """What Blether keeps about you, why, for how long, and how to see or erase it."""
        notice = await self._evaluation.privacy(interaction.guild_id or 0)
        await send_ephemeral(interaction, embed=to_discord_embed(Embed(title="Privacy", description=notice)))

    @retention.command(name="set", extras=FACILITATOR)
    async def retention_set(self, interaction: discord.Interaction, months: app_commands.Range[int, 1, 120]) -> None:
        """Keep free text this many months after the programme's last session (facilitators).

        Args:
            months: 1 to 120 months.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction)
        result = await self.bot.services.programme.setup(actor, ProgrammeSettingsUpdate(retention_months=months))
        await self._evaluation.ensure_retention_sweep(actor.guild_id)
        await send_ephemeral(interaction, render.retention_set(result.programme.retention_months))

    async def _send_files(
        self,
        interaction: discord.Interaction,
        text: str | None,
        files: list[discord.File],
        *,
        embeds: list[discord.Embed] | None = None,
    ) -> None:
        """Reply with text and embeds plus the first ten files; further files follow in more messages."""
        for number, batch in enumerate(render.batches(files)):
            if number == 0:
                await send_ephemeral(interaction, text, embeds=embeds, files=batch)
            else:
                await send_ephemeral(interaction, files=batch)


def _attach_me_commands(bot: BletherBot) -> None:
    me = bot.tree.get_command("me")
    if not isinstance(me, app_commands.Group):
        raise RuntimeError("cogs.evaluation adds /me data and /me delete: load cogs.participants first")
    for command in me_commands():
        me.add_command(command)


async def setup(bot: BletherBot) -> None:
    """Load the cog, add /me data and /me delete, and register the erase button."""
    await bot.add_cog(Evaluation(bot))
    _attach_me_commands(bot)
    bot.add_persistent_buttons(EraseConfirmButton)
