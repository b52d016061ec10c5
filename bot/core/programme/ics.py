"""iCalendar (.ics) files of the programme's sessions, for people's own calendars.

UIDs are stable (session-<id>@blether) and SEQUENCE is the session's edit count, so a calendar
that imports the file again updates the events instead of duplicating them; cancelled sessions
stay in the file with STATUS:CANCELLED so calendars remove them. Times are written in UTC.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.programme.domain import LocationKind, Programme, Session
from bot.core.programme.times import describe_offset
from bot.core.text import clean_text

if TYPE_CHECKING:
    from icalendar import Event  # icalendar is imported when a calendar is built, not at start-up

PRODID = "-//Blether//Community learning programme//EN"
UID_DOMAIN = "blether"


def session_uid(session_id: int) -> str:
    """Return the stable calendar UID of a session."""
    return f"session-{session_id}@{UID_DOMAIN}"


def channel_url(guild_id: int, channel_id: int) -> str:
    """Return the Discord link that opens a channel."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


def _location(session: Session) -> tuple[str | None, str | None]:
    """Return (LOCATION text, URL) for a session."""
    if session.location_kind == LocationKind.URL and session.location_url:
        return session.location_url, session.location_url
    if session.location_kind in (LocationKind.VOICE, LocationKind.STAGE) and session.location_channel_id:
        url = channel_url(session.guild_id, session.location_channel_id)
        kind = "stage" if session.location_kind == LocationKind.STAGE else "voice"
        return f"Discord {kind} channel: {url}", url
    return None, None


def _event(session: Session, offsets: Sequence[int], stamp: datetime) -> "Event":
    from icalendar import Alarm, Event

    event = Event()
    event.add("uid", session_uid(session.id))
    event.add("dtstamp", stamp)
    event.add("created", session.created_at)
    event.add("last-modified", session.updated_at)
    event.add("sequence", session.sequence)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", clean_text(f"Session {session.number}: {session.title}", keep_newlines=False))
    lines = []
    if session.description:
        lines.append(clean_text(session.description))
    if session.speaker:
        lines.append("Speaker: " + clean_text(session.speaker, keep_newlines=False))
    location, url = _location(session)
    if session.is_cancelled:
        lines.insert(0, "CANCELLED" + (f": {clean_text(session.cancel_reason)}" if session.cancel_reason else ""))
    if lines:
        event.add("description", "\n\n".join(lines))
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    if not session.is_cancelled:
        for minutes in offsets:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", timedelta(minutes=-minutes))
            alarm.add("description", f"Session {session.number} starts in {describe_offset(minutes)}")
            event.add_component(alarm)
    return event


def build_calendar(
    programme: Programme, sessions: Sequence[Session], *, now: datetime, name: str | None = None
) -> bytes:
    """Return an .ics file with one VEVENT per session and one VALARM per reminder offset."""
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", clean_text(name or "Community learning programme", keep_newlines=False))
    calendar.add("x-wr-timezone", programme.timezone)
    for session in sessions:
        calendar.add_component(_event(session, programme.reminder_offsets, now))
    return calendar.to_ical()
