"""Turn the core's file attachments into discord.File objects."""

import io
from collections.abc import Iterable

import discord

from bot.core.messages import FileAttachment


def to_file(attachment: FileAttachment) -> discord.File:
    """Return a discord.File for a core attachment (an .ics calendar, a CSV export, a chart…)."""
    return discord.File(io.BytesIO(attachment.data), filename=attachment.filename, description=attachment.description)


def to_files(attachments: Iterable[FileAttachment]) -> list[discord.File]:
    """Return discord.File objects for several core attachments, in order."""
    return [to_file(a) for a in attachments]
