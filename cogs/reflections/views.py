"""The reflection modal (built from the core's form) and the card's persistent buttons."""

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.core.reflections import QuestionKind, ReflectionForm
from bot.core.reflections.ids import (
    ATTEND_TEMPLATE,
    REFLECT_TEMPLATE,
    attend_button_id,
    parse_attend_button_id,
    parse_reflect_button_id,
    reflect_button_id,
)
from cogs._shared.actors import actor_from
from cogs._shared.buttons import clicked_id
from cogs._shared.interactions import guarded, open_modal
from cogs._shared.replies import send_ephemeral
from cogs._shared.services import services
from cogs.reflections import render

if TYPE_CHECKING:
    pass

TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100


def build_modal(form: ReflectionForm) -> discord.ui.Modal:
    """Turn the core's form into a modal: Label + TextInput / RadioGroup / Checkbox, at most five."""
    modal = discord.ui.Modal(title=form.title[:TITLE_LIMIT], custom_id=form.custom_id, timeout=None)
    for field in form.fields[:5]:
        component: discord.ui.Item[Any]
        if field.kind.is_text:
            component = discord.ui.TextInput(
                custom_id=field.id,
                style=discord.TextStyle.paragraph if field.kind is QuestionKind.LONG_TEXT else discord.TextStyle.short,
                required=field.required,
                max_length=field.max_length,
                placeholder=field.placeholder[:100] or None,
                default=field.default if isinstance(field.default, str) and field.default else None,
            )
        elif field.kind is QuestionKind.CHECKBOX:
            component = discord.ui.Checkbox(custom_id=field.id, default=field.default is True)
        else:  # rating and choice
            component = discord.ui.RadioGroup(
                custom_id=field.id,
                required=field.required,
                options=[
                    discord.RadioGroupOption(
                        label=o.label[:100], value=o.value[:100], default=o.default or o.value == field.default
                    )
                    for o in field.options
                ],
            )
        modal.add_item(
            discord.ui.Label(
                text=field.label[:LABEL_LIMIT],
                description=field.description[:DESCRIPTION_LIMIT] or None,
                component=component,
            )
        )
    return modal


async def open_reflection(interaction: discord.Interaction, session_id: int) -> None:
    """Open the caller's reflection modal for a session (pre-filled with earlier answers)."""
    form = await services(interaction).reflections.reflection_form(actor_from(interaction), session_id)
    await open_modal(interaction, build_modal(form))


async def check_in(interaction: discord.Interaction, session_id: int) -> None:
    """Record that the caller attended a session and confirm it privately."""
    result = await services(interaction).attendance.check_in(actor_from(interaction), session_id)
    await send_ephemeral(interaction, render.checked_in(result))


class ReflectButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REFLECT_TEMPLATE):
    """The card's "Reflect" button (blether:reflect:<session id>)."""

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Reflect", custom_id=reflect_button_id(session_id)))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "ReflectButton":
        """Rebuild the button from its custom_id."""
        return cls(clicked_id(item, parse_reflect_button_id, "a Reflect button"))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the reflection modal."""
        await guarded(interaction, "Reflect button", open_reflection(interaction, self.session_id))


class AttendButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ATTEND_TEMPLATE):
    """The card's "I attended" button (blether:attend:<session id>)."""

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="I attended", custom_id=attend_button_id(session_id)))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "AttendButton":
        """Rebuild the button from its custom_id."""
        return cls(clicked_id(item, parse_attend_button_id, "an I attended button"))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Check the caller in."""
        await guarded(interaction, "I attended button", check_in(interaction, self.session_id))
