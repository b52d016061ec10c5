"""/programme setup, /programme show and /programme import: the facilitators' programme configuration."""

import asyncio
import logging

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.errors import DomainError, ValidationError
from bot.core.programme.domain import ProgrammeSettingsUpdate
from bot.core.programme.errors import ProgrammeNotSetUpError
from bot.core.programme.importer import MAX_FILE_BYTES
from bot.core.programme.permissions import require_facilitator
from cogs._shared.actors import actor_from
from cogs._shared.checks import FACILITATOR, in_guild
from cogs._shared.replies import send_ephemeral
from cogs.programme import render

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 20.0


class DownloadError(DomainError):
    """The attached file could not be fetched from Discord."""


async def read_attachment(file: discord.Attachment) -> bytes:
    """Download an attachment already known to be small, mapping network trouble to a friendly error."""
    try:
        async with asyncio.timeout(DOWNLOAD_TIMEOUT):
            return await file.read()
    except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as error:
        log.warning("Could not download attachment %s: %s", file.id, type(error).__name__)
        raise DownloadError(
            f"I could not download {file.filename} from Discord just now; nothing was imported. Please try again."
        ) from error


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Programme(commands.GroupCog, group_name="programme", group_extras=FACILITATOR):
    """Set up the programme and import its sessions (facilitators)."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot
        self.programme = bot.services.programme
        self.clock = bot.services.clock

    def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse these commands outside a server."""
        return in_guild(interaction)

    @app_commands.command(name="setup")
    async def setup_programme(
        self,
        interaction: discord.Interaction,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        announcements: discord.TextChannel | None = None,
        reflections: discord.TextChannel | None = None,
        flash_reports: discord.TextChannel | None = None,
        facilitator_role: discord.Role | None = None,
        participant_role: discord.Role | None = None,
        reminder_offsets: app_commands.Range[str, 1, 100] | None = None,
        facilitator_channel: discord.TextChannel | None = None,
        groups_channel: discord.TextChannel | None = None,
        groups_before: app_commands.Range[str, 1, 20] | None = None,
        peer_coach_role: discord.Role | None = None,
        group_archive_hours: app_commands.Range[int, 1, 720] | None = None,
        connect_every_days: app_commands.Range[int, 1, 90] | None = None,
        groups_voice_category: discord.CategoryChannel | None = None,
    ) -> None:
        """Set up the programme, or change only the settings you give.

        Args:
            timezone: The programme's time zone, e.g. Europe/London (start typing to search).
            announcements: Channel where session reminders and cancellations are posted.
            reflections: Channel where reflection polls are posted after each session.
            flash_reports: Channel where the monthly Flash Report is published.
            facilitator_role: Role whose members may use the facilitator commands.
            participant_role: Role that session reminders mention.
            reminder_offsets: When to remind before each session, e.g. 7d,1d,1h (none for no reminders).
            facilitator_channel: Private channel for Blether's notices to facilitators.
            groups_channel: Channel where each small group gets a private thread.
            groups_before: Make small groups automatically this long before each session, e.g. 15m (off to stop).
            peer_coach_role: Role of peer coaches (one is placed in each group while they last).
            group_archive_hours: Archive group threads this many hours after a session ends (default 24).
            connect_every_days: Introduce opted-in participants to each other every this many days (default 14).
            groups_voice_category: For voice sessions, one temporary voice channel per group in this category.
        """
        actor = actor_from(interaction)
        update = ProgrammeSettingsUpdate(
            timezone=timezone,
            announcements_channel_id=announcements.id if announcements else None,
            reflections_channel_id=reflections.id if reflections else None,
            flash_reports_channel_id=flash_reports.id if flash_reports else None,
            facilitator_channel_id=facilitator_channel.id if facilitator_channel else None,
            facilitator_role_id=facilitator_role.id if facilitator_role else None,
            participant_role_id=participant_role.id if participant_role else None,
            reminder_offsets=reminder_offsets,
            groups_channel_id=groups_channel.id if groups_channel else None,
            groups_before_minutes=groups_before,
            peer_coach_role_id=peer_coach_role.id if peer_coach_role else None,
            group_archive_hours=group_archive_hours,
            connect_every_days=connect_every_days,
            groups_voice_category_id=groups_voice_category.id if groups_voice_category else None,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)  # new offsets reschedule every reminder
        result = await self.programme.setup(actor, update)
        content, embed = render.setup_reply(result, now=self.clock.now())
        await send_ephemeral(interaction, content, embed=embed)

    @setup_programme.autocomplete("timezone")
    async def timezone_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Suggest IANA time zone names for what the facilitator has typed."""
        return render.timezone_choices(self.programme.suggest_timezones(str(current or "")))

    outcomes = app_commands.Group(name="outcomes", description="The programme's learning outcomes (at most 8).")

    @outcomes.command(name="list")
    async def outcomes_list(self, interaction: discord.Interaction) -> None:
        """List the programme's learning outcomes."""
        change = await self.programme.change_outcomes(actor_from(interaction), "list")
        await send_ephemeral(interaction, embed=render.outcomes_embed(change))

    @outcomes.command(name="add")
    async def outcomes_add(self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 150]) -> None:
        """Add a learning outcome at the end of the list.

        Args:
            text: The outcome in a few words, e.g. value, empower, support and sustain volunteering.
        """
        change = await self.programme.change_outcomes(actor_from(interaction), "add", text=text)
        await send_ephemeral(interaction, embed=render.outcomes_embed(change))

    @outcomes.command(name="edit")
    async def outcomes_edit(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, 8],
        text: app_commands.Range[str, 1, 150],
    ) -> None:
        """Change the words of a learning outcome.

        Args:
            number: The outcome's number in /programme outcomes list.
            text: The new words.
        """
        change = await self.programme.change_outcomes(actor_from(interaction), "edit", number=number, text=text)
        await send_ephemeral(interaction, embed=render.outcomes_embed(change))

    @outcomes.command(name="remove")
    async def outcomes_remove(self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 8]) -> None:
        """Remove a learning outcome (questionnaires keep the words they were made with).

        Args:
            number: The outcome's number in /programme outcomes list.
        """
        change = await self.programme.change_outcomes(actor_from(interaction), "remove", number=number)
        await send_ephemeral(interaction, embed=render.outcomes_embed(change))

    @app_commands.command(name="show")
    async def show_programme(self, interaction: discord.Interaction) -> None:
        """Show the programme's settings: time zone, channels, roles and reminder times."""
        actor = actor_from(interaction)
        programme = await self.programme.get_programme(actor.guild_id)
        require_facilitator(programme, actor, "see the programme setup")
        if programme is None:
            raise ProgrammeNotSetUpError()
        await send_ephemeral(interaction, embed=render.programme_reply(programme, now=self.clock.now()))

    @app_commands.command(name="import")
    async def import_sessions(
        self, interaction: discord.Interaction, file: discord.Attachment, dry_run: bool = False
    ) -> None:
        """Add sessions from a CSV or YAML file: all of them, or none if anything in it is wrong.

        Args:
            file: CSV or YAML (≤ 256 KiB): number, title, start (YYYY-MM-DD HH:MM), duration, location…
            dry_run: Only check the file and say what would be added; nothing is stored.
        """
        actor = actor_from(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        require_facilitator(await self.programme.get_programme(actor.guild_id), actor, "import sessions")
        if file.size > MAX_FILE_BYTES:
            raise ValidationError(
                f"Nothing was imported: {file.filename} is {file.size // 1024} KiB and the limit is "
                f"{MAX_FILE_BYTES // 1024} KiB. Split it into smaller files."
            )
        data = await read_attachment(file)
        result = await self.programme.import_sessions(actor, data, file.filename, dry_run=dry_run)
        count = len(result.sessions)
        title = f"Imported {count} session{'s' if count != 1 else ''} from {render.clip(file.filename, 100)}"
        await send_ephemeral(interaction, embed=render.batch_embed(result, title=title))


async def setup(bot: BletherBot) -> None:
    """Load the cog."""
    await bot.add_cog(Programme(bot))
