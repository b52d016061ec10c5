"""Render programme messages as platform-free OutboundMessages and Embeds (reminders, cancellations, lists).

Messages are rich text (bot.core.messages): user text stays literal (cleaned and clipped, never escaped),
times are Time spans each adapter shows in its own way, channels and roles are mentions by id. Only the
participant role is ever pinged, and only through mention_role_ids.
"""

from collections.abc import Sequence
from datetime import datetime

from bot.core.groups.ids import join_button_id
from bot.core.messages import (
    Button,
    ButtonStyle,
    Embed,
    EmbedField,
    Link,
    OutboundMessage,
    Text,
    Time,
    TimeStyle,
    channel,
    clip,
    lines,
    role,
    strong,
    struck,
    text,
)
from bot.core.programme.domain import LocationKind, Programme, Session, UpcomingSession
from bot.core.programme.ics import channel_url
from bot.core.programme.ids import ics_button_id, rsvp_button_id
from bot.core.programme.times import describe_offset, format_local, format_offsets
from bot.core.text import one_line, paragraphs

COLOUR = 0x2E7D6B
CANCELLED_COLOUR = 0xB3261E
EMBED_TITLE_LIMIT = 256
FIELD_LIMIT = 1024


def location_text(session: Session) -> Text:
    """Describe where a session happens (a link, a channel mention or "to be confirmed")."""
    if session.location_kind == LocationKind.URL and session.location_url:
        return text(Link(session.location_url, session.location_url))
    if session.location_kind in (LocationKind.VOICE, LocationKind.STAGE) and session.location_channel_id:
        kind = "stage" if session.location_kind == LocationKind.STAGE else "voice"
        return text(channel(session.location_channel_id), f" ({kind} channel)")
    return text("To be confirmed")


def when_text(starts_at: datetime, style: TimeStyle = TimeStyle.FULL) -> Text:
    """Return "<full time> (<relative time>)" for a moment."""
    return text(Time(starts_at, style), " (", Time(starts_at, TimeStyle.RELATIVE), ")")


def _title(session: Session) -> str:
    return one_line(session.title, EMBED_TITLE_LIMIT) or f"Session {session.number}"


def session_buttons(session: Session) -> tuple[Button, ...]:
    """Return the "Add to calendar" and "I'll be there" buttons of a session."""
    return (
        Button(label="Add to calendar", custom_id=ics_button_id(session.id), style=ButtonStyle.SECONDARY, emoji="📅"),
        Button(label="I'll be there", custom_id=rsvp_button_id(session.id), style=ButtonStyle.SUCCESS, emoji="✋"),
    )


def session_embed(session: Session, *, active_count: int, footer: str | None = None) -> Embed:
    """Return the card that describes a session: place in the programme, theme, times, place, speaker."""
    blocks: list[Text | str] = [text(strong(f"Session {session.number} of {active_count}"))]
    if session.is_cancelled:
        blocks = [text(strong(f"Session {session.number} — cancelled"))]
        if session.cancel_reason:
            blocks.append(paragraphs(session.cancel_reason, 500))
    if session.description:
        blocks.append(paragraphs(session.description, 1000))
    fields = [
        EmbedField("When", lines(when_text(session.starts_at), f"{session.duration_minutes} minutes")),
        EmbedField("Where", location_text(session)),
    ]
    if session.speaker:
        fields.append(EmbedField("Speaker", one_line(session.speaker, 200)))
    return Embed(
        title=_title(session),
        description=text("\n\n").join(blocks),
        url=session.location_url if session.location_kind == LocationKind.URL else None,
        colour=CANCELLED_COLOUR if session.is_cancelled else COLOUR,
        fields=tuple(fields),
        footer=footer,
    )


JOIN_BUTTON_WITHIN_MINUTES = 60
"""Reminders this close to a session carry "Join a group" (when the programme has a groups channel)."""


def join_group_button(session_id: int) -> Button:
    """Return a session's "Join a group" button (handled by the groups feature)."""
    return Button("Join a group", custom_id=join_button_id(session_id), style=ButtonStyle.SECONDARY)


def reminder_message(
    programme: Programme, session: Session, *, active_count: int, offset_minutes: int, direct: bool = False
) -> OutboundMessage:
    """Return the reminder posted offset_minutes before a session (direct=True: the DM copy, no ping)."""
    starts = text(f"Session {session.number} starts ", Time(session.starts_at, TimeStyle.RELATIVE))
    participants = programme.participant_role_id
    content = text(role(participants), " ", starts) if participants is not None and not direct else starts
    footer = f"Reminder {describe_offset(offset_minutes)} before · times show in your own time zone"
    if direct:
        footer += " · stop these DMs with /reminders dm off"
    return OutboundMessage(
        content=content,
        embeds=(session_embed(session, active_count=active_count, footer=footer),),
        buttons=(*session_buttons(session), join_group_button(session.id))
        if programme.groups_channel_id is not None and offset_minutes <= JOIN_BUTTON_WITHIN_MINUTES
        else session_buttons(session),
        mention_role_ids=(participants,) if participants is not None and not direct else (),
    )


def cancellation_message(programme: Programme, session: Session) -> OutboundMessage:
    """Return the announcement that a session is cancelled (pings the participant role)."""
    participants = programme.participant_role_id
    said = text(f"Session {session.number} on ", Time(session.starts_at), " is cancelled.")
    description: list[Text | str] = [text(struck(Time(session.starts_at)))]
    if session.cancel_reason:
        description.append(paragraphs(session.cancel_reason, 500))
    return OutboundMessage(
        content=text(role(participants), " ", said) if participants is not None else said,
        embeds=(
            Embed(
                title=one_line(f"Cancelled: {session.title}", EMBED_TITLE_LIMIT),
                description=text("\n\n").join(description),
                colour=CANCELLED_COLOUR,
            ),
        ),
        mention_role_ids=(participants,) if participants is not None else (),
    )


def upcoming_embed(programme: Programme, upcoming: Sequence[UpcomingSession]) -> Embed:
    """Return the list of upcoming sessions, one field each."""
    if not upcoming:
        return Embed(title="Upcoming sessions", description="No sessions are scheduled yet.", colour=COLOUR)
    fields = []
    for item in upcoming[:25]:
        session = item.session
        head = f"{session.number}. {one_line(session.title, 200)}"
        if session.is_cancelled:
            head += " (cancelled)"
        value = lines(
            when_text(session.starts_at),
            location_text(session),
            "Speaker: " + one_line(session.speaker, 200) if session.speaker else None,
            f"{item.rsvp_count} coming" if item.rsvp_count else None,
        )
        fields.append(EmbedField(clip(head, 256), clip(value, FIELD_LIMIT)))
    total = upcoming[0].active_count
    return Embed(
        title="Upcoming sessions",
        description=f"{total} session{'s' if total != 1 else ''} in the programme. Times show in your own time zone.",
        colour=COLOUR,
        fields=tuple(fields),
    )


def _channel(channel_id: int | None) -> Text:
    return text(channel(channel_id)) if channel_id is not None else text("not set")


def _role(role_id: int | None) -> Text:
    return text(role(role_id)) if role_id is not None else text("not set")


def programme_embed(programme: Programme, *, now: datetime | None = None) -> Embed:
    """Return /programme show: every setting, with "not set" where a facilitator still has to choose."""
    fields = (
        EmbedField(
            "Time zone", programme.timezone + (f" (now {format_local(now, programme.zone)})" if now else ""), True
        ),
        EmbedField("Reminders before each session", format_offsets(programme.reminder_offsets), True),
        EmbedField("Announcements", _channel(programme.announcements_channel_id), True),
        EmbedField("Reflections", _channel(programme.reflections_channel_id), True),
        EmbedField("Flash Reports", _channel(programme.flash_reports_channel_id), True),
        EmbedField("Facilitator channel", _channel(programme.facilitator_channel_id), True),
        EmbedField("Facilitator role", _role(programme.facilitator_role_id), True),
        EmbedField("Participant role", _role(programme.participant_role_id), True),
        EmbedField("Reflection poll", f"{programme.reflection_delay_minutes} min after each session", True),
        EmbedField(
            "Poll closes",
            f"after {programme.poll_close_days} days (nudge {programme.nudge_before_close_days} days before)",
            True,
        ),
        EmbedField("Data kept", f"{programme.retention_months} months", True),
        EmbedField("Groups channel", _channel(programme.groups_channel_id), True),
        EmbedField("Peer coach role", _role(programme.peer_coach_role_id), True),
        EmbedField(
            "Small groups",
            (
                f"made {format_offsets((programme.groups_before_minutes,))} before each session"
                if programme.groups_before_minutes
                else "made by hand (/groups make)"
            )
            + f"; threads archived {programme.group_archive_hours} h after",
            True,
        ),
    )
    return Embed(
        title="Programme setup", colour=COLOUR, fields=fields, footer="Change any of these with /programme setup"
    )


def session_link(session: Session) -> str | None:
    """Return a link to where the session happens (URL or Discord channel link), if any."""
    if session.location_kind == LocationKind.URL:
        return session.location_url
    if session.location_channel_id is not None:
        return channel_url(session.guild_id, session.location_channel_id)
    return None
