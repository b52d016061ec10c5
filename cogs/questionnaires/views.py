"""The persistent buttons of questionnaires (Start, Continue, Finish later, mentoring contact) and opening pages."""

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.core.questionnaires import render as core
from bot.core.questionnaires.ids import CONTINUE_TEMPLATE, LATER_TEMPLATE, MENTOR_TEMPLATE, START_TEMPLATE
from cogs._shared.actors import actor_from
from cogs._shared.interactions import guarded, open_modal
from cogs._shared.replies import send_ephemeral
from cogs.questionnaires.render import page_modal

if TYPE_CHECKING:
    from bot.client import BletherBot


def _services(interaction: discord.Interaction) -> Any:
    return cast("BletherBot", interaction.client).services


async def open_start(interaction: discord.Interaction, questionnaire_id: int) -> None:
    """Open the page where the caller left off (page 1 when new)."""
    form = await _services(interaction).questionnaires.start(actor_from(interaction), questionnaire_id)
    await open_modal(interaction, page_modal(form))


async def open_page(interaction: discord.Interaction, questionnaire_id: int, page: int) -> None:
    """Open one page (from Continue)."""
    form = await _services(interaction).questionnaires.page(actor_from(interaction), questionnaire_id, page)
    await open_modal(interaction, page_modal(form))


async def finish_later(interaction: discord.Interaction, questionnaire_id: int) -> None:
    """Confirm that everything so far is saved."""
    q = await _services(interaction).questionnaires.finish_later(actor_from(interaction), questionnaire_id)
    await send_ephemeral(interaction, core.finish_later(q))


async def mentor_contact(interaction: discord.Interaction, questionnaire_id: int, answer: str) -> None:
    """Record the answer to "may we contact you about mentoring a second cohort?"."""
    text = await _services(interaction).questionnaires.mentor_contact(
        actor_from(interaction), questionnaire_id, answer == "yes"
    )
    await send_ephemeral(interaction, text)


class StartButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=START_TEMPLATE):
    """A questionnaire's "Start" button (blether:qn-start:<id>) on the post and in DMs."""

    def __init__(self, questionnaire_id: int) -> None:
        super().__init__(discord.ui.Button(label="Start", custom_id=f"blether:qn-start:{questionnaire_id}"))
        self.questionnaire_id = questionnaire_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "StartButton":
        """Rebuild the button from its custom_id."""
        return cls(int(match["questionnaire_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the page where the caller left off."""
        await guarded(interaction, "questionnaire Start button", open_start(interaction, self.questionnaire_id))


class ContinueButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CONTINUE_TEMPLATE):
    """ "Continue" between pages (blether:qn-page:<id>:<page>)."""

    def __init__(self, questionnaire_id: int, page: int) -> None:
        super().__init__(discord.ui.Button(label="Continue", custom_id=f"blether:qn-page:{questionnaire_id}:{page}"))
        self.questionnaire_id = questionnaire_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "ContinueButton":
        """Rebuild the button from its custom_id."""
        return cls(int(match["questionnaire_id"]), int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the next page."""
        await guarded(
            interaction, "questionnaire Continue button", open_page(interaction, self.questionnaire_id, self.page)
        )


class LaterButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=LATER_TEMPLATE):
    """ "Finish later" between pages (blether:qn-later:<id>)."""

    def __init__(self, questionnaire_id: int) -> None:
        super().__init__(discord.ui.Button(label="Finish later", custom_id=f"blether:qn-later:{questionnaire_id}"))
        self.questionnaire_id = questionnaire_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "LaterButton":
        """Rebuild the button from its custom_id."""
        return cls(int(match["questionnaire_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Say that the pages so far are saved."""
        await guarded(
            interaction, "questionnaire Finish later button", finish_later(interaction, self.questionnaire_id)
        )


class MentorButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=MENTOR_TEMPLATE):
    """The mentoring contact consent buttons after the last page (blether:qn-mentor:<id>:<yes|no>)."""

    def __init__(self, questionnaire_id: int, answer: str) -> None:
        super().__init__(discord.ui.Button(label=answer, custom_id=f"blether:qn-mentor:{questionnaire_id}:{answer}"))
        self.questionnaire_id = questionnaire_id
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "MentorButton":
        """Rebuild the button from its custom_id."""
        return cls(int(match["questionnaire_id"]), match["answer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the consent answer."""
        await guarded(
            interaction, "mentoring contact button", mentor_contact(interaction, self.questionnaire_id, self.answer)
        )
