"""/me data, /me delete and the persistent "Erase my data" button that only its requester can press.

The button's custom_id carries the requester's user id (``blether:evaluation:erase:<user id>``); a click by
anyone else is refused before anything is erased. It is a DynamicItem, so it still works after a restart.
"""

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.core.evaluation.ids import ERASE_TEMPLATE, erase_button_id, parse_erase_button_id
from cogs._shared.actors import actor_from
from cogs._shared.buttons import clicked_id
from cogs._shared.files import to_files
from cogs._shared.interactions import guarded
from cogs._shared.replies import send_ephemeral
from cogs._shared.services import services
from cogs.evaluation import render

if TYPE_CHECKING:
    from bot.core.evaluation import EvaluationService

NOT_YOURS = "This button belongs to the person who asked to erase their data; use /me delete for your own."


def _evaluation(interaction: discord.Interaction) -> "EvaluationService":
    return services(interaction).evaluation


class EraseConfirmButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ERASE_TEMPLATE):
    """The "Erase my data" confirmation under /me delete."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Erase my data", style=discord.ButtonStyle.danger, custom_id=erase_button_id(user_id)
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "EraseConfirmButton":
        """Rebuild the button from its custom_id."""
        return cls(clicked_id(item, parse_erase_button_id, "an Erase my data button"))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only the requester press it."""
        if interaction.user.id == self.user_id:
            return True
        await send_ephemeral(interaction, NOT_YOURS)
        return False

    async def callback(self, interaction: discord.Interaction) -> None:
        """Erase the requester's data and reply with the receipt."""
        await guarded(interaction, "erase confirmation button", self._erase(interaction))

    async def _erase(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await _evaluation(interaction).erase_me(actor_from(interaction))
        await send_ephemeral(interaction, render.erased(report))


async def me_data(interaction: discord.Interaction) -> None:
    """Download everything Blether holds about you in this server (a JSON file)."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    attachment = await _evaluation(interaction).export_my_data(actor_from(interaction))
    await send_ephemeral(
        interaction, "Here is everything Blether holds about you in this server.", files=to_files([attachment])
    )


async def me_delete(interaction: discord.Interaction) -> None:
    """Erase everything Blether holds about you in this server (asks you to confirm)."""
    view = discord.ui.View(timeout=None)
    view.add_item(EraseConfirmButton(interaction.user.id))
    await send_ephemeral(interaction, render.confirm_delete(), view=view)


def me_commands() -> list[app_commands.Command[Any, ..., None]]:
    """Return /me data and /me delete, to add to the participants' /me group."""
    return [
        app_commands.Command(
            name="data", description="Download everything Blether holds about you here.", callback=me_data
        ),
        app_commands.Command(
            name="delete", description="Erase everything Blether holds about you here (asks first).", callback=me_delete
        ),
    ]
