"""Persistent consent buttons: each Yes/No click records one answer at once; Save confirms."""

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.core.participants import ConsentPurpose, ConsentSource
from bot.core.participants.ids import (
    CONSENT_ANSWER_TEMPLATE,
    CONSENT_SAVE_TEMPLATE,
    consent_answer_id,
    consent_save_id,
    parse_consent_answer_id,
    parse_consent_save_id,
)
from cogs._shared.actors import actor_from
from cogs._shared.buttons import clicked_id
from cogs._shared.interactions import guarded
from cogs._shared.services import services
from cogs.participants import render

if TYPE_CHECKING:
    pass


async def show_prompt(interaction: discord.Interaction, *, heading: str = "Before you start: your consent") -> None:
    """Send the caller's consent prompt privately when they still have questions to answer."""
    prompt = await services(interaction).participants.consent_prompt(actor_from(interaction))
    if prompt is None:
        return
    answers = render.prompt_answers(prompt)
    await _send(
        interaction,
        render.consent_embed(prompt.text, answers, heading=heading),
        render.consent_view(prompt.version, answers),
    )


async def _send(interaction: discord.Interaction, embed: discord.Embed, view: discord.ui.View) -> None:
    kwargs: dict[str, Any] = {
        "embed": embed,
        "view": view,
        "ephemeral": True,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


class ConsentAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CONSENT_ANSWER_TEMPLATE,
):
    """A Yes or No button of the consent prompt (blether:consent:<purpose>:<yes|no>:<text version>)."""

    def __init__(self, purpose: ConsentPurpose, granted: bool, version: int) -> None:
        super().__init__(discord.ui.Button(custom_id=consent_answer_id(purpose, granted, version)))
        self.purpose = purpose
        self.granted = granted
        self.version = version

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "ConsentAnswerButton":
        """Rebuild the button from its custom_id."""
        parsed = clicked_id(item, parse_consent_answer_id, "a consent button")
        return cls(parsed.purpose, parsed.granted, parsed.version)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record this one answer and refresh the prompt."""
        await guarded(interaction, "consent button", self._record(interaction))

    async def _record(self, interaction: discord.Interaction) -> None:
        participants = services(interaction).participants
        state = await participants.record_consent(
            actor_from(interaction),
            {self.purpose: self.granted},
            text_version=self.version,
            source=ConsentSource.PROMPT,
        )
        text = await participants.consent_text(state.guild_id)
        answers = render.state_answers(state)
        heading = "Your consent" if not state.missing else "Before you start: your consent"
        await interaction.response.edit_message(
            embed=render.consent_embed(text, answers, heading=heading),
            view=render.consent_view(self.version, answers),
        )


class ConsentSaveButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CONSENT_SAVE_TEMPLATE):
    """The prompt's Save button: confirm the answers given (each click already saved them)."""

    def __init__(self, version: int) -> None:
        super().__init__(discord.ui.Button(custom_id=consent_save_id(version)))
        self.version = version

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "ConsentSaveButton":
        """Rebuild the button from its custom_id."""
        return cls(clicked_id(item, parse_consent_save_id, "a consent Save button"))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Show what is saved; keep the buttons while answers are missing."""
        await guarded(interaction, "consent save", self._save(interaction))

    async def _save(self, interaction: discord.Interaction) -> None:
        state = await services(interaction).participants.my_consent(actor_from(interaction))
        if state.missing:
            await interaction.response.edit_message(content=render.saved_text(state))
            return
        await interaction.response.edit_message(content=render.saved_text(state), embed=None, view=None)
