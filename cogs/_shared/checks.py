"""Checks and markers every cog shares: server-only commands and the facilitator marker."""

import discord
from discord import app_commands

FACILITATOR: dict[str, object] = {"facilitator": True}
"""extras of a facilitator command or group (with default_permissions, which hides it from others in Discord).

The marker lets shared code (the session option, /help) treat the command as facilitators' only; the
service still checks the caller at run time.
"""


def in_guild(interaction: discord.Interaction) -> bool:
    """Allow a command only inside a server; Discord hides these in DMs, this also covers odd or old clients.

    Raises NoPrivateMessage, which the one error mapping turns into a friendly explanation.
    """
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return True


def is_facilitator_command(command: object) -> bool:
    """Tell whether a command (or a group above it) is marked for facilitators only."""
    while command is not None:
        extras = getattr(command, "extras", None) or {}
        if getattr(command, "default_permissions", None) is not None or extras.get("facilitator"):
            return True
        command = getattr(command, "parent", None)
    return False
