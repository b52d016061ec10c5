"""Questionnaire domain: items and their kinds, questionnaires, pages and the values the service returns."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

NAME_LIMIT = 60
ITEM_TEXT_LIMIT = 150
CHOICE_LIMIT = 80
MAX_CHOICES = 10
MAX_ITEMS = 40
RATING_MIN = 1
RATING_MAX = 5
MAX_COMPONENTS = 5
DEFAULT_OPEN_DAYS = 21
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 1000
SUPPRESS_BELOW = 5
DEFAULT_OPEN_DELAY = timedelta(minutes=15)
BASELINE_LEAD = timedelta(days=7)
MENTOR_KEY = "mentor"
MENTOR_TEXT = "Would you support or mentor a second cohort?"
YES_MAYBE_NO = ("yes", "maybe", "no")


class ItemKind(StrEnum):
    """What an item asks for."""

    BEFORE = "before"
    NOW = "now"
    AGREEMENT = "agreement"
    CHOICE = "choice"
    YES_MAYBE_NO = "yes_maybe_no"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"

    @property
    def is_rating(self) -> bool:
        """Whether the answer is a whole number 1–5."""
        return self in (ItemKind.BEFORE, ItemKind.NOW, ItemKind.AGREEMENT)

    @property
    def is_text(self) -> bool:
        """Whether the answer is free text."""
        return self in (ItemKind.SHORT_TEXT, ItemKind.LONG_TEXT)

    @property
    def max_length(self) -> int | None:
        """Return the text limit of a text item (None for the others)."""
        return {ItemKind.SHORT_TEXT: SHORT_TEXT_LIMIT, ItemKind.LONG_TEXT: LONG_TEXT_LIMIT}.get(self)


class Audience(StrEnum):
    """Who answers: people with the participant role, or with the facilitator role."""

    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"


class QuestionnaireStatus(StrEnum):
    """Where a questionnaire is in its life."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """An item to store: key is stable across versions (e.g. "o3_before", "grown", "mentor")."""

    key: str
    kind: ItemKind
    text: str
    outcome_id: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """One stored item of one version of a questionnaire."""

    id: int
    questionnaire_id: int
    version: int
    position: int
    key: str
    kind: ItemKind
    text: str
    outcome_id: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def options(self) -> tuple[str, ...]:
        """Return the values a choice-like item accepts ("1".."5" for ratings)."""
        if self.kind.is_rating:
            return tuple(str(v) for v in range(RATING_MIN, RATING_MAX + 1))
        if self.kind is ItemKind.YES_MAYBE_NO:
            return YES_MAYBE_NO
        return self.choices


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A questionnaire of one server; version is the current item version."""

    id: int
    guild_id: int
    name: str
    template: str
    audience: Audience
    status: QuestionnaireStatus
    version: int
    opens_at: datetime | None
    closes_at: datetime | None
    nudge_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    card_channel_id: int | None
    card_message_id: int | None
    created_at: datetime

    def is_closed(self, now: datetime) -> bool:
        """Whether answers can no longer be given (closed by hand, or past its closing time)."""
        return self.status is QuestionnaireStatus.CLOSED or (
            self.status is QuestionnaireStatus.OPEN and self.closes_at is not None and now >= self.closes_at
        )


@dataclass(frozen=True, slots=True)
class Response:
    """Someone's progress through a questionnaire."""

    id: int
    questionnaire_id: int
    user_id: int
    last_page: int
    finished_at: datetime | None
    started_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """One saved answer, with the item (and so the version) it answers."""

    response_id: int
    user_id: int
    item_id: int
    item_key: str
    version: int
    value: Any
    page: int
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class PageOption:
    """One option of a rating or choice field."""

    value: str
    label: str
    default: bool = False


@dataclass(frozen=True, slots=True)
class PageField:
    """One component of a page modal ("q1" … "q5")."""

    id: str
    kind: ItemKind
    label: str
    description: str
    options: tuple[PageOption, ...] = ()
    max_length: int | None = None
    default: str | None = None


@dataclass(frozen=True, slots=True)
class PageForm:
    """A page to show as a modal: at most five fields, and where it sits ("page 2 of 4")."""

    questionnaire_id: int
    version: int
    page: int
    pages: int
    title: str
    custom_id: str
    fields: tuple[PageField, ...]


@dataclass(frozen=True, slots=True)
class PageSaved:
    """What a page submit stored: the next page (None after the last) and, at the end, the summary."""

    questionnaire_id: int
    name: str
    page: int
    pages: int
    next_page: int | None
    closes_at: datetime | None
    summary: tuple[tuple[str, str], ...] = ()
    mentor_offer: bool = False


@dataclass(frozen=True, slots=True)
class GroupCount:
    """Started and finished counts of one group; None where suppressed (under five)."""

    label: str
    started: int | None
    finished: int | None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Facilitators' view of a questionnaire's progress."""

    questionnaire: Questionnaire
    items: int
    pages: int
    audience: int
    started: int
    finished: int
    by_area: tuple[GroupCount, ...] = ()
    by_role: tuple[GroupCount, ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionnaireView:
    """A questionnaire with its current items (for /questionnaire items and edits)."""

    questionnaire: Questionnaire
    items: tuple[Item, ...]
    pages: int
    answered: int = 0
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class QuestionnaireData:
    """A questionnaire with every version's items, its responses and every saved answer (for the evaluation)."""

    questionnaire: Questionnaire
    items: tuple[Item, ...]
    responses: tuple[Response, ...]
    answers: tuple[StoredAnswer, ...]


@dataclass(frozen=True, slots=True)
class PageWrite:
    """One checked page to store: answers by item id (None removes one), and what it supersedes."""

    user_id: int
    page: int
    values: Mapping[int, Any]
    stale_item_ids: tuple[int, ...]
    finished: bool
