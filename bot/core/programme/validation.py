"""Check what facilitators type: programme settings, locations and session drafts.

Checks collect every problem they find, so a form or a file with several mistakes is answered
once with the full list; a single problem is raised as its own specific DomainError.
"""

import dataclasses
import re
from datetime import UTC, datetime
from typing import Any

from bot.core.errors import DomainError, ValidationError
from bot.core.programme.domain import (
    DESCRIPTION_LIMIT,
    MAX_DURATION_MINUTES,
    MAX_SESSION_NUMBER,
    MIN_DURATION_MINUTES,
    SPEAKER_LIMIT,
    TITLE_LIMIT,
    ChannelDirectory,
    ChannelKind,
    Location,
    LocationKind,
    NewSession,
    Programme,
    ProgrammeSettingsUpdate,
    Session,
    SessionDraft,
)
from bot.core.programme.errors import (
    DuplicateSessionNumberError,
    InvalidDurationError,
    InvalidLocationError,
    InvalidSessionNumberError,
    InvalidSettingError,
    MissingValueError,
    SessionValidationError,
    TextTooLongError,
    TimeInPastError,
)
from bot.core.programme.times import canonical_timezone, format_local, localise, parse_local_datetime, parse_offsets
from bot.core.text import clean_text

_CHANNEL_REF = re.compile(
    r"^(?:(?P<kind>voice|stage)\s*:\s*)?(?:<#(?P<mention>\d{1,20})>|#?(?P<id>\d{1,20}))$", re.IGNORECASE
)
_NO_LOCATION = ("", "none", "-", "tbc", "tba")
NUMERIC_SETTINGS = {
    # name: (lowest, highest, how to say it)
    "reflection_delay_minutes": (0, 24 * 60, "The reflection delay is in minutes, from 0 to 1440 (a day)"),
    "poll_close_days": (1, 30, "A reflection poll stays open for 1 to 30 days"),
    "nudge_before_close_days": (0, 29, "The nudge comes 0 to 29 days before a poll closes"),
    "retention_months": (1, 120, "Data can be kept for 1 to 120 months"),
    "group_archive_hours": (1, 24 * 30, "Group threads are archived 1 to 720 hours (30 days) after a session"),
    "connect_every_days": (1, 90, "Connections are made every 1 to 90 days"),
}
MAX_GROUPS_BEFORE_MINUTES = 7 * 24 * 60


def clip(text: str, limit: int) -> str:
    """Cut text to limit characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def raise_problems(problems: list[DomainError], headline: str = "That session was not saved:") -> None:
    """Raise the only problem as itself, several as one SessionValidationError; do nothing without any."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise SessionValidationError([str(p) for p in problems], headline=headline)


def validated_settings(update: ProgrammeSettingsUpdate, current: Programme | None) -> dict[str, Any]:
    """Return the settings update as typed values, or raise with every problem (nothing is changed)."""
    changes: dict[str, Any] = {}
    problems: list[DomainError] = []
    for name in (f.name for f in dataclasses.fields(update)):
        value = getattr(update, name)
        if value is None:
            continue
        try:
            if name == "timezone":
                changes[name] = canonical_timezone(value)
            elif name == "reminder_offsets":
                changes[name] = parse_offsets(value)
            elif name == "groups_before_minutes":
                changes[name] = groups_before(value)
            elif name in NUMERIC_SETTINGS:
                low, high, say = NUMERIC_SETTINGS[name]
                if not low <= int(value) <= high:
                    raise InvalidSettingError(f"{say}; you gave {value}.")
                changes[name] = int(value)
            else:  # channel and role ids
                changes[name] = int(value)
        except DomainError as error:
            problems.append(error)
    close = changes.get("poll_close_days", current.poll_close_days if current else 7)
    nudge = changes.get("nudge_before_close_days", current.nudge_before_close_days if current else 2)
    if not problems and nudge >= close:
        problems.append(
            InvalidSettingError(
                f"The nudge ({nudge} days before close) must come while the poll is open ({close} days)."
            )
        )
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationError("Nothing was changed:", [str(p) for p in problems])
    return changes


def groups_before(value: str) -> int | None:
    """Read how long before a session groups are made ("15m", "1h"; "off" for never) into minutes."""
    try:
        minutes = parse_offsets(value)
    except DomainError as error:
        raise InvalidSettingError(f"groups_before is one time such as 15m or 1h (or off): {error}") from error
    if len(minutes) > 1:
        raise InvalidSettingError("groups_before is one time such as 15m or 1h (or off), not a list.")
    if minutes and minutes[0] > MAX_GROUPS_BEFORE_MINUTES:
        raise InvalidSettingError("Groups can be made at most 7 days before a session.")
    return minutes[0] if minutes else None


async def resolve_location(guild_id: int, value: Location | str | None, channels: ChannelDirectory | None) -> Location:
    """Turn a Location or free text ("https://…", "<#id>", "voice:id", "stage:id", "" = none) into a Location.

    A bare channel id or mention is looked up in channels. Raises InvalidLocationError for anything
    else, including text channels and ids the server does not have.
    """
    if value is None:
        return Location.none()
    if isinstance(value, Location):
        if value.kind == LocationKind.URL:
            return Location.link(value.url or "")
        if value.kind in (LocationKind.VOICE, LocationKind.STAGE) and value.channel_id is None:
            raise InvalidLocationError("A voice or stage location needs its channel.")
        return value
    text = value.strip()
    if text.lower() in _NO_LOCATION:
        return Location.none()
    if re.match(r"^https?://", text, re.IGNORECASE):
        return Location.link(text)
    ref = _CHANNEL_REF.match(text)
    if ref is None:
        hint = " Start links with https://." if "." in text and " " not in text else ""
        raise InvalidLocationError(f'"{clip(text, 80)}" is neither an http(s) link nor a voice or stage channel.{hint}')
    channel_id = int(ref["mention"] or ref["id"])
    if ref["kind"]:
        return Location.channel(channel_id, ChannelKind(ref["kind"].lower()))
    if channels is None:
        raise InvalidLocationError(
            f"I cannot check what kind of channel {channel_id} is from here; write voice:{channel_id} "
            f"or stage:{channel_id}."
        )
    kind = await channels.channel_kind(guild_id, channel_id)
    if kind is None:
        raise InvalidLocationError(f"This server has no channel {channel_id}.")
    return Location.channel(channel_id, kind)


def start_of(programme: Programme, starts: str | datetime) -> datetime:
    """Return a draft's start in UTC: text or a naive datetime are wall times in the programme's zone."""
    if isinstance(starts, datetime):
        if starts.tzinfo is None:
            return localise(starts, programme.zone)
        return starts.astimezone(UTC)
    return parse_local_datetime(starts, programme.zone)


async def check_draft(
    programme: Programme,
    draft: SessionDraft,
    *,
    now: datetime,
    taken: dict[int, Session],
    channels: ChannelDirectory | None,
    check_past: bool = True,
) -> tuple[NewSession | None, list[DomainError]]:
    """Check a draft against the programme; return the session to store, or every problem with it."""
    problems: list[DomainError] = []
    number = draft.number
    if not isinstance(number, int) or not 1 <= number <= MAX_SESSION_NUMBER:
        problems.append(
            InvalidSessionNumberError(f"Session numbers go from 1 to {MAX_SESSION_NUMBER}; you gave {number}.")
        )
    elif number in taken:
        problems.append(DuplicateSessionNumberError(number, cancelled=taken[number].is_cancelled))
    title = clean_text(draft.title or "", keep_newlines=False)
    if not title:
        problems.append(MissingValueError("title"))
    elif len(title) > TITLE_LIMIT:
        problems.append(TextTooLongError("title", len(title), TITLE_LIMIT))
    description = clean_text(draft.description or "")
    if len(description) > DESCRIPTION_LIMIT:
        problems.append(TextTooLongError("description", len(description), DESCRIPTION_LIMIT))
    speaker = clean_text(draft.speaker or "", keep_newlines=False)
    if len(speaker) > SPEAKER_LIMIT:
        problems.append(TextTooLongError("speaker", len(speaker), SPEAKER_LIMIT))
    duration = draft.duration_minutes
    if not isinstance(duration, int) or not MIN_DURATION_MINUTES <= duration <= MAX_DURATION_MINUTES:
        problems.append(
            InvalidDurationError(
                f"A session lasts {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES} minutes; you gave {duration}."
            )
        )
    starts_at: datetime | None = None
    try:
        starts_at = start_of(programme, draft.starts)
        if check_past and starts_at <= now:
            raise TimeInPastError(f"{format_local(starts_at, programme.zone)} ({programme.timezone})")
    except DomainError as error:
        problems.append(error)
    try:
        location = await resolve_location(programme.guild_id, draft.location, channels)
    except DomainError as error:
        problems.append(error)
        location = Location.none()
    if problems or starts_at is None:
        return None, problems
    new = NewSession(
        guild_id=programme.guild_id,
        number=number,
        title=title,
        description=description,
        speaker=speaker,
        starts_at=starts_at,
        duration_minutes=duration,
        location=location,
    )
    return new, []


CLEAR = "-"
"""Typed for a text option (description, speaker) to clear it."""


def venue(location: str | None, channel: str | None) -> str | None:
    """Combine the location (a link) and channel options of a session command into the one place the core expects."""
    if location is not None and channel is not None:
        raise ValidationError(
            "Give either location (a link such as a Zoom or Teams URL) or channel (a voice or stage channel), not both."
        )
    return channel if channel is not None else location


def clearable(text: str | None) -> str | None:
    """Return None to keep a value, "" to clear it (the facilitator typed "-"), or the new text."""
    if text is None:
        return None
    return "" if text.strip() == CLEAR else text


def latest_started(sessions: list[Session], now: datetime) -> Session:
    """Return the most recent session that has started (the default of /reflect and /checkin).

    Raises:
        DomainError: no session has started yet.
    """
    started = [s for s in sessions if s.starts_at <= now and not s.is_cancelled]
    if not started:
        raise DomainError("No session has started yet, so there is nothing to reflect on.")
    return max(started, key=lambda s: s.starts_at)
