"""/session add, series, edit, cancel and rsvps (facilitators); loads the public session commands and buttons too."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.programme.domain import (
    CANCEL_REASON_LIMIT,
    DEFAULT_DURATION_MINUTES,
    DESCRIPTION_LIMIT,
    MAX_DURATION_MINUTES,
    MAX_SESSION_NUMBER,
    MIN_DURATION_MINUTES,
    SPEAKER_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
    SessionDraft,
    SessionEdit,
)
from cogs._shared.actors import actor_from
from cogs._shared.checks import FACILITATOR, in_guild
from cogs._shared.replies import send_ephemeral
from cogs._shared.sessions import SessionOption
from cogs.programme.render import batch_embed
from cogs.sessions import render
from cogs.sessions.options import VenueChannel, clearable, venue
from cogs.sessions.public import Calendar
from cogs.sessions.views import PERSISTENT_BUTTONS

Number = app_commands.Range[int, 1, MAX_SESSION_NUMBER]
Title = app_commands.Range[str, 1, TITLE_LIMIT]
Starts = app_commands.Range[str, 1, 40]
Duration = app_commands.Range[int, MIN_DURATION_MINUTES, MAX_DURATION_MINUTES]
Link = app_commands.Range[str, 1, URL_LIMIT]
Channel = app_commands.Transform[str, VenueChannel]
Description = app_commands.Range[str, 1, DESCRIPTION_LIMIT]
Speaker = app_commands.Range[str, 1, SPEAKER_LIMIT]


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Sessions(commands.GroupCog, group_name="session", group_extras=FACILITATOR):
    """Add, edit and cancel the programme's sessions (facilitators)."""

    def __init__(self, bot: BletherBot) -> None:
        self.programme = bot.services.programme

    def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse these commands outside a server."""
        return in_guild(interaction)

    @app_commands.command(name="add")
    async def add_session(
        self,
        interaction: discord.Interaction,
        number: Number,
        title: Title,
        starts: Starts,
        duration: Duration = DEFAULT_DURATION_MINUTES,
        location: Link | None = None,
        channel: Channel | None = None,
        description: Description | None = None,
        speaker: Speaker | None = None,
    ) -> None:
        """Add a session; its reminders and Discord event are scheduled for you.

        Args:
            number: The session's place in the programme (1 for the first).
            title: The session's theme or title.
            starts: Start in the programme's time zone, as YYYY-MM-DD HH:MM (e.g. 2026-10-01 18:30).
            duration: Length in minutes (default 90).
            location: Link where it happens (Zoom, Teams, Meet…); or use channel instead.
            channel: Voice or stage channel where it happens; or use location instead.
            description: What the session is about (shown in reminders).
            speaker: Who leads or speaks.
        """
        actor = actor_from(interaction)
        draft = SessionDraft(
            number=number,
            title=title,
            starts=starts,
            duration_minutes=duration,
            location=venue(location, channel),
            description=description or "",
            speaker=speaker or "",
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await self.programme.add_session(actor, draft)
        await send_ephemeral(interaction, embed=render.change_embed(change, verb="added"))

    @app_commands.command(name="series")
    async def add_series(
        self,
        interaction: discord.Interaction,
        rule: app_commands.Range[str, 5, 200],
        count: app_commands.Range[int, 1, 100] | None = None,
        titles: app_commands.Range[str, 1, 4000] | None = None,
        start_number: Number = 1,
        starting: app_commands.Range[str, 1, 20] | None = None,
        duration: Duration = DEFAULT_DURATION_MINUTES,
        location: Link | None = None,
        channel: Channel | None = None,
        description: Description | None = None,
        speaker: Speaker | None = None,
        dry_run: bool = False,
    ) -> None:
        """Add a series of sessions that follow a rule, all at once (or none if one clashes).

        Args:
            rule: e.g. "first Thursday of each month at 18:30" or "every 4 weeks on Wednesday at 10:00".
            count: How many sessions (default: one per title).
            titles: One title per session, separated by commas (use | if titles contain commas).
            start_number: Number of the first session of the series (default 1).
            starting: First date to consider, as YYYY-MM-DD (default today).
            duration: Length of each session in minutes (default 90).
            location: Link for every session (Zoom, Teams, Meet…); or use channel instead.
            channel: Voice or stage channel for every session; or use location instead.
            description: What the sessions are about.
            speaker: Who leads them.
            dry_run: Only check the series; nothing is stored.
        """
        actor = actor_from(interaction)
        place = venue(location, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.programme.add_series(
            actor,
            rule=rule,
            count=count,
            titles=titles or "",
            start_number=start_number,
            starting=starting,
            duration_minutes=duration,
            location=place,
            description=description or "",
            speaker=speaker or "",
            dry_run=dry_run,
        )
        count_added = len(result.sessions)
        title = f"Added {count_added} session{'s' if count_added != 1 else ''}"
        await send_ephemeral(interaction, embed=batch_embed(result, title=title))

    @app_commands.command(name="edit")
    async def edit_session(
        self,
        interaction: discord.Interaction,
        session: SessionOption,
        number: Number | None = None,
        title: Title | None = None,
        starts: Starts | None = None,
        duration: Duration | None = None,
        location: Link | None = None,
        channel: Channel | None = None,
        description: Description | None = None,
        speaker: Speaker | None = None,
        prompt: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """Change a session; only the options you give change (a new start moves its reminders).

        Args:
            session: The session to change (start typing its number or title).
            number: New session number.
            title: New title.
            starts: New start in the programme's time zone, as YYYY-MM-DD HH:MM.
            duration: New length in minutes.
            location: New link (none to clear it); or use channel instead.
            channel: New voice or stage channel; or use location instead.
            description: New description (- to clear it).
            speaker: New speaker (- to clear it).
            prompt: Discussion prompt posted in each small group's thread (- to clear it).
        """
        actor = actor_from(interaction)
        changes = SessionEdit(
            number=number,
            title=title,
            starts=starts,
            duration_minutes=duration,
            location=venue(location, channel),
            description=clearable(description),
            speaker=clearable(speaker),
            prompt=clearable(prompt),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await self.programme.edit_session(actor, session, changes)
        await send_ephemeral(interaction, embed=render.change_embed(change, verb="updated"))

    @app_commands.command(name="cancel")
    async def cancel_session(
        self,
        interaction: discord.Interaction,
        session: SessionOption,
        reason: app_commands.Range[str, 1, CANCEL_REASON_LIMIT] | None = None,
    ) -> None:
        """Cancel a session: its reminders stop and the cancellation is announced.

        Args:
            session: The session to cancel (start typing its number or title).
            reason: Why, shown in the announcement (optional).
        """
        actor = actor_from(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await self.programme.cancel_session(actor, session, reason or "")
        await send_ephemeral(interaction, embed=render.cancelled_embed(change))

    @app_commands.command(name="rsvps")
    async def list_rsvps(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """See who said "I'll be there" for a session.

        Args:
            session: The session (start typing its number or title).
        """
        user_ids = await self.programme.list_rsvps(actor_from(interaction), session)
        await send_ephemeral(interaction, render.rsvps_text(user_ids))


async def setup(bot: BletherBot) -> None:
    """Load the session cogs and register the reminder buttons (they keep working after restarts)."""
    await bot.add_cog(Sessions(bot))
    await bot.add_cog(Calendar(bot))
    bot.add_persistent_buttons(*PERSISTENT_BUTTONS)
