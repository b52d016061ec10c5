"""Discord rendering for /programme: the setup reply, batch results (import, series) and Discord's limits."""

from collections.abc import Sequence
from datetime import datetime

import discord
from discord import app_commands

from bot.core.messages import Time, strong, text
from bot.core.programme.domain import MAX_OUTCOMES, BatchResult, OutcomeChange, Programme, SetupResult
from bot.core.programme.render import COLOUR, programme_embed
from bot.core.text import one_line
from bot.discord_ports import to_discord_embed
from bot.discord_render import render, sanitise_inline

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000
CHOICE_LIMIT = 25
CHOICE_NAME_LIMIT = 100

SETTING_NAMES = {
    "timezone": "time zone",
    "announcements_channel_id": "announcements channel",
    "reflections_channel_id": "reflections channel",
    "flash_reports_channel_id": "Flash Reports channel",
    "facilitator_channel_id": "facilitator channel",
    "facilitator_role_id": "facilitator role",
    "participant_role_id": "participant role",
    "reminder_offsets": "reminder times",
    "reflection_delay_minutes": "reflection delay",
    "poll_close_days": "poll length",
    "nudge_before_close_days": "nudge",
    "retention_months": "data retention",
}


def clip(value: str, limit: int) -> str:
    """Cut plain text (a choice name, not markup) to limit characters, ending with an ellipsis when cut."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def join_within(lines: Sequence[str], limit: int, *, more: str = "…and {n} more.") -> str:
    """Join lines written for Discord with newlines; when longer than limit, drop the last lines and say how many."""
    joined = "\n".join(lines)
    kept = list(lines)
    while len(joined) > limit and kept:
        kept.pop()
        joined = "\n".join([*kept, more.format(n=len(lines) - len(kept))])
    return joined if len(joined) <= limit else render(more.format(n=len(lines)), limit)


def _shorten_markup(value: str, limit: int) -> str:
    """Cut text already written for Discord at a line break (else a space), so no escape or token is split."""
    if len(value) <= limit:
        return value
    head = value[: max(limit - 1, 0)]
    cut = max(head.rfind("\n"), head.rfind(" ") if head.rfind("\n") < len(head) // 2 else -1)
    return (head[:cut] if cut > 0 else "").rstrip() + "…"


def fit_embed(embed: discord.Embed, *, dropped: str = "…and {n} more.") -> discord.Embed:
    """Keep an embed within Discord's limits: at most 25 fields and 6,000 characters in all.

    Trailing fields are dropped first (the footer then says how many); the description is cut last.
    """
    if embed.description and len(embed.description) > DESCRIPTION_LIMIT:
        embed.description = _shorten_markup(embed.description, DESCRIPTION_LIMIT)
    footer = embed.footer.text or ""

    def footer_with(removed: int) -> str:
        note = dropped.format(n=removed) if removed else ""
        return " · ".join(part for part in (footer, note) if part)

    removed = 0
    while embed.fields and (
        len(embed.fields) > FIELD_COUNT_LIMIT
        or len(embed) - len(footer) + len(footer_with(removed)) > EMBED_TOTAL_LIMIT
    ):
        embed.remove_field(len(embed.fields) - 1)
        removed += 1
    if removed:
        embed.set_footer(text=footer_with(removed))
    overflow = len(embed) - EMBED_TOTAL_LIMIT
    if overflow > 0 and embed.description:
        embed.description = _shorten_markup(embed.description, max(1, len(embed.description) - overflow))
    return embed


def timezone_choices(names: Sequence[str]) -> list[app_commands.Choice[str]]:
    """Return autocomplete choices for time zone names (at most 25, each ≤ 100 characters)."""
    return [app_commands.Choice(name=clip(n, CHOICE_NAME_LIMIT), value=n[:100]) for n in names[:CHOICE_LIMIT]]


def setup_reply(result: SetupResult, *, now: datetime) -> tuple[str, discord.Embed]:
    """Say what /programme setup changed and show the whole configuration."""
    if result.created:
        head = "The programme is set up. Change any setting later with /programme setup; only what you give changes."
    elif result.changed:
        names = [SETTING_NAMES.get(name, name.replace("_", " ")) for name in result.changed]
        head = "Saved: " + ", ".join(names) + "."
    else:
        head = "Nothing changed: those are already the programme's settings."
    lines = [head]
    if result.rescheduled_sessions:
        count = result.rescheduled_sessions
        lines.append(f"The reminders of {count} upcoming session{'s' if count != 1 else ''} now follow the new times.")
    lines.extend(f"• {note}" for note in result.notes)
    embed = fit_embed(to_discord_embed(programme_embed(result.programme, now=now)))
    return join_within([render(line, CONTENT_LIMIT) for line in lines], CONTENT_LIMIT), embed


def programme_reply(programme: Programme, *, now: datetime) -> discord.Embed:
    """Show the programme's configuration (/programme show)."""
    return fit_embed(to_discord_embed(programme_embed(programme, now=now)))


def batch_embed(result: BatchResult, *, title: str) -> discord.Embed:
    """List the sessions a series or an import added (or, for a dry run, what would be added) and the notes."""
    if result.dry_run:
        title = "Dry run: nothing was stored"
    lines = [
        render(text(strong(f"{s.number}."), f" {one_line(s.title, 100)} — ", Time(s.starts_at)), DESCRIPTION_LIMIT)
        for s in result.sessions
    ]
    notes = [render(text(f"• {one_line(note, 900)}"), 1100) for note in result.notes]
    listing = join_within(lines, DESCRIPTION_LIMIT - 1200) if lines else ""
    description = "\n\n".join(part for part in (listing, join_within(notes, 1100)) if part)
    embed = discord.Embed(title=render(title, 256), description=description or None, colour=COLOUR)
    if result.sessions and not result.dry_run:
        embed.set_footer(text="Reminders are scheduled. Times show in your own time zone. Fix any with /session edit.")
    return fit_embed(embed)


_OUTCOME_VERBS = {"add": "Added", "edit": "Changed", "remove": "Removed"}


def outcomes_embed(change: OutcomeChange) -> discord.Embed:
    """Return the programme's learning outcomes, headed by what the command changed."""
    lines = [f"{o.number}. {sanitise_inline(o.text, 200)}" for o in change.outcomes]
    title = f"Learning outcomes ({len(change.outcomes)} of at most {MAX_OUTCOMES})"
    description = "\n".join(lines) or "No learning outcomes yet."
    if not change.outcomes:
        description += " Add one with /programme outcomes add, or an outcomes: list in the import file."
    embed = discord.Embed(title=title, colour=COLOUR, description=description)
    if change.outcome is not None and change.action in _OUTCOME_VERBS:
        verb = _OUTCOME_VERBS[change.action]
        embed.set_footer(text=f"{verb} outcome {change.outcome.number}: {clip(change.outcome.text, 150)}")
    return embed
