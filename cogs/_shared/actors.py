"""Turn a Discord interaction (or a member acting outside one) into the core's Actor.

Facilitator status comes from the member's *server-level* permissions (their roles, the owner, Administrator)
and never from a channel's permission overwrites: ``interaction.permissions`` includes overwrites, so Manage
Events granted on one voice or stage channel (a guest speaker's room) would otherwise make that person a full
facilitator whenever they typed a command in that channel's chat.
"""

import discord

from bot.core.actors import Actor


def member_actor(member: discord.Member) -> Actor:
    """Build the Actor of a server member from their server-level permissions (channel overwrites ignored).

    discord.py computes guild_permissions from the cached roles of the server (owner and Administrator grant
    everything; a timed-out member keeps only what a timeout allows). Should the server not be cached, no
    role is known and the member gets no facilitator rights: the check fails closed.
    """
    perms = member.guild_permissions
    return Actor(
        guild_id=member.guild.id,
        user_id=member.id,
        display_name=member.display_name,
        role_ids=frozenset(role.id for role in member.roles),
        can_manage_events=perms.manage_events,
        is_admin=perms.administrator,
    )


def actor_from(interaction: discord.Interaction) -> Actor:
    """Build the Actor for whoever triggered an interaction (permissions as of this moment, server-level only)."""
    user = interaction.user
    if isinstance(user, discord.Member):
        return member_actor(user)
    return Actor(guild_id=interaction.guild_id or 0, user_id=user.id, display_name=getattr(user, "display_name", ""))
