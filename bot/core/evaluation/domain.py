"""Evaluation domain: the cohort, one consistent read of a server's programme data (see repository.load_cohort),
from which figures and exports are computed."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.core.flash.domain import FlashRecord, ItemKind
from bot.core.groups.domain import Connection
from bot.core.interviews.domain import Candidate
from bot.core.participants.domain import ConsentEvent, ConsentPurpose, Participant
from bot.core.programme.domain import DEFAULT_RETENTION_MONTHS, DEFAULT_TIMEZONE, Outcome, Programme, Session
from bot.core.questionnaires.domain import QuestionnaireData
from bot.core.reflections.domain import AttendanceRecord, ResponseRecord
from bot.core.stories.domain import Highlight


@dataclass(frozen=True, slots=True)
class GroupPlace:
    """Someone's place in a session's small group (member or peer coach)."""

    session_id: int
    group_number: int
    user_id: int
    is_coach: bool


def latest_consent(events: list[ConsentEvent]) -> dict[int, dict[ConsentPurpose, bool]]:
    """Return each person's latest answer per purpose from a consent log in recording order."""
    latest: dict[int, dict[ConsentPurpose, bool]] = defaultdict(dict)
    for event in events:
        latest[event.user_id][event.purpose] = event.granted
    return dict(latest)


@dataclass(frozen=True)
class Cohort:
    """Everything Blether holds about one server's programme at generated_at (read-only).

    Not slotted, so the derived views below can be cached_property values.
    """

    guild_id: int
    generated_at: datetime
    programme: Programme | None
    sessions: tuple[Session, ...]
    participants: tuple[Participant, ...]
    consent: Mapping[int, Mapping[ConsentPurpose, bool]]
    responses: tuple[ResponseRecord, ...]
    attendance: tuple[AttendanceRecord, ...]
    flash_items: tuple[FlashRecord, ...]
    flash_reports_published: int
    group_places: tuple[GroupPlace, ...] = ()
    connections: tuple[Connection, ...] = ()
    questionnaires: tuple[QuestionnaireData, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    highlights: tuple[Highlight, ...] = ()
    interviews: tuple[Candidate, ...] = ()

    @property
    def timezone(self) -> str:
        """Return the programme's time zone name (Europe/London before setup)."""
        return self.programme.timezone if self.programme is not None else DEFAULT_TIMEZONE

    @property
    def zone(self) -> ZoneInfo:
        """Return the programme's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def retention_months(self) -> int:
        """Return how many months free text is kept after the last session."""
        return self.programme.retention_months if self.programme is not None else DEFAULT_RETENTION_MONTHS

    def consents(self, user_id: int, purpose: ConsentPurpose) -> bool:
        """Tell whether the person's current (latest) answer for purpose is yes."""
        return bool(self.consent.get(user_id, {}).get(purpose, False))

    def consent_state(self, user_id: int, purpose: ConsentPurpose) -> str:
        """Return "yes", "no" or "not_answered" for the person's current answer."""
        answer = self.consent.get(user_id, {}).get(purpose)
        return "not_answered" if answer is None else ("yes" if answer else "no")

    @cached_property
    def held_sessions(self) -> tuple[Session, ...]:
        """Return the sessions held so far: not cancelled and started by generated_at, in start order."""
        return tuple(s for s in self.sessions if not s.is_cancelled and s.starts_at <= self.generated_at)

    @cached_property
    def sessions_by_id(self) -> dict[int, Session]:
        """Return every session by id."""
        return {s.id: s for s in self.sessions}

    @cached_property
    def attendees(self) -> dict[int, frozenset[int]]:
        """Return the people recorded as attending, by session id (any source)."""
        found: dict[int, set[int]] = defaultdict(set)
        for row in self.attendance:
            found[row.session_id].add(row.user_id)
        return {k: frozenset(v) for k, v in found.items()}

    @cached_property
    def responses_by_session(self) -> dict[int, tuple[ResponseRecord, ...]]:
        """Return the responses of each session, in submission order."""
        found: dict[int, list[ResponseRecord]] = defaultdict(list)
        for record in self.responses:
            found[record.session_id].append(record)
        return {k: tuple(v) for k, v in found.items()}

    def items(self, kind: ItemKind) -> tuple[FlashRecord, ...]:
        """Return the Flash Report items of one kind, oldest first."""
        return tuple(i for i in self.flash_items if i.kind is kind)
