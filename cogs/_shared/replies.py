"""Reply helpers and the one mapping from errors to friendly ephemeral messages."""

import logging
import secrets
from typing import TypedDict

import discord
from discord import app_commands

from bot.core.errors import DomainError, ValidationError
from bot.core.messages import Text, plain, text
from bot.discord_render import CONTENT_LIMIT, render

log = logging.getLogger(__name__)

GUILD_ONLY = "Blether's commands work inside the programme's server, not in direct messages."


class _ReplyKwargs(TypedDict, total=False):
    """Keyword arguments of an ephemeral reply (a followup's send or the first send_message)."""

    ephemeral: bool
    allowed_mentions: discord.AllowedMentions
    content: str
    embed: discord.Embed
    embeds: list[discord.Embed]
    view: discord.ui.View
    files: list[discord.File]


async def send_ephemeral(
    interaction: discord.Interaction,
    content: Text | str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    files: list[discord.File] | None = None,
) -> None:
    """Answer privately, as the first response or as a followup when already deferred.

    content is the core's rich text (rendered for Discord here: escaped, with Discord's markup) or a str a
    cog's render function already wrote for Discord (escaped where it holds user text).
    """
    kwargs: _ReplyKwargs = {"ephemeral": True, "allowed_mentions": discord.AllowedMentions.none()}
    if isinstance(content, Text):
        kwargs["content"] = render(content, CONTENT_LIMIT)
    elif content is not None:
        kwargs["content"] = content[:CONTENT_LIMIT]
    if embed is not None:
        kwargs["embed"] = embed
    if embeds:
        kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    if files:
        kwargs["files"] = files
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def domain_error_text(error: DomainError) -> Text:
    """Return a domain error's message with the problems it does not already state, one per line."""
    message = text(error.message)
    said = isinstance(error, ValidationError) and len(error.problems) == 1 and error.problems[0] in plain(message)
    if isinstance(error, ValidationError) and error.problems and not said:
        listed = [f"• {p}" for p in error.problems[:20]]
        if len(error.problems) > 20:
            listed.append(f"…and {len(error.problems) - 20} more.")
        message = text("\n").join([message, *listed])
    return message


def describe_domain_error(error: DomainError) -> str:
    """Render a domain error for Discord (escaped, times and mentions as Discord markup, ≤ 2,000 characters)."""
    return render(domain_error_text(error), CONTENT_LIMIT)


async def report_error(interaction: discord.Interaction, error: BaseException, *, where: str) -> None:
    """Map any error raised while handling an interaction to a friendly private reply."""
    original = error
    while isinstance(original, (app_commands.CommandInvokeError, app_commands.TransformerError)):
        inner: BaseException | None = getattr(original, "original", None) or original.__cause__
        if inner is None:
            break
        original = inner
    reply: Text | str
    if isinstance(original, DomainError):
        reply = describe_domain_error(original)
        log.info("Refused %s for user %s: %s", where, interaction.user.id, type(original).__name__)
    elif isinstance(original, app_commands.NoPrivateMessage):
        reply = GUILD_ONLY
    elif isinstance(original, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        log.warning("Stale command %s from user %s: %s", where, interaction.user.id, type(original).__name__)
        reply = "That command has changed or is gone; Discord may still be updating your list. Try again in a minute."
    elif isinstance(original, app_commands.CommandOnCooldown):
        reply = f"Slow down a little: try again in {original.retry_after:.0f} s."
    elif isinstance(original, app_commands.CheckFailure):
        reply = str(original) or "You can't use this here."
    else:
        reference = secrets.token_hex(4).upper()
        log.error("Unhandled error in %s (reference %s)", where, reference, exc_info=original)
        reply = f"Sorry, something went wrong on Blether's side. It has been logged (reference {reference})."
    try:
        await send_ephemeral(interaction, reply)
    except discord.HTTPException:
        log.warning("Could not tell user about an error in %s", where, exc_info=True)
