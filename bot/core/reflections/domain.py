"""Reflection and attendance domain: polls, forms, saved answers, results and attendance values."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.reflections.questions import Question, QuestionKind

Answer = str | int | bool | list[str] | None
"""A stored answer: text (str), rating (int), choice (str), checkbox (bool), or None when left empty."""

SubmittedValue = str | int | bool | list[str] | None
"""What the adapter passes per field: a TextInput's str, a RadioGroup's str, a Checkbox's bool, a select's list."""

CHECK_IN_BEFORE_START = timedelta(minutes=15)
CHECK_IN_AFTER_END = timedelta(hours=2)
VOICE_MINIMUM = timedelta(minutes=10)
RECAP_MIN_RATINGS = 5
MAX_QUOTES = 3
QUOTE_LIMIT = 300


class PollStatus(StrEnum):
    """Where a session's reflection poll is in its life."""

    SCHEDULED = "scheduled"  # the card has not been posted yet
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # the session was cancelled


@dataclass(frozen=True, slots=True)
class Poll:
    """A session's reflection poll. questions is set once the first person answered (or the card went out)."""

    id: int
    guild_id: int
    session_id: int
    status: PollStatus
    question_set: str | None
    questions: tuple[Question, ...] | None
    session_ends_at: datetime
    opens_at: datetime
    nudge_at: datetime | None
    closes_at: datetime
    card_channel_id: int | None
    card_message_id: int | None
    opened_at: datetime | None
    closed_at: datetime | None

    def is_closed(self, now: datetime) -> bool:
        """Tell whether answers are no longer accepted (closed by hand, or past the closing time)."""
        return self.status in (PollStatus.CLOSED, PollStatus.CANCELLED) or now >= self.closes_at


@dataclass(frozen=True, slots=True)
class PollPlan:
    """What scheduling a poll did: the poll and when its deliveries are due.

    After committing the unit of work, call ``dispatcher.wake(plan.wake_at)`` (when it is not None).
    """

    poll: Poll | None
    due: tuple[datetime, ...] = ()

    @property
    def wake_at(self) -> datetime | None:
        """Return the earliest due time, or None when nothing was scheduled."""
        return min(self.due) if self.due else None


@dataclass(frozen=True, slots=True)
class FormOption:
    """One option of a rating or choice field (RadioGroup option; value ≤ 100 characters)."""

    value: str
    label: str
    default: bool = False


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of the reflection modal.

    id is the component custom_id ("q1" … "q5"). Render rating and choice as a RadioGroup of options,
    short_text/long_text as a TextInput (short/paragraph style, max_length), checkbox as a Checkbox.
    default is the previous answer: str for text, rating ("1"…"5") and choice, bool for a checkbox.
    """

    id: str
    kind: QuestionKind
    label: str
    description: str
    required: bool
    options: tuple[FormOption, ...] = ()
    max_length: int | None = None
    placeholder: str = ""
    default: str | bool | None = None
    quote_permission: bool = False


@dataclass(frozen=True, slots=True)
class ReflectionForm:
    """The reflection modal of a session: custom_id, title (≤ 45 characters) and up to five fields."""

    session_id: int
    session_number: int
    session_title: str
    custom_id: str
    title: str
    fields: tuple[FormField, ...]
    closes_at: datetime
    editing: bool


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    """One answer as stored, with its question."""

    field_id: str
    label: str
    kind: QuestionKind
    value: Answer


@dataclass(frozen=True, slots=True)
class SavedReflection:
    """What was saved (for the ephemeral confirmation): created is False when an earlier answer was edited."""

    session_id: int
    session_number: int
    session_title: str
    answers: tuple[SavedAnswer, ...]
    rating: int | None
    quote_allowed: bool
    created: bool
    submitted_at: datetime
    updated_at: datetime
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class PollResults:
    """A poll's results for facilitators: counts, rate, ratings and consented quotes — never who said what.

    response_rate is responses ÷ attendance (None when nobody is recorded as attending; it can pass 1.0
    when people reflect without being recorded as present). distribution maps 1…5 to counts.
    """

    session_id: int
    session_number: int
    session_title: str
    status: PollStatus
    closes_at: datetime
    responses: int
    attendance: int
    response_rate: float | None
    ratings: int
    distribution: Mapping[int, int]
    mean_rating: float | None
    quotes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SessionRecap:
    """What a Flash Report says about a session; average_rating is None below five ratings (anonymity).

    quotes are consented, cleaned onto one line and in quotation marks (literal text, never escaped).
    quoted_user_ids (same order) exist only so a publisher can re-check quote consent just before
    publishing; never show them.
    """

    session_id: int
    attendance_count: int
    reflections_count: int
    average_rating: float | None
    quotes: tuple[str, ...]
    session_number: int = 0
    session_title: str = ""
    rating_count: int = 0
    quoted_user_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """One stored response, for evaluation exports (which apply consent themselves)."""

    id: int
    guild_id: int
    session_id: int
    user_id: int
    answers: tuple[SavedAnswer, ...]
    rating: int | None
    quote_allowed: bool
    submitted_at: datetime
    updated_at: datetime


class AttendanceSource(StrEnum):
    """How Blether knows someone attended."""

    CHECK_IN = "check_in"
    VOICE = "voice"
    FACILITATOR = "facilitator"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class AttendanceRecord:
    """One attendance row (a person may have several, one per source)."""

    guild_id: int
    session_id: int
    user_id: int
    source: AttendanceSource
    recorded_at: datetime
    recorded_by: int | None


@dataclass(frozen=True, slots=True)
class VoiceStay:
    """One stay in a voice or stage channel (used to count voice attendance; shown in /me data)."""

    channel_id: int
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttendanceList:
    """Who attended a session (facilitators only): count, user ids and how each was recorded."""

    session_id: int
    session_number: int
    count: int
    user_ids: tuple[int, ...]
    sources: Mapping[int, tuple[AttendanceSource, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckInResult:
    """The result of "I attended": already is True when the person had checked in before."""

    session_id: int
    session_number: int
    session_title: str
    already: bool


@dataclass(frozen=True, slots=True)
class MarkResult:
    """The result of a facilitator marking someone present."""

    session_id: int
    user_id: int
    already: bool


@dataclass(frozen=True, slots=True)
class MemberName:
    """A server member as the adapter knows them, for matching names in an attendance file."""

    user_id: int
    username: str
    display_name: str = ""
    global_name: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The result of an attendance import: rows read, people matched, and how many were new."""

    session_id: int
    rows: int
    matched: int
    added: int
    user_ids: tuple[int, ...]
