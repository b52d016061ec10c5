"""The buttons under session reminders: "Add to calendar" and "I'll be there".

They are DynamicItems: discord.py rebuilds them from the custom_id of any click, so they keep working
on reminders posted before a restart (and in reminder DMs). Ids are read only through the core's
strict parsers (bot.core.programme.ids); every error becomes a friendly private reply (guarded).
"""

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.core.programme.ids import (
    ICS_TEMPLATE,
    RSVP_TEMPLATE,
    ics_button_id,
    parse_ics_button_id,
    parse_rsvp_button_id,
    rsvp_button_id,
)
from bot.core.programme.service import ProgrammeService
from cogs._shared.buttons import clicked_id
from cogs._shared.files import to_file
from cogs._shared.interactions import guarded
from cogs._shared.replies import send_ephemeral
from cogs._shared.services import services
from cogs.sessions import render

if TYPE_CHECKING:
    pass


def _programme(interaction: discord.Interaction) -> ProgrammeService:
    return services(interaction).programme


class CalendarButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ICS_TEMPLATE):
    """Send the presser this session's .ics file, privately."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Add to calendar",
                emoji="📅",
                style=discord.ButtonStyle.secondary,
                custom_id=ics_button_id(session_id),
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "CalendarButton":
        """Rebuild the button from a click's custom_id."""
        return cls(clicked_id(item, parse_ics_button_id, "an Add to calendar button"))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer with the calendar file."""
        await guarded(interaction, "the Add to calendar button", self._send_calendar(interaction))

    async def _send_calendar(self, interaction: discord.Interaction) -> None:
        attachment = await _programme(interaction).session_ics(interaction.guild_id, self.session_id)
        await send_ephemeral(
            interaction,
            "Open this file to add the session to your calendar (Google, Outlook, Apple…).",
            files=[to_file(attachment)],
        )


class RsvpButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=RSVP_TEMPLATE):
    """Say (or, pressed again, unsay) that the presser will come to this session."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="I'll be there",
                emoji="✋",
                style=discord.ButtonStyle.success,
                custom_id=rsvp_button_id(session_id),
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "RsvpButton":
        """Rebuild the button from a click's custom_id."""
        return cls(clicked_id(item, parse_rsvp_button_id, "an I'll be there button"))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Toggle the RSVP and say how many are coming."""
        await guarded(interaction, "the I'll be there button", self._toggle(interaction))

    async def _toggle(self, interaction: discord.Interaction) -> None:
        status = await _programme(interaction).toggle_rsvp(interaction.guild_id, self.session_id, interaction.user.id)
        await send_ephemeral(interaction, render.rsvp_text(status))


PERSISTENT_BUTTONS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (CalendarButton, RsvpButton)
