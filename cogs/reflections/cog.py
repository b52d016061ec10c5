"""/reflect and /checkin, the reflection modal's submit route, and the gateway listeners for attendance."""

import logging
import re
from collections.abc import Mapping

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.reflections.ids import MODAL_TEMPLATE, parse_reflection_modal_id
from cogs._shared.actors import actor_from
from cogs._shared.buttons import parsed_id
from cogs._shared.interactions import ModalValue
from cogs._shared.replies import send_ephemeral
from cogs._shared.sessions import SessionOption
from cogs.participants.views import show_prompt
from cogs.reflections import render
from cogs.reflections.facilitator import Attendance, Reflection
from cogs.reflections.options import latest_started_session
from cogs.reflections.views import AttendButton, ReflectButton, check_in, open_reflection

log = logging.getLogger(__name__)


class Reflections(commands.Cog):
    """Reflect on a session, check in, and follow voice presence for attendance."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="reflect")
    @app_commands.guild_only()
    async def reflect(self, interaction: discord.Interaction, session: SessionOption | None = None) -> None:
        """Share what worked well in a session and what would make it even better.

        Args:
            session: The session (the most recent one if left out).
        """
        session_id = session or await latest_started_session(self.bot, interaction.guild_id or 0)
        await open_reflection(interaction, session_id)

    @app_commands.command(name="checkin")
    @app_commands.guild_only()
    async def checkin(self, interaction: discord.Interaction, session: SessionOption | None = None) -> None:
        """Say that you attended a session.

        Args:
            session: The session (the most recent one if left out).
        """
        session_id = session or await latest_started_session(self.bot, interaction.guild_id or 0)
        await check_in(interaction, session_id)

    async def submit(
        self, interaction: discord.Interaction, match: re.Match[str], values: Mapping[str, ModalValue]
    ) -> None:
        """Save a submitted reflection, then confirm what was saved (and ask for consent if still missing)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        saved = await self.bot.services.reflections.submit_reflection(
            actor_from(interaction),
            parsed_id(match.group(0), parse_reflection_modal_id, "a reflection form"),
            dict(values),
        )
        await send_ephemeral(interaction, embed=render.saved_reflection(saved))
        await show_prompt(interaction)

    # -- gateway listeners ---------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Follow voice presence: a stay in a session's channel counts as attendance after ten minutes."""
        old = before.channel.id if before.channel else None
        new = after.channel.id if after.channel else None
        if old == new or member.bot:
            return
        await self.bot.services.attendance.voice_update(member.guild.id, member.id, new, self.bot.services.clock.now())

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Mark a participant who left the server inactive (their data stays)."""
        await self.bot.services.participants.mark_left(payload.guild_id, payload.user.id)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Mark a returning participant active again."""
        await self.bot.services.participants.mark_rejoined(member.guild.id, member.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Reconcile voice stays with who is in voice now (after start-up or a reconnect)."""
        now = self.bot.services.clock.now()
        for guild in self.bot.guilds:
            present = {
                user_id: channel.id
                for channel in (*guild.voice_channels, *guild.stage_channels)
                for user_id in channel.voice_states
                if user_id != (self.bot.user.id if self.bot.user else 0)
            }
            try:
                await self.bot.services.attendance.voice_resync(guild.id, present, now)
            except Exception:
                log.exception("Could not resync voice presence in server %s", guild.id)


async def setup(bot: BletherBot) -> None:
    """Load the cogs, the card's persistent buttons and the reflection modal's route."""
    cog = Reflections(bot)
    bot.add_persistent_buttons(ReflectButton, AttendButton)
    bot.router.add_modal(MODAL_TEMPLATE, cog.submit, name="reflection")
    await bot.add_cog(cog)
    await bot.add_cog(Reflection(bot))
    await bot.add_cog(Attendance(bot))
