"""/groups make|show|move|dissolve (facilitators) and /coach view|mark|nudge (peer coaches, their own groups)."""

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING

from bot.client import BletherBot
from bot.core.groups import render as core_render
from bot.core.groups.domain import DEFAULT_SIZE, Mix, Source
from cogs._shared.actors import actor_from
from cogs._shared.replies import send_ephemeral
from cogs._shared.sessions import SessionOption
from cogs.groups.render import ReplyKwargs, reply_kwargs
from cogs.groups.views import JoinButton, MeetButton, ProposalButton

FACILITATOR = {"facilitator": True}
MIXES = [app_commands.Choice(name=m.value, value=m.value) for m in Mix]
SOURCES = [app_commands.Choice(name=s.value, value=s.value) for s in Source]


async def _send(interaction: discord.Interaction, kwargs: ReplyKwargs) -> None:
    content = kwargs["content"] if kwargs["content"] is not None else MISSING
    view = kwargs["view"] if kwargs["view"] is not None else MISSING
    embeds, allowed_mentions = kwargs["embeds"], kwargs["allowed_mentions"]
    if interaction.response.is_done():
        await interaction.followup.send(
            content, ephemeral=True, embeds=embeds, view=view, allowed_mentions=allowed_mentions
        )
    else:
        await interaction.response.send_message(
            content, ephemeral=True, embeds=embeds, view=view, allowed_mentions=allowed_mentions
        )


@app_commands.guild_only()
@app_commands.default_permissions(manage_events=True)
class Groups(
    commands.GroupCog,
    group_name="groups",
    group_description="Facilitator: small groups for a session.",
    group_extras=FACILITATOR,
):
    """Make, show, change and dissolve a session's small groups."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="make", extras=FACILITATOR)
    @app_commands.rename(source="from")
    @app_commands.choices(mix=MIXES, source=SOURCES)
    async def make(
        self,
        interaction: discord.Interaction,
        session: SessionOption,
        size: int = DEFAULT_SIZE,
        mix: app_commands.Choice[str] | None = None,
        source: app_commands.Choice[str] | None = None,
    ) -> None:
        """Propose small groups for a session (shown only to you, with Create, Shuffle and Cancel).

        Args:
            session: The session.
            size: About how many people per group, 3 to 12 (default 6).
            mix: What to keep apart first: community (default), area or role.
            source: Who to group: rsvp (said "I'll be there"), participants, or attended.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.bot.services.groups.propose(
            actor_from(interaction),
            session,
            size=size,
            mix=Mix(mix.value) if mix else Mix.COMMUNITY,
            source=Source(source.value) if source else None,
        )
        await _send(interaction, reply_kwargs(core_render.proposal(view)))

    @app_commands.command(name="show", extras=FACILITATOR)
    async def show(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """Show a session's groups, coaches and threads.

        Args:
            session: The session.
        """
        result = await self.bot.services.groups.show(actor_from(interaction), session)
        await _send(interaction, reply_kwargs(core_render.session_groups(result)))

    @app_commands.command(name="move", extras=FACILITATOR)
    @app_commands.rename(to_group="to")
    async def move(
        self,
        interaction: discord.Interaction,
        session: SessionOption,
        member: discord.Member,
        to_group: app_commands.Range[int, 1, 100],
    ) -> None:
        """Move someone into another group of a session (their thread access follows).

        Args:
            session: The session.
            member: Who to move.
            to_group: The group number to move them to.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        moved = await self.bot.services.groups.move(actor_from(interaction), session, member.id, to_group)
        where = f"from Group {moved.from_number} " if moved.from_number else ""
        await send_ephemeral(interaction, f"Moved {member.mention} {where}to Group {moved.to_number}.")

    @app_commands.command(name="dissolve", extras=FACILITATOR)
    async def dissolve(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """Remove a session's groups (their threads are archived) so new ones can be made.

        Args:
            session: The session.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        count = await self.bot.services.groups.dissolve(actor_from(interaction), session)
        await send_ephemeral(
            interaction, f"Dissolved {count} group{'s' if count != 1 else ''}; their threads are archived."
        )


@app_commands.guild_only()
class Coach(commands.GroupCog, group_name="coach", group_description="Peer coaches: your own groups."):
    """What a peer coach may do for the groups they coach (checked in the service)."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @app_commands.command(name="view")
    async def view(self, interaction: discord.Interaction, session: SessionOption) -> None:
        """See who in your group attended and how many reflected (never their answers).

        Args:
            session: The session.
        """
        result = await self.bot.services.groups.coach_view(actor_from(interaction), session)
        await _send(interaction, reply_kwargs(core_render.coach_view(result)))

    @app_commands.command(name="mark")
    async def mark(self, interaction: discord.Interaction, session: SessionOption, member: discord.Member) -> None:
        """Mark that someone in your group attended.

        Args:
            session: The session.
            member: A member of your group.
        """
        marked = await self.bot.services.groups.coach_mark(actor_from(interaction), session, [member.id])
        said = "marked as attended" if marked else "was already marked as attended"
        await send_ephemeral(interaction, f"{member.mention} {said}.")

    @app_commands.command(name="nudge")
    async def nudge(
        self,
        interaction: discord.Interaction,
        session: SessionOption,
        message: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        """Send your group a nudge in its thread (once a day).

        Args:
            session: The session.
            message: What to say (a friendly default if left out).
        """
        group = await self.bot.services.groups.coach_nudge(actor_from(interaction), session, message or "")
        await send_ephemeral(interaction, f"Your nudge to Group {group.number} is on its way.")


class Connect(commands.Cog):
    """Opt in to introductions with people from other communities between sessions."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @commands.Cog.listener("on_raw_member_remove")
    async def leave_groups(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Take someone who left the server out of the groups of sessions still open (pairings skip leavers)."""
        await self.bot.services.groups.member_left(payload.guild_id, payload.user.id)

    @app_commands.command(name="connect")
    @app_commands.guild_only()
    @app_commands.choices(
        choice=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    async def connect(self, interaction: discord.Interaction, choice: app_commands.Choice[str]) -> None:
        """Meet someone from another community every couple of weeks (on), or stop (off).

        Args:
            choice: on to be introduced (it also resumes after a pause), off to stop.
        """
        on = choice.value == "on"
        await self.bot.services.connections.set_connect(actor_from(interaction), on)
        said = (
            "You are in: every couple of weeks Blether introduces you to someone from another community, in a "
            "private thread. /connect off stops it."
            if on
            else "Introductions are off. /connect on starts them again."
        )
        await send_ephemeral(interaction, said)


async def setup(bot: BletherBot) -> None:
    """Load the cogs and the persistent buttons."""
    bot.add_persistent_buttons(ProposalButton, JoinButton, MeetButton)
    await bot.add_cog(Groups(bot))
    await bot.add_cog(Coach(bot))
    await bot.add_cog(Connect(bot))
