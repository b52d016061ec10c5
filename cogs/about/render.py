"""Embeds for /about and /help."""

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from cogs._shared.actors import actor_from
from cogs._shared.checks import is_facilitator_command

if TYPE_CHECKING:
    from bot.client import BletherBot

BRAND = 0x2E8B57


def about_embed(version: str, timezone: str) -> discord.Embed:
    """Describe Blether in a few plain sentences."""
    embed = discord.Embed(
        title="Blether",
        colour=BRAND,
        description=(
            "Blether helps run this community learning programme: it reminds everyone before each "
            "session, asks for a short reflection afterwards (what worked well, what would make it "
            "even better), gathers the resources and stories people share into a monthly Flash Report, "
            "and keeps answers — only with your consent — for the programme's evaluation."
        ),
    )
    embed.add_field(name="Version", value=version, inline=True)
    embed.add_field(name="Programme time zone", value=timezone, inline=True)
    embed.add_field(name="Help", value="Use /help to see the commands you can use.", inline=False)
    return embed


def visible_commands(tree: app_commands.CommandTree, *, facilitator: bool) -> list[tuple[str, str]]:
    """List (name, description) of every slash command the caller may use."""
    found: list[tuple[str, str]] = []

    def walk(node: app_commands.Command | app_commands.Group) -> None:
        if isinstance(node, app_commands.Group):
            for child in node.commands:
                walk(child)
            return
        if is_facilitator_command(node) and not facilitator:
            return
        found.append((f"/{node.qualified_name}", node.description))

    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Command | app_commands.Group):
            walk(command)
    return sorted(found)


def help_embed(commands: list[tuple[str, str]], *, facilitator: bool) -> discord.Embed:
    """Render the command list within Discord's limits."""
    lines = [f"**{name}** — {description}" for name, description in commands]
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:4000].rsplit("\n", 1)[0] + "\n…"
    title = "Blether commands" + (" (including facilitator commands)" if facilitator else "")
    return discord.Embed(title=title, description=text or "No commands available.", colour=BRAND)


async def caller_is_facilitator(bot: "BletherBot", interaction: discord.Interaction) -> bool:
    """Ask the core whether the caller is a facilitator (falls back to Manage Events before set-up)."""
    actor = actor_from(interaction)
    checker = getattr(bot.services, "is_facilitator", None)
    if checker is not None:
        return bool(await checker(actor))
    return actor.is_admin or actor.can_manage_events
