"""/join, /me profile|consent|data|delete, /consent set, /privacy, and the consent and erase buttons."""

import re
from typing import Any

from bot.core.messages import Button, ButtonStyle, Embed, EmbedField, OutboundMessage, Text, strong, text
from bot.core.participants import (
    AREA_CHOICES,
    ROLE_CHOICES,
    ConsentPrompt,
    ConsentPurpose,
    ConsentSource,
    ConsentState,
    ConsentText,
    Participant,
    ProfileUpdate,
)
from bot.core.text import clean_text
from bot.shell.commands import Context, Registry
from bot.shell.options import Kind, Option, choices
from bot.shell.ports import ButtonError, Shown

BRAND = 0x2E8B57
PURPOSES = tuple(ConsentPurpose)
_VERSION = r"(?P<version>[1-9][0-9]{0,8})"
CONSENT_TEMPLATE = rf"blether:consent:(?P<purpose>evaluation|quote|interview):(?P<answer>yes|no):{_VERSION}"
SAVE_TEMPLATE = rf"blether:consent:save:{_VERSION}"
ERASE_TEMPLATE = r"blether:evaluation:erase:(?P<user_id>[1-9][0-9]{0,19})"
NOT_YOURS = "This button belongs to the person who asked to erase their data; use /me delete for your own."
PROMPT_HEADING = "Before you start: your consent"


def _answer_word(value: bool | None) -> Text:
    return text("not answered yet") if value is None else text(strong("yes" if value else "no"))


def consent_message(
    consent: ConsentText, answers: dict[ConsentPurpose, bool | None], *, heading: str
) -> OutboundMessage:
    """Show the consent text, the answer to each purpose, and a Yes / No pair per purpose with Save."""
    fields = tuple(
        EmbedField(p.label, text(f"{p.description}\nYour answer: ", _answer_word(answers.get(p)))) for p in PURPOSES
    )
    embed = Embed(
        title=heading,
        description=clean_text(consent.text),
        colour=BRAND,
        fields=fields,
        footer=f"Consent text version {consent.version}. Change your answers any time with /me consent.",
    )
    buttons = []
    for purpose in PURPOSES:
        current = answers.get(purpose)
        for granted in (True, False):
            chosen = current is granted
            style = (ButtonStyle.SUCCESS if granted else ButtonStyle.DANGER) if chosen else ButtonStyle.SECONDARY
            buttons.append(
                Button(
                    f"{purpose.value.capitalize()}: {'Yes' if granted else 'No'}",
                    custom_id=f"blether:consent:{purpose.value}:{'yes' if granted else 'no'}:{consent.version}",
                    style=style,
                )
            )
    buttons.append(Button("Save", custom_id=f"blether:consent:save:{consent.version}", style=ButtonStyle.PRIMARY))
    return OutboundMessage(embeds=(embed,), buttons=tuple(buttons))


def prompt_answers(prompt: ConsentPrompt) -> dict[ConsentPurpose, bool | None]:
    """Return the previous answer per purpose of a prompt (None when unanswered)."""
    return {q.purpose: q.previous for q in prompt.questions}


def state_answers(state: ConsentState) -> dict[ConsentPurpose, bool | None]:
    """Return the current answer per purpose (None when missing or given under an older text)."""
    return {p: (state.answers[p].granted if state.is_current(p) else None) for p in PURPOSES}


def saved_text(state: ConsentState) -> Text:
    """Confirm what was saved and say what is still missing."""
    lines = [
        text(f"• {p.label} ", _answer_word(state.answers[p].granted if p in state.answers else None)) for p in PURPOSES
    ]
    tail = "Please answer the remaining questions too." if state.missing else "Thank you — your choices are saved."
    return Text(("\n",)).join([*lines, text(""), text(tail)])


def profile_embed(participant: Participant) -> Embed:
    """Show someone's own profile."""
    from bot.core.messages import Time, TimeStyle

    return Embed(
        title="Your Blether profile",
        colour=BRAND,
        fields=(
            EmbedField("Community", clean_text(participant.community or "", keep_newlines=False) or "—"),
            EmbedField("Area", participant.area.label if participant.area else "—", inline=True),
            EmbedField("Role", participant.role.label if participant.role else "—", inline=True),
            EmbedField("Joined", text(Time(participant.joined_at, TimeStyle.DATE)), inline=True),
        ),
        footer="Change it with /me profile community: area: role: — see your consent with /me consent.",
    )


def erased_text(report: Any) -> str:
    """Confirm an erasure with its receipt and what was removed."""
    if report.nothing_held:
        return f"Blether held nothing about you in this server. Receipt: {report.receipt}."
    lines = "\n".join(f"• {line}" for line in report.lines())
    return f"Done: your data in this server is erased. Receipt: {report.receipt}.\n{lines}"


async def show_prompt(context: Context, *, heading: str = PROMPT_HEADING) -> None:
    """Send the person's consent prompt privately when they still have questions to answer."""
    prompt = await context.services.participants.consent_prompt(context.actor)
    if prompt is not None:
        await context.send(consent_message(prompt.text, prompt_answers(prompt), heading=heading))


def _profile_options(*, joining: bool) -> tuple[Option, ...]:
    return (
        Option("community", "The community or organisation you are part of", min=1 if joining else 0, max=80),
        Option("area", "What sort of place your community is in", Kind.CHOICE, choices=choices(AREA_CHOICES)),
        Option("role", "How you take part in your community", Kind.CHOICE, choices=choices(ROLE_CHOICES)),
    )


def register(registry: Registry) -> None:
    """Add the participants' and data-rights commands and their buttons."""

    @registry.command(
        "join", "Join the learning programme (every profile answer is optional).", *_profile_options(joining=True)
    )
    async def join(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.participants.join(
            context.actor, community=values["community"], area=values["area"], role=values["role"]
        )
        if result.created:
            reply = "Welcome to the programme! You can change your profile any time with /me profile."
        elif result.reactivated:
            reply = "Welcome back! Your profile is active again."
        else:
            reply = "You had already joined; your profile is updated."
        await context.reply(reply, embeds=[profile_embed(result.participant)])
        if result.consent_prompt is not None:
            await show_prompt(context)

    @registry.command(
        "me profile", "Show your profile, or change it by giving new values.", *_profile_options(joining=False)
    )
    async def me_profile(context: Context, values: dict[str, Any]) -> None:
        participants = context.services.participants
        update = ProfileUpdate(community=values["community"], area=values["area"], role=values["role"])
        if update.is_empty:
            participant = await participants.profile(context.actor)
        else:
            participant = await participants.update_profile(context.actor, update)
        await context.reply(embeds=[profile_embed(participant)])

    @registry.command("me consent", "See and change what your reflections may be used for.")
    async def me_consent(context: Context, values: dict[str, Any]) -> None:
        participants = context.services.participants
        await participants.profile(context.actor)  # only participants have consent to manage
        state = await participants.my_consent(context.actor)
        consent = await participants.consent_text(context.actor.guild_id)
        await context.send(consent_message(consent, state_answers(state), heading="Your consent"))

    @registry.command(
        "consent set",
        "Replace the consent text (everyone is asked again).",
        Option("text", "The new consent text shown before people reflect", required=True, min=1, max=4000),
        facilitator=True,
    )
    async def consent_set(context: Context, values: dict[str, Any]) -> None:
        change = await context.services.participants.set_consent_text(context.actor, values["text"])
        if change.changed:
            reply = f"The consent text is now version {change.text.version}; everyone will be asked again."
        else:
            reply = "That is already the consent text; nothing changed."
        await context.reply(reply)

    @registry.command("me data", "Download everything Blether holds about you here.")
    async def me_data(context: Context, values: dict[str, Any]) -> None:
        attachment = await context.services.evaluation.export_my_data(context.actor)
        await context.reply("Here is everything Blether holds about you in this server.", files=[attachment])

    @registry.command("me delete", "Erase everything Blether holds about you here (asks first).")
    async def me_delete(context: Context, values: dict[str, Any]) -> None:
        await context.reply(
            text(
                strong("Erase everything Blether holds about you in this server?"),
                "\nYour profile, consent answers, RSVPs, reflections, attendance and Flash Report items are removed "
                "(published Flash Reports are marked). This cannot be undone. Press the button to confirm; "
                "otherwise nothing happens.",
            ),
            buttons=[
                Button(
                    "Erase my data",
                    custom_id=f"blether:evaluation:erase:{context.member.id}",
                    style=ButtonStyle.DANGER,
                )
            ],
        )

    @registry.command("privacy", "What Blether keeps about you, why, for how long, and how to see or erase it.")
    async def privacy(context: Context, values: dict[str, Any]) -> None:
        notice = await context.services.evaluation.privacy(context.actor.guild_id)
        await context.reply(embeds=[Embed(title="Privacy", description=notice)])

    @registry.button(CONSENT_TEMPLATE, "consent answer")
    async def consent_answer(context: Context, match: re.Match[str], shown: Shown) -> None:
        participants = context.services.participants
        version = int(match["version"])
        state = await participants.record_consent(
            context.actor,
            {ConsentPurpose(match["purpose"]): match["answer"] == "yes"},
            text_version=version,
            source=ConsentSource.PROMPT,
        )
        consent = await participants.consent_text(state.guild_id)
        heading = "Your consent" if not state.missing else PROMPT_HEADING
        context.shell.timeline.edit(shown.message_id, consent_message(consent, state_answers(state), heading=heading))

    @registry.button(SAVE_TEMPLATE, "consent save")
    async def consent_save(context: Context, match: re.Match[str], shown: Shown) -> None:
        state = await context.services.participants.my_consent(context.actor)
        if state.missing:
            updated = OutboundMessage(
                content=saved_text(state), embeds=shown.message.embeds, buttons=shown.message.buttons
            )
        else:
            updated = OutboundMessage(content=saved_text(state))
        context.shell.timeline.edit(shown.message_id, updated)

    @registry.button(ERASE_TEMPLATE, "erase confirmation")
    async def erase(context: Context, match: re.Match[str], shown: Shown) -> None:
        if int(match["user_id"]) != context.member.id:
            raise ButtonError(NOT_YOURS)
        report = await context.services.evaluation.erase_me(context.actor)
        await context.reply(erased_text(report))
