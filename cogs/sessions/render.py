"""Discord rendering for sessions: confirmations for facilitators, the upcoming list, RSVP answers."""

from collections.abc import Sequence

import discord

from bot.core.programme.domain import Programme, RsvpStatus, SessionChange, UpcomingSession
from bot.core.programme.render import (
    CANCELLED_COLOUR,
    COLOUR,
    discord_timestamp,
    location_text,
    upcoming_embed,
)
from bot.core.text import sanitise_block, sanitise_inline
from bot.discord_ports import to_discord_embed
from cogs.programme.render import FIELD_VALUE_LIMIT, clip, fit_embed, join_within


def _when(change: SessionChange) -> str:
    session = change.session
    starts = session.starts_at
    return f"{discord_timestamp(starts, 'F')} ({discord_timestamp(starts, 'R')})\n{session.duration_minutes} minutes"


def change_embed(change: SessionChange, *, verb: str) -> discord.Embed:
    """Confirm a session that was added or edited: when, where, who, its reminders and any notes."""
    session = change.session
    embed = discord.Embed(
        title=clip(f"Session {session.number} {verb}: {sanitise_inline(session.title, 200)}", 256),
        description=sanitise_block(session.description, 1000) or None,
        colour=CANCELLED_COLOUR if session.is_cancelled else COLOUR,
    )
    embed.add_field(name="When", value=_when(change), inline=False)
    embed.add_field(name="Where", value=clip(location_text(session), FIELD_VALUE_LIMIT), inline=False)
    if session.speaker:
        embed.add_field(name="Speaker", value=sanitise_inline(session.speaker, 200), inline=False)
    if not session.is_cancelled:
        times = [f"{discord_timestamp(at, 'f')} ({discord_timestamp(at, 'R')})" for at in sorted(change.reminders)]
        value = join_within(times, FIELD_VALUE_LIMIT) if times else "None scheduled."
        embed.add_field(name="Reminders", value=value, inline=False)
    _add_notes(embed, change.notes)
    embed.set_footer(text="Times show in your own time zone.")
    return fit_embed(embed)


def cancelled_embed(change: SessionChange) -> discord.Embed:
    """Confirm a cancellation and say what follows from it."""
    session = change.session
    lines = ["Its pending reminders are cancelled."]
    if not change.notes:
        lines.append("The cancellation is being announced, and its Scheduled Event is cancelled.")
    if session.cancel_reason:
        lines.append(f"Reason: {sanitise_block(session.cancel_reason, 600)}")
    embed = discord.Embed(
        title=clip(f"Session {session.number} cancelled: {sanitise_inline(session.title, 200)}", 256),
        description="\n".join(lines),
        colour=CANCELLED_COLOUR,
    )
    embed.add_field(name="Was due", value=discord_timestamp(session.starts_at, "F"), inline=False)
    _add_notes(embed, change.notes)
    return fit_embed(embed)


def _add_notes(embed: discord.Embed, notes: Sequence[str]) -> None:
    if notes:
        lines = [f"• {sanitise_inline(note, 900)}" for note in notes]
        embed.add_field(name="Please note", value=join_within(lines, FIELD_VALUE_LIMIT), inline=False)


def upcoming_reply(programme: Programme, upcoming: Sequence[UpcomingSession]) -> discord.Embed:
    """List upcoming sessions within Discord's limits."""
    embed = to_discord_embed(upcoming_embed(programme, upcoming))
    return fit_embed(embed, dropped="…and {n} more: /calendar has every session.")


def rsvp_text(status: RsvpStatus) -> str:
    """Answer someone who pressed "I'll be there"."""
    people = f"{status.count} {'person is' if status.count == 1 else 'people are'} coming"
    if status.going:
        return f"✋ You're down as coming ({people}). Press the button again if you can't make it after all."
    return f"You're no longer down as coming ({people})."


def rsvps_text(user_ids: Sequence[int]) -> str:
    """List who said they will come (mentions that ping nobody), within one message."""
    if not user_ids:
        return "Nobody has said they'll be there yet."
    head = f"{len(user_ids)} {'person has' if len(user_ids) == 1 else 'people have'} said they'll be there:"
    lines = [head]
    for shown, user_id in enumerate(user_ids):
        line = f"<@{user_id}>"
        if sum(len(x) + 1 for x in lines) + len(line) > 1900:
            lines.append(f"…and {len(user_ids) - shown} more.")
            break
        lines.append(line)
    return "\n".join(lines)


def dm_reminders_status(enabled: bool) -> str:
    """Say whether reminder DMs are on for the caller."""
    if enabled:
        return (
            "Reminder DMs are on: each session reminder also comes by direct message. Stop them with /reminders dm off."
        )
    return "Reminder DMs are off: you see reminders in the announcements channel. Turn them on with /reminders dm on."


def dm_reminders_text(enabled: bool, changed: bool) -> str:
    """Confirm the reminder-DM preference."""
    if enabled:
        head = "Reminder DMs are on" if changed else "Reminder DMs were already on"
        return (
            f"{head}: Blether will send you each session reminder by direct message too. Make sure you allow "
            "direct messages from members of this server. Stop them with /reminders dm off."
        )
    head = "Reminder DMs are off" if changed else "Reminder DMs were already off"
    return f"{head}: you'll see reminders in the announcements channel only. Turn them on with /reminders dm on."
