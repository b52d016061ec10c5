"""Programme domain: the per-server configuration, sessions and the values the service takes and returns."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.core.messages import channel, text
from bot.core.programme.errors import InvalidLocationError

DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_REMINDER_OFFSETS = (7 * 24 * 60, 24 * 60, 60)  # 7d, 1d, 1h
DEFAULT_REFLECTION_DELAY_MINUTES = 15
DEFAULT_POLL_CLOSE_DAYS = 7
DEFAULT_NUDGE_BEFORE_CLOSE_DAYS = 2
DEFAULT_RETENTION_MONTHS = 12
DEFAULT_GROUP_ARCHIVE_HOURS = 24
DEFAULT_CONNECT_EVERY_DAYS = 14
PROMPT_LIMIT = 500
DEFAULT_DURATION_MINUTES = 90
MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 600
MAX_SESSION_NUMBER = 999
TITLE_LIMIT = 100
DESCRIPTION_LIMIT = 1000
SPEAKER_LIMIT = 100
CANCEL_REASON_LIMIT = 500
URL_LIMIT = 500
MAX_OUTCOMES = 8
OUTCOME_TEXT_LIMIT = 150


def check_url(text: str) -> str:
    """Return text as a session link if it is an absolute http(s) URL without spaces; else raise."""
    url = text.strip()
    if len(url) > URL_LIMIT:
        raise InvalidLocationError(f"That link is {len(url)} characters long; the limit is {URL_LIMIT}.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidLocationError(
            f'"{url[:100]}" is not a link I can use. Give an http(s) URL (such as https://meet.example.org/abc) '
            "or a voice or stage channel."
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidLocationError("That link contains control characters; please paste it again.")
    return url


class SessionStatus(StrEnum):
    """Whether a session is going ahead."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class LocationKind(StrEnum):
    """Where a session happens."""

    NONE = "none"
    URL = "url"
    VOICE = "voice"
    STAGE = "stage"


class ChannelKind(StrEnum):
    """What kind of channel an id names, as the platform adapter reports it."""

    TEXT = "text"
    VOICE = "voice"
    STAGE = "stage"
    OTHER = "other"


class ChannelDirectory(Protocol):
    """Tell what kind of channel an id is (implemented by the Discord adapter; optional for the CLI)."""

    async def channel_kind(self, guild_id: int, channel_id: int) -> ChannelKind | None:
        """Return the channel's kind, or None when the server has no such channel."""
        ...


@dataclass(frozen=True, slots=True)
class Location:
    """A session's place: an http(s) URL, a voice or stage channel, or nothing yet.

    Build it with Location.link(url) or Location.channel(id, kind); both validate and raise
    InvalidLocationError. Free text ("https://…", "<#123>", "voice:123") goes through
    ProgrammeService, which asks the ChannelDirectory what kind of channel an id is.
    """

    kind: LocationKind = LocationKind.NONE
    url: str | None = None
    channel_id: int | None = None

    @classmethod
    def none(cls) -> "Location":
        """Return "no location yet"."""
        return cls()

    @classmethod
    def link(cls, url: str) -> "Location":
        """Return a URL location (http or https only)."""
        return cls(LocationKind.URL, url=check_url(url))

    @classmethod
    def channel(cls, channel_id: int, kind: ChannelKind) -> "Location":
        """Return a voice or stage channel location; other channel kinds are refused."""
        if kind == ChannelKind.VOICE:
            return cls(LocationKind.VOICE, channel_id=channel_id)
        if kind == ChannelKind.STAGE:
            return cls(LocationKind.STAGE, channel_id=channel_id)
        raise InvalidLocationError(
            text(
                channel(channel_id),
                f" is a {kind.value} channel. A session happens in a voice or stage channel, "
                "or at an http(s) link such as a Zoom or Teams URL.",
            )
        )


@dataclass(frozen=True, slots=True)
class Programme:
    """One server's programme configuration (a server has at most one programme).

    reminder_offsets are minutes before a session's start, largest first.
    """

    id: int
    guild_id: int
    timezone: str = DEFAULT_TIMEZONE
    announcements_channel_id: int | None = None
    reflections_channel_id: int | None = None
    flash_reports_channel_id: int | None = None
    facilitator_channel_id: int | None = None
    facilitator_role_id: int | None = None
    participant_role_id: int | None = None
    reminder_offsets: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS
    reflection_delay_minutes: int = DEFAULT_REFLECTION_DELAY_MINUTES
    poll_close_days: int = DEFAULT_POLL_CLOSE_DAYS
    nudge_before_close_days: int = DEFAULT_NUDGE_BEFORE_CLOSE_DAYS
    retention_months: int = DEFAULT_RETENTION_MONTHS
    groups_channel_id: int | None = None
    peer_coach_role_id: int | None = None
    groups_before_minutes: int | None = None
    group_archive_hours: int = DEFAULT_GROUP_ARCHIVE_HOURS
    connect_every_days: int = DEFAULT_CONNECT_EVERY_DAYS
    groups_voice_category_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def zone(self) -> ZoneInfo:
        """Return the programme's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class ProgrammeSettingsUpdate:
    """What /programme setup changes: every field left as None stays as it is.

    reminder_offsets is the text the facilitator typed ("7d,1d,1h"; "none" for no reminders).
    """

    timezone: str | None = None
    announcements_channel_id: int | None = None
    reflections_channel_id: int | None = None
    flash_reports_channel_id: int | None = None
    facilitator_channel_id: int | None = None
    facilitator_role_id: int | None = None
    participant_role_id: int | None = None
    reminder_offsets: str | None = None
    reflection_delay_minutes: int | None = None
    poll_close_days: int | None = None
    nudge_before_close_days: int | None = None
    retention_months: int | None = None
    groups_channel_id: int | None = None
    peer_coach_role_id: int | None = None
    groups_before_minutes: str | None = None
    """Text such as "15m" or "1h" ("off" for no automatic groups)."""
    group_archive_hours: int | None = None
    connect_every_days: int | None = None
    groups_voice_category_id: int | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One programme session; times are aware UTC, sequence counts edits (for calendar clients)."""

    id: int
    guild_id: int
    number: int
    title: str
    description: str
    speaker: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    location_url: str | None
    location_channel_id: int | None
    location_kind: LocationKind
    status: SessionStatus
    sequence: int
    event_id: int | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    prompt: str | None = None
    """The small groups' discussion prompt (set with /session edit prompt:)."""

    @property
    def is_cancelled(self) -> bool:
        """Tell whether the session was cancelled."""
        return self.status == SessionStatus.CANCELLED

    @property
    def location(self) -> Location:
        """Return the session's location as a value."""
        return Location(self.location_kind, url=self.location_url, channel_id=self.location_channel_id)


@dataclass(frozen=True, slots=True)
class SessionDraft:
    """A session to add, as the facilitator gave it.

    starts is "YYYY-MM-DD HH:MM" in the programme's time zone (optionally followed by the zone
    abbreviation or UTC offset to pick one side of an autumn fold, e.g. "2026-10-25 01:30 BST"),
    or an aware datetime. location is a Location, free text ("https://…", "<#id>", "voice:id",
    "stage:id") or None.
    """

    number: int
    title: str
    starts: str | datetime
    duration_minutes: int = DEFAULT_DURATION_MINUTES
    location: Location | str | None = None
    description: str = ""
    speaker: str = ""


@dataclass(frozen=True, slots=True)
class SessionEdit:
    """What /session edit changes: None keeps a value; "" clears description, speaker or location."""

    number: int | None = None
    title: str | None = None
    starts: str | datetime | None = None
    duration_minutes: int | None = None
    location: Location | str | None = None
    description: str | None = None
    speaker: str | None = None
    prompt: str | None = None

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing would change."""
        return all(
            value is None
            for value in (
                self.number,
                self.title,
                self.starts,
                self.duration_minutes,
                self.location,
                self.description,
                self.speaker,
                self.prompt,
            )
        )


@dataclass(frozen=True, slots=True)
class NewSession:
    """A validated session ready to store (the service builds it from a SessionDraft)."""

    guild_id: int
    number: int
    title: str
    description: str
    speaker: str
    starts_at: datetime
    duration_minutes: int
    location: Location


@dataclass(frozen=True, slots=True)
class SessionChange:
    """The result of adding, editing or cancelling a session.

    reminders are the due times of the reminders now scheduled; notes are things the facilitator
    should know (a Scheduled Event that could not be mirrored, reminders skipped because they were
    already in the past, a missing announcements channel).
    """

    session: Session
    reminders: tuple[datetime, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The result of an import or a series: every session added, and notes for the facilitator."""

    sessions: tuple[Session, ...]
    notes: tuple[str, ...] = ()
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class SetupResult:
    """The result of /programme setup."""

    programme: Programme
    created: bool
    changed: tuple[str, ...]
    rescheduled_sessions: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RsvpStatus:
    """Whether a person said they will be there, and how many have."""

    session_id: int
    going: bool
    count: int
    changed: bool


@dataclass(frozen=True, slots=True)
class RsvpRecord:
    """Someone said "I'll be there" for a session (for /me data)."""

    session_id: int
    said_at: datetime


@dataclass(frozen=True, slots=True)
class ReminderPreference:
    """Someone's DM reminder choice (for /me data)."""

    dm_enabled: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SessionChoice:
    """One autocomplete choice: name is shown (≤ 100 characters), value is the session number.

    Numbers (unique per server) rather than ids, so a number typed without picking means the same session.
    """

    name: str
    value: int


@dataclass(frozen=True, slots=True)
class UpcomingSession:
    """A session in the upcoming list, with its place in the programme and RSVP count."""

    session: Session
    active_count: int
    rsvp_count: int = 0


class SessionFollower(Protocol):
    """A feature that follows sessions (e.g. reflection polls), inside the programme's unit of work.

    Each method schedules what the feature needs for the session and returns the earliest time the
    dispatcher must wake for it (None when nothing is due); the programme service commits and wakes.
    """

    async def session_saved(self, uow: Any, programme: "Programme", session: "Session") -> datetime | None:
        """Plan (or re-plan) the feature's deliveries for a new or edited session."""
        ...

    async def session_cancelled(self, uow: Any, programme: "Programme", session: "Session") -> datetime | None:
        """Cancel the feature's pending deliveries for a cancelled session."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """One learning outcome of the programme; number is its place in the list (1-based)."""

    id: int
    guild_id: int
    number: int
    text: str


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    """What an outcomes command did: the outcome touched (None for a list) and the list afterwards."""

    action: str
    outcome: Outcome | None
    outcomes: tuple[Outcome, ...]
