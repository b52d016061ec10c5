"""The draft's persistent buttons (Publish now, Edit intro, Skip this month), the intro form, and the
"Include page" / "Exclude page" buttons under /flash items.

The buttons are DynamicItems on the core's custom ids (``blether:flash:<action>:<issue_id>`` and
``blether:flash:items:…``), so they work after restarts; the intro form's submit goes through the bot's modal
router for the same reason. Facilitator checks happen in the core, at click time.
"""

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord.utils import MISSING

from bot.core.flash import ids
from bot.core.flash.domain import INTRO_LIMIT
from bot.core.flash.render import render_items_message
from bot.core.messages import text
from bot.discord_ports import message_kwargs
from cogs._shared.actors import actor_from
from cogs._shared.buttons import custom_id_of, parsed_id
from cogs._shared.interactions import ModalValue, guarded, open_modal
from cogs._shared.replies import send_ephemeral
from cogs._shared.services import services
from cogs.flash import render

if TYPE_CHECKING:
    pass

INTRO_FIELD = "intro"

_LABELS = {
    ids.FlashAction.PUBLISH: ("Publish now", discord.ButtonStyle.success),
    ids.FlashAction.INTRO: ("Edit intro", discord.ButtonStyle.secondary),
    ids.FlashAction.SKIP: ("Skip this month", discord.ButtonStyle.danger),
}


class DraftButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.CUSTOM_ID_TEMPLATE):
    """One of the buttons under a Flash Report draft."""

    def __init__(self, action: ids.FlashAction, issue_id: int) -> None:
        label, style = _LABELS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"{ids.PREFIX}{action.value}:{issue_id}")
        )
        self.action = action
        self.issue_id = issue_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "DraftButton":
        """Rebuild the button from its custom_id (strictly parsed by the core)."""
        button = ids.parse_custom_id(custom_id_of(item))
        return cls(button.action, button.issue_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Publish, open the intro form or skip, as the button says."""
        handlers = {
            ids.FlashAction.PUBLISH: self._publish,
            ids.FlashAction.INTRO: self._edit_intro,
            ids.FlashAction.SKIP: self._skip,
        }
        await guarded(interaction, f"Flash Report {self.action.value} button", handlers[self.action](interaction))

    async def _publish(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        core = services(interaction)
        actor = actor_from(interaction)
        request = await core.flash.publish_now(actor, self.issue_id)
        programme = await core.programme.get_programme(actor.guild_id)
        await send_ephemeral(
            interaction, render.publish(request, programme.flash_reports_channel_id if programme is not None else None)
        )

    async def _edit_intro(self, interaction: discord.Interaction) -> None:
        intro = await services(interaction).flash.get_intro(actor_from(interaction), self.issue_id)
        await open_modal(interaction, IntroModal(self.issue_id, intro))

    async def _skip(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await services(interaction).flash.skip_issue(actor_from(interaction), self.issue_id)
        await send_ephemeral(interaction, render.skipped(result))


class ItemsPageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.PAGE_TEMPLATE):
    """ "Include page" or "Exclude page" under /flash items (facilitators): acts on the items shown, shows the page."""

    def __init__(self, button: ids.PageButton) -> None:
        custom_id = ids.page_id(button.action, button.first_id, button.last_id, button.kind, button.page)
        super().__init__(discord.ui.Button(label=f"{button.action.value.title()} page", custom_id=custom_id))
        self.button = button

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "ItemsPageButton":
        """Rebuild the button from its custom_id (strictly parsed by the core)."""
        return cls(ids.parse_page_id(custom_id_of(item)))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Include or exclude the page's items and show the page as it is now."""
        await guarded(interaction, f"Flash Report {self.button.action.value} page button", self._act(interaction))

    async def _act(self, interaction: discord.Interaction) -> None:
        result = await services(interaction).flash.set_page_state(actor_from(interaction), self.button)
        if result.page is None:  # not reached: the service always returns the page
            await send_ephemeral(interaction, render.page_done(result))
            return
        kwargs = message_kwargs(render_items_message(result.page, note=render.page_done(result)))  # never files
        await interaction.response.edit_message(
            content=kwargs.get("content", MISSING),
            embeds=kwargs.get("embeds", MISSING),
            view=kwargs.get("view", MISSING),
            allowed_mentions=kwargs["allowed_mentions"],
        )


class IntroModal(discord.ui.Modal):
    """The "Edit intro" form, pre-filled with the issue's current intro."""

    def __init__(self, issue_id: int, intro: str) -> None:
        super().__init__(title="Edit the Flash Report intro", custom_id=ids.intro_form_id(issue_id), timeout=None)
        self.add_item(
            discord.ui.TextInput(
                label="Intro (leave empty for the default)",
                custom_id=INTRO_FIELD,
                style=discord.TextStyle.paragraph,
                default=intro[:INTRO_LIMIT],
                max_length=INTRO_LIMIT,
                required=False,
            )
        )


async def submit_intro(
    interaction: discord.Interaction, match: re.Match[str], values: Mapping[str, ModalValue]
) -> None:
    """Save the intro typed in the form (router handler; works after restarts too)."""
    typed = values.get(INTRO_FIELD)
    issue = await services(interaction).flash.set_intro(
        actor_from(interaction),
        parsed_id(match.group(0), ids.parse_intro_form_id, "a Flash Report intro form"),
        typed if isinstance(typed, str) else "",
    )
    await send_ephemeral(interaction, text(f"Intro of {issue.title} saved. /flash draft shows the draft with it."))
