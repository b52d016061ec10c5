"""Collecting for the Flash Report: /share, /story, the "Add to Flash Report" menu and facilitators' 📌."""

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.actors import Actor
from bot.core.flash import ids
from bot.core.flash.domain import STORY_LIMIT, MessageRef
from bot.discord_ports import to_discord_embed
from cogs._shared.actors import actor_from
from cogs._shared.replies import send_ephemeral
from cogs.flash import render
from cogs.flash.curate import FlashCommands
from cogs.flash.options import tag_choices
from cogs.flash.views import DraftButton, ItemsPageButton, submit_intro

log = logging.getLogger(__name__)

PIN = "📌"


def viewer_role_ids(channel: object) -> frozenset[int] | None:
    """Return the roles that can see a channel (@everyone's id is the server's), or None when unknown.

    A private thread is seen only by the people in it: no role at all.
    """
    guild = getattr(channel, "guild", None)
    if guild is None or not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return None
    if isinstance(channel, discord.Thread) and channel.is_private():
        return frozenset()
    return frozenset(role.id for role in guild.roles if channel.permissions_for(role).view_channel)


def message_ref(message: discord.Message) -> MessageRef:
    """Describe a chat message for the core (guild, channel, id, link back, author, text, who can see it)."""
    author = message.author
    return MessageRef(
        guild_id=message.guild.id if message.guild else 0,
        channel_id=message.channel.id,
        message_id=message.id,
        jump_url=message.jump_url,
        author_id=author.id,
        author_name=getattr(author, "display_name", author.name),
        content=message.content or "",
        viewer_role_ids=viewer_role_ids(message.channel),
    )


def member_actor(member: discord.Member, channel: discord.abc.GuildChannel | discord.Thread) -> Actor:
    """Build the Actor of a member acting in a channel outside an interaction (e.g. a reaction)."""
    perms = channel.permissions_for(member)
    return Actor(
        guild_id=member.guild.id,
        user_id=member.id,
        display_name=member.display_name,
        role_ids=frozenset(role.id for role in member.roles),
        can_manage_events=perms.manage_events,
        is_admin=perms.administrator,
    )


class FlashCollect(commands.Cog):
    """Share resources and stories, and nominate messages, for the next Flash Report."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="share")
    @app_commands.guild_only()
    @app_commands.autocomplete(tags=tag_choices)
    async def share(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000],
        title: app_commands.Range[str, 0, 1000] = "",
        note: app_commands.Range[str, 0, 1000] = "",
        tags: str = "",
    ) -> None:
        """Share a useful tool or resource for the next Flash Report.

        Args:
            url: The link (http or https).
            title: A short name for it.
            note: Why it is useful, in a sentence or two.
            tags: Comma-separated topics, e.g. "toolkit, funding".
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction)
        result = await self.bot.services.flash.share_resource(actor, url, title, note, tags)
        await send_ephemeral(interaction, render.shared(actor.display_name), embed=to_discord_embed(result.preview))

    @app_commands.command(name="story")
    @app_commands.guild_only()
    async def story(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, STORY_LIMIT + 500],
        credit_me_by_name: bool = False,
    ) -> None:
        """Tell a story of change in your community for the next Flash Report.

        Args:
            text: What changed, for whom, and how.
            credit_me_by_name: Show your name with the story (it appears only if you agreed to be quoted).
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.bot.services.flash.share_story(
            actor_from(interaction), text, credit_by_name=credit_me_by_name
        )
        await send_ephemeral(interaction, render.story(result))

    async def add_to_flash(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Add a chat message to the next Flash Report (context menu)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.bot.services.flash.nominate_message(actor_from(interaction), message_ref(message))
        await send_ephemeral(interaction, render.nominated(result))

    @commands.Cog.listener("on_raw_reaction_add")
    async def pin_nominates(self, payload: discord.RawReactionActionEvent) -> None:
        """Nominate a message when a facilitator reacts with 📌 (anyone else's 📌 does nothing)."""
        if str(payload.emoji) != PIN or payload.guild_id is None or payload.member is None or payload.member.bot:
            return
        guild = self.bot.get_guild(payload.guild_id)
        channel = guild.get_channel_or_thread(payload.channel_id) if guild else None
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            return
        actor = member_actor(payload.member, channel)
        try:
            if not await self.bot.services.is_facilitator(actor):  # spare a fetch for participants' pins
                return
            message = await channel.fetch_message(payload.message_id)
            result = await self.bot.services.flash.nominate_by_reaction(actor, message_ref(message))
        except Exception:
            log.exception("Could not nominate message %s by 📌 from user %s", payload.message_id, payload.user_id)
            return
        if result is not None:
            log.info("Message %s nominated by 📌 (item %s)", payload.message_id, result.item.id)

    @commands.Cog.listener("on_raw_member_remove")
    async def hold_items_of_leavers(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Hold the waiting Flash Report items of someone who left the server for a facilitator's review."""
        await self.bot.services.flash.member_left(payload.guild_id, payload.user.id)


async def setup(bot: BletherBot) -> None:
    """Load the cogs, the context menu, the draft buttons and the intro form route."""
    collect = FlashCollect(bot)
    await bot.add_cog(collect)
    await bot.add_cog(FlashCommands(bot))
    menu = app_commands.ContextMenu(name="Add to Flash Report", callback=collect.add_to_flash)
    menu.guild_only = True
    bot.tree.add_command(menu)
    bot.add_persistent_buttons(DraftButton, ItemsPageButton)
    bot.router.add_modal(ids.INTRO_FORM_TEMPLATE, submit_intro, name="flash intro")
