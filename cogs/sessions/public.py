"""/sessions, /calendar and /reminders dm: what every member of the programme can use."""

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from cogs._shared.checks import in_guild
from cogs._shared.files import to_file
from cogs._shared.replies import send_ephemeral
from cogs.sessions import render

log = logging.getLogger(__name__)

UPCOMING_LIMIT = 10


class Calendar(commands.Cog):
    """Show the upcoming sessions, hand out the calendar and set reminder DMs."""

    reminders = app_commands.Group(
        name="reminders",
        description="Choose how Blether reminds you about sessions.",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: BletherBot) -> None:
        self.programme = bot.services.programme

    def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse these commands outside a server."""
        return in_guild(interaction)

    @app_commands.command(name="sessions")
    @app_commands.guild_only()
    async def list_sessions(self, interaction: discord.Interaction) -> None:
        """List the upcoming sessions, with times in your own time zone."""
        guild_id = interaction.guild_id or 0
        programme = await self.programme.show(guild_id)
        upcoming = await self.programme.list_upcoming(guild_id, limit=UPCOMING_LIMIT)
        await send_ephemeral(interaction, embed=render.upcoming_reply(programme, upcoming))

    @app_commands.command(name="calendar")
    @app_commands.guild_only()
    async def calendar(self, interaction: discord.Interaction) -> None:
        """Get a calendar file (.ics) with every session, to add them all to your calendar."""
        attachment = await self.programme.calendar_ics(interaction.guild_id or 0)
        await send_ephemeral(
            interaction,
            "Open this file to add every session to your calendar (Google, Outlook, Apple…). "
            "Cancelled sessions show as cancelled.",
            files=[to_file(attachment)],
        )

    @reminders.command(name="dm")
    @app_commands.choices(
        setting=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    async def dm_reminders(
        self, interaction: discord.Interaction, setting: app_commands.Choice[str] | None = None
    ) -> None:
        """Turn session reminders by direct message on or off for you (or see which it is).

        Args:
            setting: on: also get each reminder by DM; off: see reminders in the channel only. Leave out to check.
        """
        guild_id, user_id = interaction.guild_id or 0, interaction.user.id
        if setting is None:
            enabled = await self.programme.dm_reminders_enabled(guild_id, user_id)
            await send_ephemeral(interaction, render.dm_reminders_status(enabled))
            return
        enabled = setting.value == "on"
        changed = await self.programme.set_dm_reminders(guild_id, user_id, enabled)
        await send_ephemeral(interaction, render.dm_reminders_text(enabled, changed))

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command | app_commands.ContextMenu
    ) -> None:
        """After someone's command, tell them once, privately, that Blether turned their reminder DMs off."""
        response = interaction.response
        if (
            interaction.guild_id is None
            or not response.is_done()
            or response.type is discord.InteractionResponseType.modal
        ):
            return  # a modal answer takes no follow-up: the note waits for their next command
        note = await self.programme.take_dm_stopped_note(interaction.guild_id, interaction.user.id)
        if note is None:
            return
        try:
            await send_ephemeral(interaction, note)  # a followup: the command has answered already
        except discord.HTTPException:
            log.warning(
                "Could not tell someone in server %s that their reminder DMs were turned off", interaction.guild_id
            )
