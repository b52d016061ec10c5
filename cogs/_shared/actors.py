"""Turn a Discord interaction into the core's Actor."""

import discord

from bot.core.actors import Actor


def actor_from(interaction: discord.Interaction) -> Actor:
    """Build the Actor for whoever triggered an interaction (permissions as of this moment)."""
    user = interaction.user
    guild_id = interaction.guild_id or 0
    if isinstance(user, discord.Member):
        perms = interaction.permissions
        return Actor(
            guild_id=guild_id,
            user_id=user.id,
            display_name=user.display_name,
            role_ids=frozenset(role.id for role in user.roles),
            can_manage_events=perms.manage_events,
            is_admin=perms.administrator,
        )
    return Actor(guild_id=guild_id, user_id=user.id, display_name=getattr(user, "display_name", ""))
