"""Discord rendering for questionnaires: core messages and embeds to discord.py objects."""

from typing import Any

import discord

from bot.core.messages import OutboundMessage
from bot.core.questionnaires import render as core
from bot.core.questionnaires.domain import ItemKind, PageForm, QuestionnaireView, StatusReport
from bot.discord_ports import message_kwargs, to_discord_embed

TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100


def page_modal(form: PageForm) -> discord.ui.Modal:
    """Turn a page into a modal: Label + RadioGroup / TextInput, at most five."""
    modal = discord.ui.Modal(title=form.title[:TITLE_LIMIT], custom_id=form.custom_id, timeout=None)
    for field in form.fields[:5]:
        component: discord.ui.Item[Any]
        if field.kind.is_text:
            component = discord.ui.TextInput(
                custom_id=field.id,
                style=discord.TextStyle.paragraph if field.kind is ItemKind.LONG_TEXT else discord.TextStyle.short,
                required=False,
                max_length=field.max_length,
                default=field.default or None,
            )
        else:
            component = discord.ui.RadioGroup(
                custom_id=field.id,
                required=False,
                options=[
                    discord.RadioGroupOption(label=o.label[:100], value=o.value[:100], default=o.default)
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


def reply_kwargs(message: OutboundMessage) -> dict[str, Any]:
    """Return send_ephemeral keyword arguments for a core message (content, embeds, buttons)."""
    kwargs = message_kwargs(message)
    return {"content": kwargs.get("content"), "embeds": kwargs.get("embeds"), "view": kwargs.get("view")}


def view_embed(view: QuestionnaireView) -> discord.Embed:
    """Return a questionnaire's items as a Discord embed."""
    return to_discord_embed(core.view(view))


def status_embed(report: StatusReport) -> discord.Embed:
    """Return /questionnaire status as a Discord embed."""
    return to_discord_embed(core.status(report))
