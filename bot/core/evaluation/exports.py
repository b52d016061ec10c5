"""Evaluation exports: tidy, pseudonymised tables as CSV or JSON, a data dictionary, and the zip of them all.

Layout (tidy data: one row per observation, one column per variable, one file per kind of observation):

* sessions.csv     one row per session (cancelled ones too);
* participants.csv one row per registered participant;
* attendance.csv   one row per person × session attended (all the ways it was recorded in ``sources``);
* responses.csv    one row per person × session × question of the reflection form: exactly one of
                   answer_text / answer_choice / answer_rating / answer_checked holds the answer, according to
                   question_kind; all four are empty when the question was left unanswered;
* resources.csv    one row per shared resource; stories.csv one row per story of change;
* group_memberships.csv one row per person × session small group (member or coach);
* connections.csv  one row per person × introduction between sessions, with their "did you meet?" answer.
* questionnaire_items.csv    one row per questionnaire item and version (id, version, type, text, outcome);
* questionnaire_answers.csv  long format: one row per person × questionnaire × item answered (pseudonym,
                   questionnaire, item_id, version, value, page, saved_at); unanswered items have no row;
* interviews.csv   pseudonym and status of everyone on the interview list;
* codebook.csv     the value labels of every coded item (ratings 1–5, yes | maybe | no, choices).

Conventions: UTF-8 without a byte-order mark, a header row, comma-separated with RFC 4180 quoting, no index
column; booleans ``true``/``false``; missing values empty (CSV) or null (JSON); a CSV text cell that would start
with = + - @, a tab, a carriage return or ' starts with one more ' (so no spreadsheet runs it as a formula; drop
the first ' to get the text back; numbers and JSON are written as they are); timestamps as ISO 8601 in
UTC (``…Z``) with a ``*_local`` twin in the programme's zone (with its offset); dates as YYYY-MM-DD. JSON
files hold an array of objects with the same keys as the CSV header, numbers and booleans typed.

People appear only as pseudonyms (bot.core.evaluation.pseudonyms); no Discord ids, usernames or display names
are written (a resource's sharer is a pseudonym). Every file that is about people one by one (participants,
attendance, responses, resources, stories, questionnaire_answers, interviews,
group_memberships, connections) holds only people whose current
evaluation consent is yes; sessions.csv counts everyone who took part. Free text is kept verbatim and flagged
as possibly identifying in data_dictionary.csv. Exports are not small-number suppressed: handle them as
personal data.
"""

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from bot.core.evaluation.domain import Cohort, GroupPlace
from bot.core.evaluation.errors import UnknownChoiceError
from bot.core.evaluation.figures import NOT_SAID, group_of
from bot.core.evaluation.pseudonyms import Pseudonymiser
from bot.core.flash.domain import FlashRecord, ItemKind
from bot.core.groups.domain import Connection
from bot.core.interviews.domain import Candidate as InterviewCandidate
from bot.core.interviews.domain import InterviewStatus
from bot.core.messages import FileAttachment
from bot.core.participants.domain import Area, AreaGroup, ConsentPurpose, Participant, ParticipantRole
from bot.core.programme.domain import Session
from bot.core.questionnaires.domain import Item as QuestionnaireItem
from bot.core.questionnaires.domain import ItemKind as QuestionnaireItemKind
from bot.core.questionnaires.domain import StoredAnswer
from bot.core.reflections.domain import AttendanceRecord, AttendanceSource, ResponseRecord, SavedAnswer
from bot.core.reflections.questions import QuestionKind

Cell = str | int | float | bool | None
DICTIONARY_FILE = "data_dictionary.csv"
README_FILE = "README.txt"
DICTIONARY_HEADER = ("file", "column", "type", "description", "possibly_identifying", "allowed_values")
R = TypeVar("R")


class ExportKind(StrEnum):
    """What to export."""

    RESPONSES = "responses"
    ATTENDANCE = "attendance"
    PARTICIPANTS = "participants"
    RESOURCES = "resources"
    STORIES = "stories"
    SESSIONS = "sessions"
    GROUP_MEMBERSHIPS = "group_memberships"
    CONNECTIONS = "connections"
    QUESTIONNAIRE_ITEMS = "questionnaire_items"
    QUESTIONNAIRE_ANSWERS = "questionnaire_answers"
    INTERVIEWS = "interviews"
    CODEBOOK = "codebook"
    ALL = "all"

    @classmethod
    def parse(cls, value: "str | ExportKind") -> "ExportKind":
        """Read a kind; raise UnknownChoiceError for anything else."""
        if isinstance(value, ExportKind):
            return value
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise UnknownChoiceError("kind", value, [k.value for k in cls]) from None


class ExportFormat(StrEnum):
    """How to write the tables."""

    CSV = "csv"
    JSON = "json"

    @classmethod
    def parse(cls, value: "str | ExportFormat") -> "ExportFormat":
        """Read a format; raise UnknownChoiceError for anything else."""
        if isinstance(value, ExportFormat):
            return value
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise UnknownChoiceError("format", value, [f.value for f in cls]) from None


@dataclass(frozen=True, slots=True)
class Column:
    """One column: type is string, integer, number, boolean, datetime (ISO 8601) or date (YYYY-MM-DD)."""

    name: str
    type: str
    description: str
    identifying: bool = False
    allowed: str = ""

    def of(self, value: "Callable[[R], Cell]") -> "Field[R]":
        """Return this column with how each row's value is read from the row's source."""
        return Field(self, value)


@dataclass(frozen=True, slots=True)
class Field(Generic[R]):
    """A column of a table with its value: everything about one column, defined in one place."""

    column: Column
    value: Callable[[R], Cell]


def field(
    name: str, type: str, description: str, value: Callable[[R], Cell], *, identifying: bool = False, allowed: str = ""
) -> Field[R]:
    """Define a column and its value together."""
    return Field(Column(name, type, description, identifying, allowed), value)


@dataclass(frozen=True, slots=True)
class Table:
    """One export file's columns and rows (cells in column order)."""

    kind: ExportKind
    description: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def filename(self, fmt: ExportFormat) -> str:
        """Return the file name, e.g. "responses.csv"."""
        return f"{self.kind.value}.{fmt.value}"

    @classmethod
    def of(cls, kind: ExportKind, description: str, fields: Sequence[Field[R]], sources: Iterable[R]) -> "Table":
        """Build a table with one row per source, each cell read by its column's value."""
        rows = tuple(tuple(f.value(source) for f in fields) for source in sources)
        return cls(kind, description, tuple(f.column for f in fields), rows)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The files of an export, and how many rows each table has (for the confirmation message)."""

    files: tuple[FileAttachment, ...]
    rows: dict[str, int]
    kind: ExportKind
    fmt: ExportFormat


def _choices(values: Sequence[str]) -> str:
    return " | ".join(values)


PSEUDONYM = Column(
    "pseudonym",
    "string",
    "The person's pseudonym: P- and 12 hex characters; the same person has the same one in "
    "every file and every export made with the same key",
    identifying=False,
)
SESSION_NUMBER = Column("session_number", "integer", "The session's number in the programme")
SESSION_TITLE = Column("session_title", "string", "The session's title as the facilitators wrote it")
AREAS = _choices([a.value for a in Area if a is not Area.PREFER_NOT_TO_SAY] + [NOT_SAID])
GROUPS = _choices([g.value for g in AreaGroup])
CONSENT = "yes | no | not_answered"
SOURCES = _choices([s.value for s in AttendanceSource])
KINDS = _choices([k.value for k in QuestionKind])
ROLES = _choices([r.value for r in ParticipantRole])


def _stamp(moment: datetime | None) -> str | None:
    """Return an aware time as ISO 8601 UTC with a Z, whole seconds."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """Return an aware time in zone as ISO 8601 with its UTC offset, whole seconds."""
    return None if moment is None else moment.astimezone(zone).replace(microsecond=0).isoformat()


def _date(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).date().isoformat()


def _times(prefix: str, what: str, moment: Callable[[R], datetime | None], zone: ZoneInfo) -> tuple[Field[R], ...]:
    """Return the two columns of a moment: in UTC and in the programme's zone."""
    return (
        field(f"{prefix}_utc", "datetime", f"{what}, ISO 8601 in UTC", lambda r: _stamp(moment(r))),
        field(
            f"{prefix}_local",
            "datetime",
            f"{what}, ISO 8601 in the programme's time zone with its offset",
            lambda r: _local(moment(r), zone),
        ),
    )


# -- tables ------------------------------------------------------------------------------------------------------


def sessions_table(cohort: Cohort) -> Table:
    """Return one row per session."""
    held = {s.id for s in cohort.held_sessions}
    fields: tuple[Field[Session], ...] = (
        SESSION_NUMBER.of(lambda s: s.number),
        SESSION_TITLE.of(lambda s: s.title),
        *_times("starts_at", "When the session started (or was to start)", lambda s: s.starts_at, cohort.zone),
        field("duration_minutes", "integer", "Planned length in minutes", lambda s: s.duration_minutes),
        field(
            "status",
            "string",
            "Whether the session went ahead",
            lambda s: s.status.value,
            allowed="scheduled | cancelled",
        ),
        field("held", "boolean", "Not cancelled and started before the export was made", lambda s: s.id in held),
        field(
            "attendance",
            "integer",
            "Distinct people recorded as attending",
            lambda s: len(cohort.attendees.get(s.id, ())),
        ),
        field(
            "reflections",
            "integer",
            "Reflections given (from everyone, whatever their consent)",
            lambda s: len(cohort.responses_by_session.get(s.id, ())),
        ),
    )
    sessions = sorted(cohort.sessions, key=lambda s: (s.number, s.id))
    return Table.of(ExportKind.SESSIONS, "One row per session", fields, sessions)


def _area(participant: Participant) -> str:
    area = participant.area
    return NOT_SAID if area is None or area is Area.PREFER_NOT_TO_SAY else area.value


def consenting(cohort: Cohort, user_id: int | None) -> bool:
    """Tell whether someone's rows may go into an export: their current evaluation consent is yes."""
    return user_id is not None and cohort.consents(user_id, ConsentPurpose.EVALUATION)


def participants_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per registered participant who consents to the evaluation, with their consent answers."""
    zone = cohort.zone
    held = {s.id for s in cohort.held_sessions}
    attended: dict[int, int] = defaultdict(int)
    for session_id, people in cohort.attendees.items():
        if session_id in held:
            for user_id in people:
                attended[user_id] += 1
    given: dict[int, int] = defaultdict(int)
    for record in cohort.responses:
        given[record.user_id] += 1

    def consent(purpose: ConsentPurpose) -> Callable[[Participant], Cell]:
        return lambda p: cohort.consent_state(p.user_id, purpose)

    fields: tuple[Field[Participant], ...] = (
        PSEUDONYM.of(lambda p: alias(p.user_id)),
        field(
            "community",
            "string",
            "The community the person named (free text)",
            lambda p: p.community or None,
            identifying=True,
        ),
        field(
            "area_type",
            "string",
            "Scottish Government six-fold urban rural classification of where they live, as they chose it",
            _area,
            allowed=AREAS,
        ),
        field(
            "area_group", "string", "The three-way grouping of area_type", lambda p: group_of(_area(p)), allowed=GROUPS
        ),
        field(
            "role",
            "string",
            "What brings them to the programme",
            lambda p: p.role.value if p.role else None,
            allowed=ROLES,
        ),
        field("active", "boolean", "false once they left the Discord server", lambda p: p.active),
        field(
            "joined_date",
            "date",
            "The day they joined, in the programme's time zone",
            lambda p: _date(p.joined_at, zone),
        ),
        field("left_date", "date", "The day they left the server, if they did", lambda p: _date(p.left_at, zone)),
        field(
            "sessions_attended",
            "integer",
            "Held sessions they were recorded as attending",
            lambda p: attended.get(p.user_id, 0),
        ),
        field(
            "reflections_given",
            "integer",
            "Reflections they gave (content only in responses, with consent)",
            lambda p: given.get(p.user_id, 0),
        ),
        field(
            "consent_evaluation",
            "string",
            "Current answer: use their reflections in the evaluation",
            consent(ConsentPurpose.EVALUATION),
            allowed=CONSENT,
        ),
        field(
            "consent_quote",
            "string",
            "Current answer: quote their words anonymously",
            consent(ConsentPurpose.QUOTE),
            allowed=CONSENT,
        ),
        field(
            "consent_interview",
            "string",
            "Current answer: contact them about an interview",
            consent(ConsentPurpose.INTERVIEW),
            allowed=CONSENT,
        ),
    )
    registered = sorted(
        (p for p in cohort.participants if consenting(cohort, p.user_id)), key=lambda p: str(alias(p.user_id))
    )
    return Table.of(
        ExportKind.PARTICIPANTS, "One row per registered participant (consenting people only)", fields, registered
    )


@dataclass(frozen=True, slots=True)
class _Attended:
    """One person at one session, with every record of it (earliest first)."""

    session: Session
    user_id: int
    records: tuple[AttendanceRecord, ...]


def attendance_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per consenting person × session attended."""
    registered = {p.user_id for p in cohort.participants}
    order = [s.value for s in AttendanceSource]
    fields: tuple[Field[_Attended], ...] = (
        PSEUDONYM.of(lambda a: alias(a.user_id)),
        SESSION_NUMBER.of(lambda a: a.session.number),
        SESSION_TITLE.of(lambda a: a.session.title),
        field(
            "source",
            "string",
            "How their attendance was first recorded",
            lambda a: a.records[0].source.value,
            allowed=SOURCES,
        ),
        field(
            "sources",
            "string",
            "Every way it was recorded, separated by ;",
            lambda a: ";".join(sorted({r.source.value for r in a.records}, key=order.index)),
            allowed=SOURCES + " (joined by ;)",
        ),
        *_times(
            "first_recorded_at",
            "When their attendance was first recorded",
            lambda a: a.records[0].recorded_at,
            cohort.zone,
        ),
        field(
            "registered",
            "boolean",
            "true when the person is in participants (facilitators may be marked present)",
            lambda a: a.user_id in registered,
        ),
    )
    grouped: dict[tuple[int, int], list[AttendanceRecord]] = defaultdict(list)
    for row in cohort.attendance:
        if consenting(cohort, row.user_id):
            grouped[(row.session_id, row.user_id)].append(row)
    attended = []
    for (session_id, user_id), records in grouped.items():
        session = cohort.sessions_by_id.get(session_id)
        if session is None:
            continue
        records.sort(key=lambda r: (r.recorded_at, order.index(r.source.value)))
        attended.append(_Attended(session, user_id, tuple(records)))
    attended.sort(key=lambda a: (a.session.number, str(alias(a.user_id))))
    return Table.of(
        ExportKind.ATTENDANCE, "One row per person and session attended (consenting people only)", fields, attended
    )


@dataclass(frozen=True, slots=True)
class _Answered:
    """One answer of one reflection, with its session."""

    record: ResponseRecord
    session: Session
    answer: SavedAnswer

    def value_if(self, wanted: Callable[[QuestionKind, object], bool]) -> Cell:
        """Return the answer when it is of the wanted kind and type, else None (it goes in another column)."""
        value = self.answer.value
        if isinstance(value, list) or not wanted(self.answer.kind, value):  # choices (a list) fill no single cell
            return None
        return value


def responses_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per consenting person × session × question."""
    zone = cohort.zone
    fields: tuple[Field[_Answered], ...] = (
        PSEUDONYM.of(lambda a: alias(a.record.user_id)),
        SESSION_NUMBER.of(lambda a: a.session.number),
        SESSION_TITLE.of(lambda a: a.session.title),
        field(
            "question_id",
            "string",
            "The question's place in the form",
            lambda a: a.answer.field_id,
            allowed="q1 | q2 | q3 | q4 | q5",
        ),
        field("question_label", "string", "The question as participants saw it", lambda a: a.answer.label),
        field(
            "question_kind",
            "string",
            "Which answer column is used: text kinds → answer_text, choice → "
            "answer_choice, rating → answer_rating, checkbox → answer_checked",
            lambda a: a.answer.kind.value,
            allowed=KINDS,
        ),
        field(
            "answer_text",
            "string",
            "A free-text answer, verbatim (empty after retention)",
            lambda a: a.value_if(lambda kind, v: kind.is_text and isinstance(v, str) and bool(v)),
            identifying=True,
        ),
        field(
            "answer_choice",
            "string",
            "The option chosen",
            lambda a: a.value_if(lambda kind, v: kind is QuestionKind.CHOICE and isinstance(v, str) and bool(v)),
        ),
        field(
            "answer_rating",
            "integer",
            "The rating given",
            lambda a: a.value_if(
                lambda kind, v: kind is QuestionKind.RATING and isinstance(v, int) and not isinstance(v, bool)
            ),
            allowed="1 | 2 | 3 | 4 | 5",
        ),
        field(
            "answer_checked",
            "boolean",
            "Whether the box was ticked (the quote box gives quote permission)",
            lambda a: a.value_if(lambda kind, v: kind is QuestionKind.CHECKBOX and isinstance(v, bool)),
        ),
        *_times("submitted_at", "When the reflection was first submitted", lambda a: a.record.submitted_at, zone),
        *_times("updated_at", "When it was last changed", lambda a: a.record.updated_at, zone),
    )
    answered: list[_Answered] = []
    for record in cohort.responses:
        if not cohort.consents(record.user_id, ConsentPurpose.EVALUATION):
            continue
        session = cohort.sessions_by_id.get(record.session_id)
        if session is None:
            continue
        answered.extend(_Answered(record, session, answer) for answer in record.answers)
    answered.sort(key=lambda a: (a.session.number, str(alias(a.record.user_id)), a.answer.field_id))
    return Table.of(
        ExportKind.RESPONSES, "One row per person, session and question (consenting people only)", fields, answered
    )


def resources_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per resource shared by someone who consents to the evaluation."""
    fields: tuple[Field[FlashRecord], ...] = (
        field("resource_id", "integer", "Blether's number for the item (not a person's id)", lambda i: i.id),
        field(
            "shared_by",
            "string",
            "The sharer's pseudonym",
            lambda i: alias(i.author_id) if i.author_id is not None else None,
        ),
        field("url", "string", "The link shared", lambda i: i.url, identifying=True),
        field("title", "string", "The title the sharer gave (free text)", lambda i: i.title or None, identifying=True),
        field(
            "note",
            "string",
            "The sharer's note (free text; empty after the retention period)",
            lambda i: i.note or None,
            identifying=True,
        ),
        field("tags", "string", "Tags, separated by ;", lambda i: ";".join(i.tags) or None),
        field("included", "boolean", "false when facilitators left it out of the Flash Report", lambda i: i.included),
        field(
            "flash_report_issue",
            "integer",
            "The Flash Report it went out in (empty while it waits)",
            lambda i: i.issue_number,
        ),
        *_times("shared_at", "When it was shared", lambda i: i.created_at, cohort.zone),
    )
    resources = [item for item in cohort.items(ItemKind.RESOURCE) if consenting(cohort, item.author_id)]
    return Table.of(ExportKind.RESOURCES, "One row per shared resource (consenting sharers only)", fields, resources)


def stories_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per story of change whose author currently consents to the evaluation."""
    fields: tuple[Field[FlashRecord], ...] = (
        field("story_id", "integer", "Blether's number for the story (not a person's id)", lambda i: i.id),
        PSEUDONYM.of(lambda i: alias(i.author_id) if i.author_id is not None else None),
        field(
            "story_text",
            "string",
            "The story, verbatim (empty after the retention period)",
            lambda i: i.text or None,
            identifying=True,
        ),
        field(
            "credit_by_name",
            "boolean",
            "Whether the author asked to be named when it is published",
            lambda i: i.credit_by_name,
        ),
        field("included", "boolean", "false when facilitators left it out of the Flash Report", lambda i: i.included),
        field(
            "flash_report_issue",
            "integer",
            "The Flash Report it went out in (empty while it waits)",
            lambda i: i.issue_number,
        ),
        *_times("shared_at", "When it was shared", lambda i: i.created_at, cohort.zone),
    )
    stories = [item for item in cohort.items(ItemKind.STORY) if consenting(cohort, item.author_id)]
    return Table.of(ExportKind.STORIES, "One row per story of change (consenting authors only)", fields, stories)


def group_memberships_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per person × session small group, for people whose evaluation consent is yes."""
    numbers = {s.id: s.number for s in cohort.sessions}
    fields: tuple[Field[GroupPlace], ...] = (
        SESSION_NUMBER.of(lambda p: numbers.get(p.session_id)),
        field("group_number", "integer", "The group's number within the session (1, 2, …)", lambda p: p.group_number),
        PSEUDONYM.of(lambda p: alias(p.user_id)),
        field(
            "role",
            "string",
            "member, or coach for the group's peer coach",
            lambda p: "coach" if p.is_coach else "member",
            allowed=_choices(["member", "coach"]),
        ),
    )
    places = [p for p in cohort.group_places if cohort.consents(p.user_id, ConsentPurpose.EVALUATION)]
    return Table.of(
        ExportKind.GROUP_MEMBERSHIPS,
        "One row per person x session small group (consenting people only)",
        fields,
        places,
    )


def connections_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per person × introduction, for people whose evaluation consent is yes."""
    fields: tuple[Field[tuple[Connection, int]], ...] = (
        field(
            "connection_id",
            "integer",
            "Blether's number for the introduction (not a person's id)",
            lambda r: r[0].id,
        ),
        *_times("round_at", "When the round of introductions was made", lambda r: r[0].round_at, cohort.zone),
        field(
            "people",
            "integer",
            "How many were introduced to each other (2, or 3 for a trio)",
            lambda r: len(r[0].members),
        ),
        PSEUDONYM.of(lambda r: alias(r[1])),
        field(
            "did_you_meet",
            "string",
            'Their answer to "Did you meet?" (empty when not answered)',
            lambda r: answer.value if (answer := r[0].answer_of(r[1])) is not None else None,
            allowed=_choices(["yes", "not_yet", "skip"]),
        ),
    )
    rows = [
        (connection, user_id)
        for connection in cohort.connections
        for user_id in connection.members
        if cohort.consents(user_id, ConsentPurpose.EVALUATION)
    ]
    return Table.of(ExportKind.CONNECTIONS, "One row per person x introduction (consenting people only)", fields, rows)


@dataclass(frozen=True, slots=True)
class _QItem:
    """A questionnaire item with its questionnaire's name."""

    questionnaire: str
    item: QuestionnaireItem


@dataclass(frozen=True, slots=True)
class _QAnswer:
    """A saved questionnaire answer with its questionnaire's name and item."""

    questionnaire: str
    item: QuestionnaireItem
    answer: StoredAnswer


@dataclass(frozen=True, slots=True)
class _Code:
    """One value label of one item (the codebook)."""

    questionnaire: str
    item: QuestionnaireItem
    value: str
    label: str


def _item_id(item: QuestionnaireItem) -> str:
    return item.key


def questionnaire_items_table(cohort: Cohort) -> Table:
    """Return one row per questionnaire item and version."""
    outcomes = {o.id: o for o in cohort.outcomes}
    fields: tuple[Field[_QItem], ...] = (
        field("questionnaire", "string", "The questionnaire's name", lambda q: q.questionnaire),
        field("item_id", "string", "The item's id, the same in every version (o<n>_before, o<n>_now, grown …)",
              lambda q: _item_id(q.item)),
        field("version", "integer", "The item version (answers keep the version they were given under)",
              lambda q: q.item.version),
        field("position", "integer", "The item's place in its version", lambda q: q.item.position),
        field("type", "string", "What the item asks for", lambda q: q.item.kind.value,
              allowed=_choices([k.value for k in QuestionnaireItemKind])),
        field("text", "string", "The item as people saw it (an outcome's words for before/now)", lambda q: q.item.text),
        field("outcome", "string", "The learning outcome of a before/now item (empty for others)",
              lambda q: outcomes[q.item.outcome_id].text if q.item.outcome_id in outcomes else None),
    )  # fmt: skip
    rows = [_QItem(d.questionnaire.name, i) for d in cohort.questionnaires for i in d.items]
    return Table.of(ExportKind.QUESTIONNAIRE_ITEMS, "One row per questionnaire item and version", fields, rows)


def questionnaire_answers_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per saved answer (long format), from people with evaluation consent only."""
    fields: tuple[Field[_QAnswer], ...] = (
        PSEUDONYM.of(lambda a: alias(a.answer.user_id)),
        field("questionnaire", "string", "The questionnaire's name", lambda a: a.questionnaire),
        field("item_id", "string", "The item's id (see questionnaire_items and codebook)", lambda a: a.item.key),
        field("version", "integer", "The item version the answer was given under", lambda a: a.item.version),
        field("value", "string", "The answer: 1–5 for ratings, yes | maybe | no, a choice, or text (see codebook)",
              lambda a: str(a.answer.value), identifying=True),
        field("page", "integer", "The page it was saved from", lambda a: a.answer.page),
        *_times("saved_at", "When it was saved", lambda a: a.answer.saved_at, cohort.zone),
    )  # fmt: skip
    rows = []
    for data in cohort.questionnaires:
        items = {i.id: i for i in data.items}
        for answer in data.answers:
            if answer.item_id in items and cohort.consents(answer.user_id, ConsentPurpose.EVALUATION):
                rows.append(_QAnswer(data.questionnaire.name, items[answer.item_id], answer))
    rows.sort(key=lambda a: (a.questionnaire, str(alias(a.answer.user_id)), a.item.version, a.item.position))
    return Table.of(
        ExportKind.QUESTIONNAIRE_ANSWERS,
        "One row per person, questionnaire and item answered (long format; consenting people only)",
        fields,
        rows,
    )


def interviews_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per person on the interview list who consents to the evaluation: pseudonym and status."""
    fields: tuple[Field[InterviewCandidate], ...] = (
        PSEUDONYM.of(lambda c: alias(c.user_id)),
        field("status", "string", "Where their interview invitation stands", lambda c: c.status.value,
              allowed=_choices([s.value for s in InterviewStatus])),
    )  # fmt: skip
    rows = [c for c in cohort.interviews if cohort.consents(c.user_id, ConsentPurpose.EVALUATION)]
    return Table.of(ExportKind.INTERVIEWS, "One row per person on the interview list", fields, rows)


_RATING_WORDS = {
    QuestionnaireItemKind.AGREEMENT: ("Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"),
    QuestionnaireItemKind.BEFORE: ("Very little", "2", "3", "4", "Very much"),
    QuestionnaireItemKind.NOW: ("Very little", "2", "3", "4", "Very much"),
}


def codebook_table(cohort: Cohort) -> Table:
    """Return the codebook: one row per item and coded value, with its label (ratings, yes/maybe/no, choices)."""
    codes: list[_Code] = []
    for data in cohort.questionnaires:
        for item in data.items:
            if item.kind in _RATING_WORDS:
                codes.extend(
                    _Code(data.questionnaire.name, item, str(v), w) for v, w in enumerate(_RATING_WORDS[item.kind], 1)
                )
            elif item.kind is QuestionnaireItemKind.YES_MAYBE_NO:
                codes.extend(_Code(data.questionnaire.name, item, v, v.capitalize()) for v in ("yes", "maybe", "no"))
            elif item.kind is QuestionnaireItemKind.CHOICE:
                codes.extend(_Code(data.questionnaire.name, item, c, c) for c in item.choices)
    fields: tuple[Field[_Code], ...] = (
        field("questionnaire", "string", "The questionnaire's name", lambda c: c.questionnaire),
        field("item_id", "string", "The item's id", lambda c: c.item.key),
        field("version", "integer", "The item version", lambda c: c.item.version),
        field("type", "string", "The item's type", lambda c: c.item.kind.value),
        field("value", "string", "A value as questionnaire_answers stores it", lambda c: c.value),
        field("label", "string", "What the value means", lambda c: c.label),
    )
    return Table.of(
        ExportKind.CODEBOOK, "Value labels of every coded questionnaire item (for R or SPSS)", fields, codes
    )


ORDER = (
    ExportKind.SESSIONS,
    ExportKind.PARTICIPANTS,
    ExportKind.ATTENDANCE,
    ExportKind.RESPONSES,
    ExportKind.RESOURCES,
    ExportKind.STORIES,
    ExportKind.GROUP_MEMBERSHIPS,
    ExportKind.CONNECTIONS,
    ExportKind.QUESTIONNAIRE_ITEMS,
    ExportKind.QUESTIONNAIRE_ANSWERS,
    ExportKind.INTERVIEWS,
    ExportKind.CODEBOOK,
)


def build_tables(cohort: Cohort, key: str, kind: ExportKind) -> tuple[Table, ...]:
    """Return the tables of an export kind (every one for ALL), with people pseudonymised under key."""
    alias = Pseudonymiser(key, cohort.guild_id)
    builders: dict[ExportKind, Callable[[], Table]] = {
        ExportKind.SESSIONS: lambda: sessions_table(cohort),
        ExportKind.PARTICIPANTS: lambda: participants_table(cohort, alias),
        ExportKind.ATTENDANCE: lambda: attendance_table(cohort, alias),
        ExportKind.RESPONSES: lambda: responses_table(cohort, alias),
        ExportKind.RESOURCES: lambda: resources_table(cohort, alias),
        ExportKind.STORIES: lambda: stories_table(cohort, alias),
        ExportKind.GROUP_MEMBERSHIPS: lambda: group_memberships_table(cohort, alias),
        ExportKind.CONNECTIONS: lambda: connections_table(cohort, alias),
        ExportKind.QUESTIONNAIRE_ITEMS: lambda: questionnaire_items_table(cohort),
        ExportKind.QUESTIONNAIRE_ANSWERS: lambda: questionnaire_answers_table(cohort, alias),
        ExportKind.INTERVIEWS: lambda: interviews_table(cohort, alias),
        ExportKind.CODEBOOK: lambda: codebook_table(cohort),
    }
    wanted = ORDER if kind is ExportKind.ALL else (kind,)
    return tuple(builders[k]() for k in wanted)


# -- encoding ----------------------------------------------------------------------------------------------------


# A spreadsheet (Excel, LibreOffice, Google Sheets) runs a cell starting with one of these as a formula (OWASP
# "CSV injection"); the apostrophe itself is escaped too, so that dropping one leading ' always gives the text back.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_PREFIX = "'"
CSV_TEXT_NOTE = (
    "In the CSV files a text cell that would start with = + - @, a tab, a carriage return or ' starts with one "
    "more ' so that no spreadsheet runs it as a formula: drop that first ' to get the text as typed."
)


def neutralise(text: str) -> str:
    """Return text safe for a spreadsheet cell: one ' before a leading formula character (or a leading ')."""
    return TEXT_PREFIX + text if text.startswith((*FORMULA_STARTS, TEXT_PREFIX)) else text


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a number Blether computed (e.g. a negative count) stays a number
    return neutralise(str(value))


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """Return UTF-8 CSV (no BOM) with a header row; text cells go through neutralise()."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(name) for name in header])
    writer.writerows([_csv_cell(c) for c in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def to_json(table: Table) -> bytes:
    """Return the table as a UTF-8 JSON array of objects (keys in column order)."""
    names = [c.name for c in table.columns]
    records = [dict(zip(names, row, strict=True)) for row in table.rows]
    return (json.dumps(records, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def encode(table: Table, fmt: ExportFormat) -> bytes:
    """Return a table's file contents in a format."""
    if fmt is ExportFormat.JSON:
        return to_json(table)
    return to_csv([c.name for c in table.columns], table.rows)


def _described(column: Column, fmt: ExportFormat) -> str:
    if fmt is ExportFormat.CSV and column.type == "string":
        return f"{column.description}. {CSV_TEXT_NOTE}"
    return column.description


def data_dictionary(tables: Sequence[Table], fmt: ExportFormat) -> bytes:
    """Return data_dictionary.csv: one row per column of every file (text columns of CSV files say how a cell
    that looks like a formula is written)."""
    rows = [
        (table.filename(fmt), c.name, c.type, _described(c, fmt), "yes" if c.identifying else "no", c.allowed)
        for table in tables
        for c in table.columns
    ]
    return to_csv(DICTIONARY_HEADER, rows)


def readme(cohort: Cohort, tables: Sequence[Table], fmt: ExportFormat) -> bytes:
    """Return README.txt: what the files are, how people are pseudonymised, and how to handle them."""
    counts = "\n".join(f"  {t.filename(fmt):<20} {len(t.rows):>6} rows  {t.description}" for t in tables)
    text = f"""Blether evaluation export
Generated {_stamp(cohort.generated_at)} (times also given in {cohort.timezone}).

Files
{counts}
  {DICTIONARY_FILE:<20}              every column: type, meaning, allowed values, possibly identifying

Layout: tidy data, one row per observation. responses has one row per person x session x question; exactly one
of answer_text / answer_choice / answer_rating / answer_checked holds each answer (see question_kind), all empty
when the question was not answered. attendance has one row per person x session attended.

People: each person is a pseudonym, "P-" + the first 12 hex characters of
HMAC-SHA256(key = BLETHER_EXPORT_KEY as UTF-8 text, message = "<server id>:<user id>" in decimal ASCII).
The same key gives the same pseudonyms in every export. No Discord ids, usernames or display names are included.

Consent: participants, attendance, responses, resources and stories hold only people whose
current evaluation consent is yes (someone who says no, or withdraws, is left out of every export made from
then on). sessions counts everyone who took part.
group_memberships and connections (small groups and introductions) hold only consenting people too.

Retention: free text (reflection answers, stories, resource notes) is removed {cohort.retention_months} months
after the programme's last session; empty text may mean it was removed.

Spreadsheets: in the CSV files a text cell that would start with = + - @, a tab, a carriage return or an
apostrophe starts with one more apostrophe ('), so Excel, LibreOffice or Google Sheets show it as text instead of
running it as a formula. To get the text exactly as typed (e.g. in R or pandas), drop that first apostrophe from
any text cell that starts with one. Numbers are written as numbers, and the JSON files hold the text unchanged.

Care: these files are not small-number suppressed and free-text columns may identify people. Store them
securely and share them only with the evaluation team.
"""
    return text.encode("utf-8")


def build_files(cohort: Cohort, key: str, kind: ExportKind, fmt: ExportFormat) -> ExportResult:
    """Build an export's files: one table plus its dictionary, or for ALL one zip of everything."""
    tables = build_tables(cohort, key, kind)
    rows = {t.kind.value: len(t.rows) for t in tables}
    dictionary = FileAttachment(DICTIONARY_FILE, data_dictionary(tables, fmt), "What every column means")
    if kind is not ExportKind.ALL:
        (table,) = tables
        data = FileAttachment(table.filename(fmt), encode(table, fmt), table.description)
        return ExportResult((data, dictionary), rows, kind, fmt)
    buffer = io.BytesIO()
    stamp = cohort.generated_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in [
            (README_FILE, readme(cohort, tables, fmt)),
            *[(t.filename(fmt), encode(t, fmt)) for t in tables],
            (DICTIONARY_FILE, dictionary.data),
        ]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    day = cohort.generated_at.astimezone(cohort.zone).strftime("%Y-%m-%d")
    archive_file = FileAttachment(
        f"blether-evaluation-{day}.zip", buffer.getvalue(), "Every evaluation table with its data dictionary"
    )
    return ExportResult((archive_file,), rows, kind, fmt)
