"""/interviews shortlist|invite|list and /stories significant|list (facilitators), and the invitation's buttons."""

import re
from typing import Any

from bot.core.interviews import render as core
from bot.core.interviews.domain import InterviewList, Shortlist
from bot.core.interviews.ids import ANSWER_TEMPLATE
from bot.core.messages import Embed, Text, strong, text, user
from bot.core.stories import render as stories
from bot.core.stories.domain import Highlight
from bot.core.text import clean_text
from bot.shell.commands import Context, Registry
from bot.shell.options import Choice, Kind, Option
from bot.shell.ports import Shown

COLOUR = 0x6A4C93
STORIES_COLOUR = 0xC27C0E
VARY_BY = tuple(Choice(v) for v in ("area", "role", "attendance"))


def shortlist_embed(result: Shortlist) -> Embed:
    """Return the people proposed, their groups and the seed."""
    lines = [text(user(c.user_id), f" — {c.stratum}") for c in result.candidates]
    return Embed(
        title=f"Proposed for interviews: {len(result.candidates)} of {result.pool}",
        description=Text(("\n",)).join(lines) or None,
        colour=COLOUR,
        footer=f"Stratified random draw by {', '.join(result.vary_by)}; seed {result.seed} (in the audit log). "
        "Send the invitations with /interviews invite.",
    )


def list_embed(listing: InterviewList, title: str = "Interview list") -> Embed:
    """Return everyone on the list with their status."""
    lines = [text(user(c.user_id), f" — {c.status.value}") for c in listing.candidates]
    notes = []
    if listing.invited:
        notes.append(f"{listing.invited} invitations are on their way by DM.")
    if listing.removed:
        notes.append(f"{listing.removed} people withdrew interview consent and were removed.")
    return Embed(
        title=title,
        description=Text(("\n",)).join(lines) if lines else "Nobody is on the list.",
        colour=COLOUR,
        footer=" ".join(notes) or None,
    )


def highlights_embed(highlights: list[Highlight]) -> Embed:
    """List each month's most significant story and the reason."""
    lines = [
        text(strong(h.month), f" — story {h.item_id}: {clean_text(h.reason, keep_newlines=False)[:300]}")
        for h in highlights
    ]
    return Embed(
        title="Most significant stories of change",
        description=Text(("\n",)).join(lines) if lines else "None marked yet. Use /stories significant.",
        colour=STORIES_COLOUR,
    )


def register(registry: Registry) -> None:
    """Add the interview and story commands and the invitation buttons."""

    @registry.command(
        "interviews shortlist",
        "Propose people who agreed to interview contact, varied across area, role and attendance.",
        Option("count", "How many to propose (5 if left out)", Kind.INTEGER, min=1, max=20, default=5),
        Option("vary_by", "Vary by this only (all three if left out)", Kind.CHOICE, choices=VARY_BY),
        facilitator=True,
    )
    async def shortlist(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.interviews.shortlist(context.actor, values["count"], values["vary_by"])
        await context.reply(embeds=[shortlist_embed(result)])

    @registry.command(
        "interviews invite",
        "Send each proposed person a DM asking whether the evaluation team may contact them.",
        facilitator=True,
    )
    async def invite(context: Context, values: dict[str, Any]) -> None:
        listing = await context.services.interviews.invite(context.actor)
        await context.reply(embeds=[list_embed(listing, "Interview invitations")])

    @registry.command("interviews list", "Show everyone on the interview list and their answers.", facilitator=True)
    async def listing(context: Context, values: dict[str, Any]) -> None:
        await context.reply(embeds=[list_embed(await context.services.interviews.listing(context.actor))])

    @registry.button(ANSWER_TEMPLATE, "Interview answer")
    async def answer_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        accepted = match["answer"] == "yes"
        await context.services.interviews.answer(context.actor, int(match["guild_id"]), accepted)
        await context.reply(core.answered(accepted))

    @registry.command(
        "stories significant",
        "Mark a /story as the most significant change of its month, and say why.",
        Option("item", "The story's number from /flash items kind:story", Kind.INTEGER, required=True, min=1),
        Option("reason", "Why this change is the most significant", required=True, min=1, max=500),
        Option("month", "YYYY-MM (the story's own month if left out)", min=7, max=7),
        facilitator=True,
    )
    async def significant(context: Context, values: dict[str, Any]) -> None:
        highlight = await context.services.stories.mark_significant(
            context.actor, values["item"], values["reason"], values["month"]
        )
        await context.reply(stories.marked(highlight))

    @registry.command("stories list", "List each month's most significant story and the reason.", facilitator=True)
    async def stories_list(context: Context, values: dict[str, Any]) -> None:
        await context.reply(embeds=[highlights_embed(list(await context.services.stories.highlights(context.actor)))])
