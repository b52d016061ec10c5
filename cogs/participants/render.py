"""Embeds and button rows of the participants feature: the profile and the consent prompt."""

import discord

from bot.core.messages import Embed, EmbedField, Text, Time, TimeStyle, strong, text
from bot.core.participants import ConsentPrompt, ConsentPurpose, ConsentState, ConsentText, Participant
from bot.core.participants.domain import JOIN_PURPOSES
from bot.core.participants.ids import consent_answer_id, consent_save_id
from bot.core.text import one_line, paragraphs
from bot.discord_ports import to_discord_embed
from bot.discord_render import render

BRAND = 0x2E8B57
PURPOSES = JOIN_PURPOSES


def consent_view(version: int, answers: dict[ConsentPurpose, bool | None]) -> discord.ui.View:
    """Return a stopped view: one row per purpose asked (Yes / No, the current answer highlighted) and Save."""
    view = discord.ui.View(timeout=None)
    purposes = _purposes(answers)
    for row, purpose in enumerate(purposes):
        current = answers.get(purpose)
        for granted in (True, False):
            chosen = current is granted
            view.add_item(
                discord.ui.Button(
                    label=f"{purpose.value.capitalize()}: {'Yes' if granted else 'No'}",
                    custom_id=consent_answer_id(purpose, granted, version),
                    style=discord.ButtonStyle.success
                    if chosen and granted
                    else (discord.ButtonStyle.danger if chosen else discord.ButtonStyle.secondary),
                    row=row,
                )
            )
    view.add_item(
        discord.ui.Button(
            label="Save", custom_id=consent_save_id(version), style=discord.ButtonStyle.primary, row=len(answers)
        )
    )
    view.stop()  # clicks are handled by the persistent DynamicItems, also after a restart
    return view


def _purposes(answers: dict[ConsentPurpose, bool | None]) -> tuple[ConsentPurpose, ...]:
    """Return the purposes to show: those asked at join, then any other the answers hold (mentoring)."""
    return PURPOSES + tuple(p for p in answers if p not in PURPOSES)


def _answer_word(value: bool | None) -> Text:
    return text("not answered yet") if value is None else text(strong("yes" if value else "no"))


def consent_embed(consent: ConsentText, answers: dict[ConsentPurpose, bool | None], *, heading: str) -> discord.Embed:
    """Show the consent text and the current answer to each purpose."""
    fields = tuple(
        EmbedField(purpose.label, text(f"{purpose.description}\nYour answer: ", _answer_word(answers.get(purpose))))
        for purpose in _purposes(answers)
    )
    return to_discord_embed(
        Embed(
            title=heading,
            description=paragraphs(consent.text, 3500),
            colour=BRAND,
            fields=fields,
            footer=f"Consent text version {consent.version}. Change your answers any time with /me consent.",
        )
    )


def prompt_answers(prompt: ConsentPrompt) -> dict[ConsentPurpose, bool | None]:
    """Return the previous answer per purpose of a prompt (None when unanswered)."""
    return {q.purpose: q.previous for q in prompt.questions}


def shown_purposes(state: ConsentState) -> tuple[ConsentPurpose, ...]:
    """Return the purposes /me consent shows: those asked at join, and mentoring once the person was asked it."""
    return PURPOSES + tuple(p for p in ConsentPurpose if p not in PURPOSES and p in state.answers)


def state_answers(state: ConsentState) -> dict[ConsentPurpose, bool | None]:
    """Return the current answer per shown purpose (None when missing or given under an older text)."""
    return {p: (state.answers[p].granted if state.is_current(p) else None) for p in shown_purposes(state)}


def saved_text(state: ConsentState) -> str:
    """Confirm what was saved and say what is still missing."""
    said = [
        text(f"• {p.label} ", _answer_word(state.answers[p].granted if p in state.answers else None))
        for p in shown_purposes(state)
    ]
    missing = state.missing
    tail = "Please answer the remaining questions too." if missing else "Thank you — your choices are saved."
    return render(text("\n").join([*said, "", tail]))


def profile_embed(participant: Participant) -> discord.Embed:
    """Show someone's own profile."""
    return to_discord_embed(
        Embed(
            title="Your Blether profile",
            colour=BRAND,
            fields=(
                EmbedField("Community", one_line(participant.community, 80) or "—"),
                EmbedField("Area", participant.area.label if participant.area else "—", inline=True),
                EmbedField("Role", participant.role.label if participant.role else "—", inline=True),
                EmbedField("Joined", text(Time(participant.joined_at, TimeStyle.DATE)), inline=True),
            ),
            footer="Change it with /me profile community: area: role: — see your consent with /me consent.",
        )
    )
