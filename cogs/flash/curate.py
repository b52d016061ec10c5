"""The /flash group: facilitators curate, schedule, preview and publish; everyone reads the latest and the archive.

The group carries no default_permissions: Discord applies those to a whole group, which would hide /flash latest
and /flash archive from participants. Facilitator subcommands are marked extras={"facilitator": True} (hidden
in /help for others) and the core refuses non-facilitators at run time.
"""

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.flash.domain import MAX_ISSUE_SIZE, MAX_PER_PERSON_PER_DAY, MIN_ISSUE_SIZE, ItemKind
from bot.core.flash.render import render_items_message
from bot.core.flash.service import FlashService
from bot.core.messages import text
from bot.core.text import one_line
from bot.discord_ports import discord_embed, message_kwargs
from bot.discord_render import render_embeds
from cogs._shared.actors import actor_from
from cogs._shared.checks import FACILITATOR
from cogs._shared.replies import send_ephemeral
from cogs.flash import render
from cogs.flash.options import tag_choices

KindChoice = Literal["resource", "nomination", "story"]


@app_commands.guild_only()
class FlashCommands(commands.GroupCog, group_name="flash", group_description="The monthly Flash Report."):
    """Curate, schedule, preview, publish and read the Flash Report."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def _flash(self) -> FlashService:
        return self.bot.services.flash

    @app_commands.command(name="items", extras=FACILITATOR)
    async def items(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1] = 1, kind: KindChoice | None = None
    ) -> None:
        """List what is collected for the next Flash Report (facilitators).

        Args:
            page: Which page (10 items each).
            kind: Only resources, nominations or stories.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self._flash.list_items(actor_from(interaction), page, kind=ItemKind(kind) if kind else None)
        await interaction.followup.send(ephemeral=True, **message_kwargs(render_items_message(found)))

    @app_commands.command(name="include", extras=FACILITATOR)
    async def include(self, interaction: discord.Interaction, item: app_commands.Range[int, 1]) -> None:
        """Put an item back into the next Flash Report (facilitators).

        Args:
            item: The item's number from /flash items.
        """
        found = await self._flash.include_item(actor_from(interaction), item)
        await send_ephemeral(
            interaction, text(f"Item #{found.id} ({one_line(found.label, 200)}) is in the next Flash Report.")
        )

    @app_commands.command(name="exclude", extras=FACILITATOR)
    async def exclude(self, interaction: discord.Interaction, item: app_commands.Range[int, 1]) -> None:
        """Leave an item out of the next Flash Report (facilitators).

        Args:
            item: The item's number from /flash items.
        """
        found = await self._flash.exclude_item(actor_from(interaction), item)
        await send_ephemeral(interaction, text(f"Item #{found.id} ({one_line(found.label, 200)}) will be left out."))

    @app_commands.command(name="include-by", extras=FACILITATOR)
    async def include_by(self, interaction: discord.Interaction, member: discord.User) -> None:
        """Put every waiting item of one person into the next Flash Report, held ones too (facilitators).

        Args:
            member: Whose items: what they shared, told or nominated, and their messages others nominated.
        """
        result = await self._flash.include_by(actor_from(interaction), member.id)
        await send_ephemeral(interaction, render.bulk(result, member.id))

    @app_commands.command(name="exclude-by", extras=FACILITATOR)
    async def exclude_by(self, interaction: discord.Interaction, member: discord.User) -> None:
        """Leave every waiting item of one person out of the next Flash Report (facilitators).

        Args:
            member: Whose items: what they shared, told or nominated, and their messages others nominated.
        """
        result = await self._flash.exclude_by(actor_from(interaction), member.id)
        await send_ephemeral(interaction, render.bulk(result, member.id))

    @app_commands.command(name="limits", extras=FACILITATOR)
    async def limits(
        self,
        interaction: discord.Interaction,
        per_person_per_day: app_commands.Range[int, 1, MAX_PER_PERSON_PER_DAY] | None = None,
        issue_size: app_commands.Range[int, MIN_ISSUE_SIZE, MAX_ISSUE_SIZE] | None = None,
    ) -> None:
        """Show or change how much one person may add per day and how many items an issue posts (facilitators).

        Args:
            per_person_per_day: Items one person may add per day (shares, stories and nominations together).
            issue_size: Items a published issue shows in Discord; the rest are listed by /flash archive.
        """
        actor = actor_from(interaction)
        if per_person_per_day is None and issue_size is None:
            found = await self._flash.limits(actor)
        else:
            found = await self._flash.set_limits(actor, per_person_per_day=per_person_per_day, issue_size=issue_size)
        await send_ephemeral(interaction, render.limits(found))

    @app_commands.command(name="edit", extras=FACILITATOR)
    @app_commands.autocomplete(tags=tag_choices)
    async def edit(
        self,
        interaction: discord.Interaction,
        item: app_commands.Range[int, 1],
        title: str | None = None,
        note: str | None = None,
        tags: str | None = None,
    ) -> None:
        """Change an item's title, note or tags (facilitators).

        Args:
            item: The item's number from /flash items.
            title: The new title (leave out to keep it).
            note: The new note (leave out to keep it).
            tags: The new comma-separated tags (leave out to keep them).
        """
        found = await self._flash.edit_item(actor_from(interaction), item, title=title, note=note, tags=tags)
        await send_ephemeral(interaction, text(f"Item #{found.id} saved: {one_line(found.label, 200)}."))

    @app_commands.command(name="schedule", extras=FACILITATOR)
    async def schedule(
        self,
        interaction: discord.Interaction,
        rule: app_commands.Range[str, 1, 200],
        lead_hours: app_commands.Range[int, 1, 336] = 48,
    ) -> None:
        """Publish on a cadence, e.g. "first Monday of the month at 09:00" (facilitators).

        Args:
            rule: When each issue goes out, in the programme's time zone.
            lead_hours: How many hours before that the draft goes to facilitators.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self._flash.set_schedule(actor_from(interaction), rule, lead_hours=lead_hours)
        await send_ephemeral(interaction, render.schedule(result))

    @app_commands.command(name="clear-schedule", extras=FACILITATOR)
    async def clear_schedule(self, interaction: discord.Interaction) -> None:
        """Stop publishing on a cadence; /flash publish still works (facilitators)."""
        had = await self._flash.clear_schedule(actor_from(interaction))
        text = "The Flash Report schedule is cleared." if had else "There was no schedule to clear."
        await send_ephemeral(interaction, text + " Publish by hand with /flash publish.")

    @app_commands.command(name="draft", extras=FACILITATOR)
    async def draft(self, interaction: discord.Interaction) -> None:
        """Preview the next Flash Report as it would go out now, with its buttons (facilitators)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await self._flash.build_draft(actor_from(interaction))
        for message in preview.messages:
            await interaction.followup.send(ephemeral=True, **message_kwargs(message))

    @app_commands.command(name="publish", extras=FACILITATOR)
    async def publish(self, interaction: discord.Interaction) -> None:
        """Publish the next Flash Report now (facilitators); pressing twice posts once."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction)
        request = await self._flash.publish_now(actor)
        programme = await self.bot.services.programme.get_programme(actor.guild_id)
        await send_ephemeral(
            interaction, render.publish(request, programme.flash_reports_channel_id if programme is not None else None)
        )

    @app_commands.command(name="latest")
    async def latest(self, interaction: discord.Interaction) -> None:
        """Show the latest Flash Report."""
        found = await self._flash.latest(actor_from(interaction))
        first = found.snapshot.messages[0] if found.snapshot.messages else None
        embeds = [discord_embed(e) for e in render_embeds(first.embeds)] if first else []
        await send_ephemeral(interaction, render.latest(found), embeds=embeds)

    @app_commands.command(name="archive")
    async def archive(
        self,
        interaction: discord.Interaction,
        page: app_commands.Range[int, 1] = 1,
        issue: app_commands.Range[int, 1] | None = None,
    ) -> None:
        """List the published Flash Reports, newest first, or what one issue holds beyond its post.

        Args:
            page: Which page (10 issues each, or a page of the issue's items).
            issue: An issue's number: list the items it holds that did not fit in its post.
        """
        actor = actor_from(interaction)
        if issue is not None:
            found_issue = await self._flash.archive_issue(actor, issue, page)
            await send_ephemeral(interaction, embed=render.issue_archive_embed(found_issue))
            return
        found = await self._flash.archive(actor, page)
        await send_ephemeral(interaction, embed=render.archive_embed(found, interaction.guild_id or 0))
