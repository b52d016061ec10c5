"""/join, /me profile, /me consent and /consent set: thin commands over ParticipantService."""

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BletherBot
from bot.core.participants import AREA_CHOICES, ROLE_CHOICES, ProfileUpdate
from cogs._shared.actors import actor_from
from cogs._shared.checks import FACILITATOR
from cogs._shared.replies import send_ephemeral
from cogs.participants import render
from cogs.participants.views import ConsentAnswerButton, ConsentSaveButton, show_prompt
from cogs.questionnaires import render as questionnaire_render

AREAS = [app_commands.Choice(name=c.label[:100], value=c.value) for c in AREA_CHOICES][:25]
ROLES = [app_commands.Choice(name=c.label[:100], value=c.value) for c in ROLE_CHOICES][:25]


class Participants(commands.Cog):
    """Join the programme, keep your profile and choose what your answers may be used for."""

    me = app_commands.Group(name="me", description="Your Blether profile and consent.", guild_only=True)
    consent = app_commands.Group(
        name="consent",
        description="Facilitator: the programme's consent text.",
        guild_only=True,
        default_permissions=discord.Permissions(manage_events=True),
        extras=FACILITATOR,
    )

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    async def _communities(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = await self.bot.services.participants.community_choices(interaction.guild_id or 0, current)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]

    @app_commands.command(name="join")
    @app_commands.guild_only()
    @app_commands.choices(area=AREAS, role=ROLES)
    async def join(
        self,
        interaction: discord.Interaction,
        community: app_commands.Range[str, 1, 80] | None = None,
        area: app_commands.Choice[str] | None = None,
        role: app_commands.Choice[str] | None = None,
    ) -> None:
        """Join the learning programme (every profile answer is optional).

        Args:
            community: The community or organisation you are part of.
            area: What sort of place your community is in.
            role: How you take part in your community.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.bot.services.participants.join(
            actor_from(interaction),
            community=community,
            area=area.value if area else None,
            role=role.value if role else None,
        )
        if result.created:
            text = "Welcome to the programme! You can change your profile any time with /me profile."
        elif result.reactivated:
            text = "Welcome back! Your profile is active again."
        else:
            text = "You had already joined; your profile is updated."
        await send_ephemeral(interaction, text, embed=render.profile_embed(result.participant))
        if result.consent_prompt is not None:
            await show_prompt(interaction)
        baseline = await self.bot.services.questionnaires.baseline_offer(actor_from(interaction))
        if baseline is not None:
            await send_ephemeral(interaction, **questionnaire_render.reply_kwargs(baseline))

    join.autocomplete("community")(_communities)

    @me.command(name="profile")
    @app_commands.choices(area=AREAS, role=ROLES)
    async def me_profile(
        self,
        interaction: discord.Interaction,
        community: app_commands.Range[str, 0, 80] | None = None,
        area: app_commands.Choice[str] | None = None,
        role: app_commands.Choice[str] | None = None,
    ) -> None:
        """Show your profile, or change it by giving new values.

        Args:
            community: A new community name.
            area: What sort of place your community is in.
            role: How you take part in your community.
        """
        participants = self.bot.services.participants
        actor = actor_from(interaction)
        update = ProfileUpdate(
            community=community, area=area.value if area else None, role=role.value if role else None
        )
        if update.is_empty:
            participant = await participants.profile(actor)
        else:
            participant = await participants.update_profile(actor, update)
        await send_ephemeral(interaction, embed=render.profile_embed(participant))

    me_profile.autocomplete("community")(_communities)

    @me.command(name="consent")
    async def me_consent(self, interaction: discord.Interaction) -> None:
        """See and change what your reflections may be used for."""
        participants = self.bot.services.participants
        actor = actor_from(interaction)
        await participants.profile(actor)  # only participants have consent to manage
        state = await participants.my_consent(actor)
        text = await participants.consent_text(actor.guild_id)
        answers = render.state_answers(state)
        await send_ephemeral(
            interaction,
            embed=render.consent_embed(text, answers, heading="Your consent"),
            view=render.consent_view(text.version, answers),
        )

    @consent.command(name="set")
    async def consent_set(self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 4000]) -> None:
        """Replace the consent text (everyone is asked again).

        Args:
            text: The new consent text shown before people reflect.
        """
        change = await self.bot.services.participants.set_consent_text(actor_from(interaction), text)
        if change.changed:
            reply = f"The consent text is now version {change.text.version}; everyone will be asked again."
        else:
            reply = "That is already the consent text; nothing changed."
        await send_ephemeral(interaction, reply)


async def setup(bot: BletherBot) -> None:
    """Load the cog and its persistent consent buttons."""
    bot.add_persistent_buttons(ConsentAnswerButton, ConsentSaveButton)
    await bot.add_cog(Participants(bot))
