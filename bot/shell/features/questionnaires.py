"""/questionnaire create|edit|items|open|close|status, and the Start / Continue / Finish later buttons with pages."""

import re
from typing import Any

from bot.core.questionnaires import render as core
from bot.core.questionnaires.domain import ItemKind, PageForm
from bot.core.questionnaires.ids import CONTINUE_TEMPLATE, LATER_TEMPLATE, MENTOR_TEMPLATE, START_TEMPLATE
from bot.shell.commands import Context, Registry
from bot.shell.forms import Field, FieldKind, Form
from bot.shell.options import Choice, Kind, Option
from bot.shell.ports import Shown

TEMPLATES = tuple(Choice(t) for t in ("end-of-programme", "facilitators", "baseline"))
ACTIONS = tuple(Choice(a) for a in ("add", "change", "remove"))
KINDS = tuple(Choice(k) for k in ("agreement", "choice", "yes_maybe_no", "short_text", "long_text"))
NAME = Option("name", "The questionnaire", required=True)


def page_form(form: PageForm) -> Form:
    """Turn a questionnaire page into a shell form (the same fields the Discord modal shows)."""
    fields = []
    for field in form.fields:
        if field.kind.is_text:
            kind = FieldKind.PARAGRAPH if field.kind is ItemKind.LONG_TEXT else FieldKind.TEXT
            default = field.default or None
        else:
            kind = FieldKind.PICK
            default = next((o.value for o in field.options if o.default), None)
        fields.append(
            Field(
                id=field.id,
                label=field.label,
                kind=kind,
                options=tuple((o.value, o.label) for o in field.options),
                default=default,
                max_length=field.max_length,
                description=field.description,
            )
        )
    return Form(title=form.title, fields=tuple(fields), note=f"Page {form.page} of {form.pages}.")


async def answer_page(context: Context, form: PageForm) -> None:
    """Ask a page's questions, save the answers, then offer the next page (or show the summary)."""
    values = await context.form(page_form(form))
    saved = await context.services.questionnaires.submit_page(
        context.actor, form.questionnaire_id, form.version, form.page, values
    )
    await context.send(core.between_pages(saved))


def register(registry: Registry) -> None:
    """Add the questionnaire commands and buttons."""

    @registry.command(
        "questionnaire create",
        "Create a questionnaire from a built-in template with the programme's learning outcomes.",
        Option("template", "end-of-programme, facilitators or baseline", Kind.CHOICE, True, choices=TEMPLATES),
        Option("name", "A name of your own (the template's name if left out)", min=1, max=60),
        facilitator=True,
    )
    async def create(context: Context, values: dict[str, Any]) -> None:
        view = await context.services.questionnaires.create(context.actor, values["template"], values["name"])
        await context.reply(embeds=[core.view(view)])

    @registry.command(
        "questionnaire edit",
        "Add, change or remove an item (after answers exist, a new version; old answers keep theirs).",
        NAME,
        Option("action", "add, change or remove", Kind.CHOICE, True, choices=ACTIONS),
        Option("number", "The item's number in /questionnaire items", Kind.INTEGER, min=1, max=40),
        Option("kind", "The kind of item", Kind.CHOICE, choices=KINDS),
        Option("text", "The item's words", min=1, max=150),
        Option("choices", "For a choice item: the options separated by | (2 to 10)", min=1, max=400),
        facilitator=True,
    )
    async def edit(context: Context, values: dict[str, Any]) -> None:
        view = await context.services.questionnaires.edit_items(
            context.actor,
            values["name"],
            values["action"],
            number=values["number"] or 0,
            kind=values["kind"],
            text=values["text"] or "",
            choices=values["choices"] or "",
        )
        await context.reply(embeds=[core.view(view)])

    @registry.command(
        "questionnaire items", "Show a questionnaire's items, version, pages and schedule.", NAME, facilitator=True
    )
    async def items(context: Context, values: dict[str, Any]) -> None:
        await context.reply(
            embeds=[core.view(await context.services.questionnaires.view(context.actor, values["name"]))]
        )

    @registry.command(
        "questionnaire open",
        "Open a questionnaire now, or at a set time.",
        NAME,
        Option("at", "When to open, YYYY-MM-DD HH:MM in the programme's time zone (now if left out)", min=1, max=40),
        Option("days", "How many days it stays open (21 if left out)", Kind.INTEGER, min=1, max=90),
        facilitator=True,
    )
    async def open_questionnaire(context: Context, values: dict[str, Any]) -> None:
        q = await context.services.questionnaires.open(
            context.actor, values["name"], at=values["at"], days=values["days"]
        )
        await context.reply(core.opened(q, context.shell.now()))

    @registry.command(
        "questionnaire close",
        "Close a questionnaire now and post the completion summary to facilitators.",
        NAME,
        facilitator=True,
    )
    async def close(context: Context, values: dict[str, Any]) -> None:
        await context.reply(core.closed(await context.services.questionnaires.close(context.actor, values["name"])))

    @registry.command(
        "questionnaire status",
        "Show how many started and finished, overall and by area and role (counts under 5 hidden).",
        NAME,
        facilitator=True,
    )
    async def status(context: Context, values: dict[str, Any]) -> None:
        report = await context.services.questionnaires.status(context.actor, values["name"])
        await context.reply(embeds=[core.status(report)])

    @registry.button(START_TEMPLATE, "Start")
    async def start_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        form = await context.services.questionnaires.start(context.actor, int(match["questionnaire_id"]))
        await answer_page(context, form)

    @registry.button(CONTINUE_TEMPLATE, "Continue")
    async def continue_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        questionnaires = context.services.questionnaires
        form = await questionnaires.page(context.actor, int(match["questionnaire_id"]), int(match["page"]))
        await answer_page(context, form)

    @registry.button(LATER_TEMPLATE, "Finish later")
    async def later_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        q = await context.services.questionnaires.finish_later(context.actor, int(match["questionnaire_id"]))
        await context.reply(core.finish_later(q))

    @registry.button(MENTOR_TEMPLATE, "Mentoring contact")
    async def mentor_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        said = await context.services.questionnaires.mentor_contact(
            context.actor, int(match["questionnaire_id"]), match["answer"] == "yes"
        )
        await context.reply(said)
