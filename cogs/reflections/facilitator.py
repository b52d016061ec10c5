"""Facilitator commands: /reflection open|close|results|questions|use|default and /attendance mark|import|show."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.errors import DomainError
from bot.core.messages import Time, text
from bot.core.reflections import MemberName
from cogs._shared.actors import actor_from
from cogs._shared.checks import FACILITATOR
from cogs._shared.replies import send_ephemeral
from cogs._shared.sessions import SessionOption
from cogs.reflections import render

MAX_IMPORT_BYTES = 1_000_000


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Reflection(
    commands.GroupCog,
    group_name="reflection",
    group_description="Facilitator: reflection polls and question sets.",
    group_extras=FACILITATOR,
):
    """Open, close and read reflection polls; manage question sets."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="open", extras=FACILITATOR)
    async def open_poll(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """Open (or reopen) a session's reflections now.

        Args:
            session: The session.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        poll = await self.bot.services.reflections.open_poll(actor_from(interaction), session)
        await send_ephemeral(interaction, text("Reflections are open until ", Time(poll.closes_at), "."))

    @app_commands.command(name="close", extras=FACILITATOR)
    async def close_poll(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """Close a session's reflections now and post the summary to facilitators.

        Args:
            session: The session.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.services.reflections.close_poll(actor_from(interaction), session)
        await send_ephemeral(interaction, "Reflections are closed; the summary goes to the facilitators' channel.")

    @app_commands.command(name="results", extras=FACILITATOR)
    async def results(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """Show a session's reflection results so far (counts and consented quotes, never names).

        Args:
            session: The session.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        results = await self.bot.services.reflections.results(actor_from(interaction), session)
        await send_ephemeral(interaction, embed=render.results_embed(results))

    @app_commands.command(name="questions", extras=FACILITATOR)
    async def questions(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 60],
        q1: app_commands.Range[str, 1, 300],
        q2: app_commands.Range[str, 1, 300] | None = None,
        q3: app_commands.Range[str, 1, 300] | None = None,
        q4: app_commands.Range[str, 1, 300] | None = None,
        q5: app_commands.Range[str, 1, 300] | None = None,
        session: SessionOption | None = None,
        default: bool = False,
    ) -> None:
        """Create a question set, e.g. q1 "rating*: How useful was it?".

        Args:
            name: A name for the set.
            q1: "<kind>[*]: <label>[ = a; b]"; kind is rating, short, long, choice, checkbox or quote.
            q2: Another question.
            q3: Another question.
            q4: Another question.
            q5: Another question.
            session: Use this set for one session.
            default: Make it the default for sessions without their own set.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        service = self.bot.services.reflections
        actor = actor_from(interaction)
        lines = [q for q in (q1, q2, q3, q4, q5) if q]
        created = await service.create_question_set(actor, name, lines, session_id=session, default=default)
        await send_ephemeral(interaction, render.question_set_text(created, session=session, default=default))

    @app_commands.command(name="use", extras=FACILITATOR)
    async def use_set(
        self, interaction: discord.Interaction, session: SessionOption, name: app_commands.Range[str, 1, 60]
    ) -> None:
        """Ask a session's reflections with a question set (until someone has answered).

        Args:
            session: The session.
            name: The question set (appreciative, quick or one you created).
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.services.reflections.assign_question_set(actor_from(interaction), session, name)
        await send_ephemeral(interaction, render.question_set_used(found))

    @app_commands.command(name="default", extras=FACILITATOR)
    async def default_set(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 60]) -> None:
        """Make a question set the default for sessions without their own.

        Args:
            name: The question set (appreciative, quick or one you created).
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.services.reflections.set_default_question_set(actor_from(interaction), name)
        await send_ephemeral(interaction, render.question_set_default(found))

    @use_set.autocomplete("name")
    @default_set.autocomplete("name")
    async def _set_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = await self.bot.services.reflections.question_set_choices(interaction.guild_id or 0, current)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Attendance(
    commands.GroupCog,
    group_name="attendance",
    group_description="Facilitator: who attended each session.",
    group_extras=FACILITATOR,
):
    """Mark, import and list attendance."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="mark", extras=FACILITATOR)
    async def mark(self, interaction: discord.Interaction, session: SessionOption, member: discord.Member) -> None:
        """Mark someone as present at a session.

        Args:
            session: The session.
            member: Who attended.
        """
        result = await self.bot.services.attendance.mark_attendance(actor_from(interaction), session, member.id)
        await send_ephemeral(interaction, render.marked(result))

    @app_commands.command(name="import", extras=FACILITATOR)
    async def import_csv(
        self, interaction: discord.Interaction, session: SessionOption, file: discord.Attachment
    ) -> None:
        """Import a Zoom or Teams attendance CSV (all rows or nothing).

        Args:
            session: The session.
            file: The attendance report (.csv).
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        if file.size > MAX_IMPORT_BYTES:
            raise DomainError("That file is too large for an attendance report (the limit is 1 MB).")
        guild = interaction.guild
        if guild is None:
            raise DomainError("Attendance imports work inside the programme's server.")
        if not guild.chunked:
            await guild.chunk()
        members = [MemberName(m.id, m.name, m.display_name, m.global_name) for m in guild.members if not m.bot]
        data = await file.read()
        result = await self.bot.services.attendance.import_attendance(actor_from(interaction), session, data, members)
        await send_ephemeral(interaction, render.imported(result))

    @app_commands.command(name="show", extras=FACILITATOR)
    async def show(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """List who attended a session.

        Args:
            session: The session.
        """
        listing = await self.bot.services.attendance.attendance(actor_from(interaction), session)
        await send_ephemeral(interaction, embed=render.attendance_embed(listing))
