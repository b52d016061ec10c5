"""Embeds and button rows of the participants feature: the profile and the consent prompt."""

import discord

from bot.core.participants import ConsentPrompt, ConsentPurpose, ConsentState, ConsentText, Participant
from bot.core.participants.ids import consent_answer_id, consent_save_id
from bot.core.text import sanitise_block, sanitise_inline

BRAND = 0x2E8B57
PURPOSES = tuple(ConsentPurpose)


def consent_view(version: int, answers: dict[ConsentPurpose, bool | None]) -> discord.ui.View:
    """Return a stopped view: one row per purpose (Yes / No, the current answer highlighted) and Save."""
    view = discord.ui.View(timeout=None)
    for row, purpose in enumerate(PURPOSES):
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
        discord.ui.Button(label="Save", custom_id=consent_save_id(version), style=discord.ButtonStyle.primary, row=3)
    )
    view.stop()  # clicks are handled by the persistent DynamicItems, also after a restart
    return view


def _answer_word(value: bool | None) -> str:
    return "not answered yet" if value is None else ("**yes**" if value else "**no**")


def consent_embed(text: ConsentText, answers: dict[ConsentPurpose, bool | None], *, heading: str) -> discord.Embed:
    """Show the consent text and the current answer to each purpose."""
    embed = discord.Embed(title=heading, description=sanitise_block(text.text, 3500), colour=BRAND)
    for purpose in PURPOSES:
        embed.add_field(
            name=purpose.label,
            value=f"{purpose.description}\nYour answer: {_answer_word(answers.get(purpose))}",
            inline=False,
        )
    embed.set_footer(text=f"Consent text version {text.version}. Change your answers any time with /me consent.")
    return embed


def prompt_answers(prompt: ConsentPrompt) -> dict[ConsentPurpose, bool | None]:
    """Return the previous answer per purpose of a prompt (None when unanswered)."""
    return {q.purpose: q.previous for q in prompt.questions}


def state_answers(state: ConsentState) -> dict[ConsentPurpose, bool | None]:
    """Return the current answer per purpose (None when missing or given under an older text)."""
    return {p: (state.answers[p].granted if state.is_current(p) else None) for p in PURPOSES}


def saved_text(state: ConsentState) -> str:
    """Confirm what was saved and say what is still missing."""
    lines = [f"• {p.label} {_answer_word(state.answers[p].granted if p in state.answers else None)}" for p in PURPOSES]
    missing = state.missing
    tail = "Please answer the remaining questions too." if missing else "Thank you — your choices are saved."
    return "\n".join([*lines, "", tail])


def profile_embed(participant: Participant) -> discord.Embed:
    """Show someone's own profile."""
    embed = discord.Embed(title="Your Blether profile", colour=BRAND)
    embed.add_field(name="Community", value=sanitise_inline(participant.community, 80) or "—", inline=False)
    embed.add_field(name="Area", value=participant.area.label if participant.area else "—", inline=True)
    embed.add_field(name="Role", value=participant.role.label if participant.role else "—", inline=True)
    embed.add_field(name="Joined", value=f"<t:{int(participant.joined_at.timestamp())}:D>", inline=True)
    embed.set_footer(text="Change it with /me profile community: area: role: — see your consent with /me consent.")
    return embed
