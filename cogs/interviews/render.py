"""Discord rendering for /interviews: the list with statuses (facilitators only, nobody pinged)."""

import discord

from bot.core.interviews.domain import InterviewList, Shortlist

COLOUR = 0x6A4C93


def shortlist_embed(result: Shortlist) -> discord.Embed:
    """Return the people proposed, their groups and the seed."""
    lines = [f"<@{c.user_id}> — {discord.utils.escape_markdown(c.stratum)}" for c in result.candidates]
    embed = discord.Embed(
        title=f"Proposed for interviews: {len(result.candidates)} of {result.pool}",
        description="\n".join(lines)[:4000],
        colour=COLOUR,
    )
    embed.set_footer(
        text=f"Stratified random draw by {', '.join(result.vary_by)}; seed {result.seed} (in the audit log). "
        "Send the invitations with /interviews invite."
    )
    return embed


def list_embed(listing: InterviewList, title: str = "Interview list") -> discord.Embed:
    """Return everyone on the list with their status."""
    lines = [f"<@{c.user_id}> — {c.status.value}" for c in listing.candidates]
    embed = discord.Embed(title=title, description="\n".join(lines)[:4000] or "Nobody is on the list.", colour=COLOUR)
    notes = []
    if listing.invited:
        notes.append(f"{listing.invited} invitations are on their way by DM.")
    if listing.removed:
        notes.append(f"{listing.removed} people withdrew interview consent and were removed.")
    if notes:
        embed.set_footer(text=" ".join(notes))
    return embed
