"""Discord rendering for sessions: confirmations for facilitators, the upcoming list, RSVP answers."""

from collections.abc import Sequence

import discord

from bot.core.messages import Embed, EmbedField, Text, Time, TimeStyle, lines, text
from bot.core.programme.domain import Programme, RsvpStatus, SessionChange, UpcomingSession
from bot.core.programme.render import CANCELLED_COLOUR, COLOUR, location_text, upcoming_embed, when_text
from bot.core.text import one_line, paragraphs
from bot.discord_ports import to_discord_embed
from bot.discord_render import FIELD_VALUE_LIMIT, render
from cogs.programme.render import fit_embed, join_within


def _when(change: SessionChange) -> Text:
    session = change.session
    return lines(when_text(session.starts_at), f"{session.duration_minutes} minutes")


def change_embed(change: SessionChange, *, verb: str) -> discord.Embed:
    """Confirm a session that was added or edited: when, where, who, its reminders and any notes."""
    session = change.session
    fields = [
        EmbedField("When", _when(change)),
        EmbedField("Where", location_text(session)),
    ]
    if session.speaker:
        fields.append(EmbedField("Speaker", one_line(session.speaker, 200)))
    embed = to_discord_embed(
        Embed(
            title=f"Session {session.number} {verb}: {one_line(session.title, 200)}",
            description=paragraphs(session.description, 1000) or None,
            colour=CANCELLED_COLOUR if session.is_cancelled else COLOUR,
            fields=tuple(fields),
            footer="Times show in your own time zone.",
        )
    )
    if not session.is_cancelled:
        times = [render(when_text(at, TimeStyle.SHORT), FIELD_VALUE_LIMIT) for at in sorted(change.reminders)]
        value = join_within(times, FIELD_VALUE_LIMIT) if times else "None scheduled."
        embed.add_field(name="Reminders", value=value, inline=False)
    _add_notes(embed, change.notes)
    return fit_embed(embed)


def cancelled_embed(change: SessionChange) -> discord.Embed:
    """Confirm a cancellation and say what follows from it."""
    session = change.session
    said = lines(
        "Its pending reminders are cancelled.",
        None if change.notes else "The cancellation is being announced, and its Scheduled Event is cancelled.",
        f"Reason: {paragraphs(session.cancel_reason, 600)}" if session.cancel_reason else None,
    )
    embed = to_discord_embed(
        Embed(
            title=f"Session {session.number} cancelled: {one_line(session.title, 200)}",
            description=said,
            colour=CANCELLED_COLOUR,
            fields=(EmbedField("Was due", text(Time(session.starts_at))),),
        )
    )
    _add_notes(embed, change.notes)
    return fit_embed(embed)


def _add_notes(embed: discord.Embed, notes: Sequence[str]) -> None:
    if notes:
        shown = [render(f"• {one_line(note, 900)}", FIELD_VALUE_LIMIT) for note in notes]
        embed.add_field(name="Please note", value=join_within(shown, FIELD_VALUE_LIMIT), inline=False)


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
