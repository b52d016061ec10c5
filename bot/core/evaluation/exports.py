"""Evaluation exports: tidy, pseudonymised tables as CSV or JSON, a data dictionary, and the zip of them all.

Layout (tidy data: one row per observation, one column per variable, one file per kind of observation):

* sessions.csv     one row per session (cancelled ones too);
* participants.csv one row per registered participant;
* attendance.csv   one row per person × session attended (all the ways it was recorded in ``sources``);
* responses.csv    one row per person × session × question of the reflection form: exactly one of
                   answer_text / answer_choice / answer_rating / answer_checked holds the answer, according to
                   question_kind; all four are empty when the question was left unanswered;
* resources.csv    one row per shared resource; stories.csv one row per story of change.

Conventions: UTF-8 without a byte-order mark, a header row, comma-separated with RFC 4180 quoting, no index
column; booleans ``true``/``false``; missing values empty (CSV) or null (JSON); a CSV text cell that would start
with = + - @, a tab, a carriage return or ' starts with one more ' (so no spreadsheet runs it as a formula; drop
the first ' to get the text back; numbers and JSON are written as they are); timestamps as ISO 8601 in
UTC (``…Z``) with a ``*_local`` twin in the programme's zone (with its offset); dates as YYYY-MM-DD. JSON
files hold an array of objects with the same keys as the CSV header, numbers and booleans typed.

People appear only as pseudonyms (bot.core.evaluation.pseudonyms); no Discord ids, usernames or display names
are written (a resource's sharer is a pseudonym). responses.csv and stories.csv hold only people whose current
evaluation consent is yes. Free text is kept verbatim and flagged as possibly identifying in
data_dictionary.csv. Exports are not small-number suppressed: handle them as personal data.
"""

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.evaluation.domain import Cohort
from bot.core.evaluation.errors import UnknownChoiceError
from bot.core.evaluation.figures import NOT_SAID, group_of
from bot.core.evaluation.pseudonyms import Pseudonymiser
from bot.core.flash.domain import ItemKind
from bot.core.messages import FileAttachment
from bot.core.participants.domain import Area, AreaGroup, ConsentPurpose, ParticipantRole
from bot.core.reflections.domain import AttendanceSource
from bot.core.reflections.questions import QuestionKind

Cell = str | int | float | bool | None
DICTIONARY_FILE = "data_dictionary.csv"
README_FILE = "README.txt"
DICTIONARY_HEADER = ("file", "column", "type", "description", "possibly_identifying", "allowed_values")


class ExportKind(StrEnum):
    """What to export."""

    RESPONSES = "responses"
    ATTENDANCE = "attendance"
    PARTICIPANTS = "participants"
    RESOURCES = "resources"
    STORIES = "stories"
    SESSIONS = "sessions"
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


def _times(prefix: str, what: str) -> tuple[Column, Column]:
    return (
        Column(f"{prefix}_utc", "datetime", f"{what}, ISO 8601 in UTC"),
        Column(f"{prefix}_local", "datetime", f"{what}, ISO 8601 in the programme's time zone with its offset"),
    )


# -- tables ------------------------------------------------------------------------------------------------------


def sessions_table(cohort: Cohort) -> Table:
    """Return one row per session."""
    columns = (
        SESSION_NUMBER,
        SESSION_TITLE,
        *_times("starts_at", "When the session started (or was to start)"),
        Column("duration_minutes", "integer", "Planned length in minutes"),
        Column("status", "string", "Whether the session went ahead", allowed="scheduled | cancelled"),
        Column("held", "boolean", "Not cancelled and started before the export was made"),
        Column("attendance", "integer", "Distinct people recorded as attending"),
        Column("reflections", "integer", "Reflections given (from everyone, whatever their consent)"),
    )
    zone = cohort.zone
    held = {s.id for s in cohort.held_sessions}
    rows = tuple(
        (
            s.number,
            s.title,
            _stamp(s.starts_at),
            _local(s.starts_at, zone),
            s.duration_minutes,
            s.status.value,
            s.id in held,
            len(cohort.attendees.get(s.id, ())),
            len(cohort.responses_by_session.get(s.id, ())),
        )
        for s in sorted(cohort.sessions, key=lambda s: (s.number, s.id))
    )
    return Table(ExportKind.SESSIONS, "One row per session", columns, rows)


def participants_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per registered participant (everyone, with their consent state per purpose)."""
    columns = (
        PSEUDONYM,
        Column("community", "string", "The community the person named (free text)", identifying=True),
        Column(
            "area_type",
            "string",
            "Scottish Government six-fold urban rural classification of where they live, as they chose it",
            allowed=AREAS,
        ),
        Column("area_group", "string", "The three-way grouping of area_type", allowed=GROUPS),
        Column("role", "string", "What brings them to the programme", allowed=ROLES),
        Column("active", "boolean", "false once they left the Discord server"),
        Column("joined_date", "date", "The day they joined, in the programme's time zone"),
        Column("left_date", "date", "The day they left the server, if they did"),
        Column("sessions_attended", "integer", "Held sessions they were recorded as attending"),
        Column("reflections_given", "integer", "Reflections they gave (content only in responses, with consent)"),
        Column(
            "consent_evaluation", "string", "Current answer: use their reflections in the evaluation", allowed=CONSENT
        ),
        Column("consent_quote", "string", "Current answer: quote their words anonymously", allowed=CONSENT),
        Column("consent_interview", "string", "Current answer: contact them about an interview", allowed=CONSENT),
    )
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
    rows = []
    for p in cohort.participants:
        area = NOT_SAID if p.area is None or p.area is Area.PREFER_NOT_TO_SAY else p.area.value
        rows.append(
            (
                alias(p.user_id),
                p.community or None,
                area,
                group_of(area),
                p.role.value if p.role else None,
                p.active,
                _date(p.joined_at, zone),
                _date(p.left_at, zone),
                attended.get(p.user_id, 0),
                given.get(p.user_id, 0),
                cohort.consent_state(p.user_id, ConsentPurpose.EVALUATION),
                cohort.consent_state(p.user_id, ConsentPurpose.QUOTE),
                cohort.consent_state(p.user_id, ConsentPurpose.INTERVIEW),
            )
        )
    rows.sort(key=lambda r: str(r[0]))
    return Table(ExportKind.PARTICIPANTS, "One row per registered participant", columns, tuple(rows))


def attendance_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per person × session attended."""
    columns = (
        PSEUDONYM,
        SESSION_NUMBER,
        SESSION_TITLE,
        Column("source", "string", "How their attendance was first recorded", allowed=SOURCES),
        Column("sources", "string", "Every way it was recorded, separated by ;", allowed=SOURCES + " (joined by ;)"),
        *_times("first_recorded_at", "When their attendance was first recorded"),
        Column("registered", "boolean", "true when the person is in participants (facilitators may be marked present)"),
    )
    zone = cohort.zone
    registered = {p.user_id for p in cohort.participants}
    order = [s.value for s in AttendanceSource]
    grouped: dict[tuple[int, int], list] = defaultdict(list)
    for row in cohort.attendance:
        grouped[(row.session_id, row.user_id)].append(row)
    rows = []
    for (session_id, user_id), records in grouped.items():
        session = cohort.sessions_by_id.get(session_id)
        if session is None:
            continue
        records.sort(key=lambda r: (r.recorded_at, order.index(r.source.value)))
        sources = sorted({r.source.value for r in records}, key=order.index)
        rows.append(
            (
                alias(user_id),
                session.number,
                session.title,
                records[0].source.value,
                ";".join(sources),
                _stamp(records[0].recorded_at),
                _local(records[0].recorded_at, zone),
                user_id in registered,
            )
        )
    rows.sort(key=lambda r: (int(r[1] or 0), str(r[0])))
    return Table(ExportKind.ATTENDANCE, "One row per person and session attended", columns, tuple(rows))


def responses_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per consenting person × session × question."""
    columns = (
        PSEUDONYM,
        SESSION_NUMBER,
        SESSION_TITLE,
        Column("question_id", "string", "The question's place in the form", allowed="q1 | q2 | q3 | q4 | q5"),
        Column("question_label", "string", "The question as participants saw it"),
        Column(
            "question_kind",
            "string",
            "Which answer column is used: text kinds → answer_text, choice → "
            "answer_choice, rating → answer_rating, checkbox → answer_checked",
            allowed=KINDS,
        ),
        Column("answer_text", "string", "A free-text answer, verbatim (empty after retention)", identifying=True),
        Column("answer_choice", "string", "The option chosen"),
        Column("answer_rating", "integer", "The rating given", allowed="1 | 2 | 3 | 4 | 5"),
        Column("answer_checked", "boolean", "Whether the box was ticked (the quote box gives quote permission)"),
        *_times("submitted_at", "When the reflection was first submitted"),
        *_times("updated_at", "When it was last changed"),
    )
    zone = cohort.zone
    rows = []
    for record in cohort.responses:
        if not cohort.consents(record.user_id, ConsentPurpose.EVALUATION):
            continue
        session = cohort.sessions_by_id.get(record.session_id)
        if session is None:
            continue
        for answer in record.answers:
            value = answer.value
            kind = answer.kind
            text = value if kind.is_text and isinstance(value, str) and value else None
            choice = value if kind is QuestionKind.CHOICE and isinstance(value, str) and value else None
            is_number = isinstance(value, int) and not isinstance(value, bool)
            rating = value if kind is QuestionKind.RATING and is_number else None
            checked = value if kind is QuestionKind.CHECKBOX and isinstance(value, bool) else None
            rows.append(
                (
                    alias(record.user_id),
                    session.number,
                    session.title,
                    answer.field_id,
                    answer.label,
                    kind.value,
                    text,
                    choice,
                    rating,
                    checked,
                    _stamp(record.submitted_at),
                    _local(record.submitted_at, zone),
                    _stamp(record.updated_at),
                    _local(record.updated_at, zone),
                )
            )
    rows.sort(key=lambda r: (int(r[1] or 0), str(r[0]), str(r[3])))
    return Table(
        ExportKind.RESPONSES, "One row per person, session and question (consenting people only)", columns, tuple(rows)
    )


def resources_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per shared resource."""
    columns = (
        Column("resource_id", "integer", "Blether's number for the item (not a person's id)"),
        Column("shared_by", "string", "The sharer's pseudonym"),
        Column("url", "string", "The link shared", identifying=True),
        Column("title", "string", "The title the sharer gave (free text)", identifying=True),
        Column("note", "string", "The sharer's note (free text; empty after the retention period)", identifying=True),
        Column("tags", "string", "Tags, separated by ;"),
        Column("included", "boolean", "false when facilitators left it out of the Flash Report"),
        Column("flash_report_issue", "integer", "The Flash Report it went out in (empty while it waits)"),
        *_times("shared_at", "When it was shared"),
    )
    zone = cohort.zone
    rows = tuple(
        (
            item.id,
            alias(item.author_id) if item.author_id is not None else None,
            item.url,
            item.title or None,
            item.note or None,
            ";".join(item.tags) or None,
            item.included,
            item.issue_number,
            _stamp(item.created_at),
            _local(item.created_at, zone),
        )
        for item in cohort.items(ItemKind.RESOURCE)
    )
    return Table(ExportKind.RESOURCES, "One row per shared resource", columns, rows)


def stories_table(cohort: Cohort, alias: Callable[[int], str | None]) -> Table:
    """Return one row per story of change whose author currently consents to the evaluation."""
    columns = (
        Column("story_id", "integer", "Blether's number for the story (not a person's id)"),
        PSEUDONYM,
        Column("story_text", "string", "The story, verbatim (empty after the retention period)", identifying=True),
        Column("credit_by_name", "boolean", "Whether the author asked to be named when it is published"),
        Column("included", "boolean", "false when facilitators left it out of the Flash Report"),
        Column("flash_report_issue", "integer", "The Flash Report it went out in (empty while it waits)"),
        *_times("shared_at", "When it was shared"),
    )
    zone = cohort.zone
    rows = tuple(
        (
            item.id,
            alias(item.author_id),
            item.text or None,
            item.credit_by_name,
            item.included,
            item.issue_number,
            _stamp(item.created_at),
            _local(item.created_at, zone),
        )
        for item in cohort.items(ItemKind.STORY)
        if item.author_id is not None and cohort.consents(item.author_id, ConsentPurpose.EVALUATION)
    )
    return Table(ExportKind.STORIES, "One row per story of change (consenting authors only)", columns, rows)


ORDER = (
    ExportKind.SESSIONS,
    ExportKind.PARTICIPANTS,
    ExportKind.ATTENDANCE,
    ExportKind.RESPONSES,
    ExportKind.RESOURCES,
    ExportKind.STORIES,
)


def build_tables(cohort: Cohort, key: str, kind: ExportKind) -> tuple[Table, ...]:
    """Return the tables of an export kind (all six for ALL), with people pseudonymised under key."""
    alias = Pseudonymiser(key, cohort.guild_id)
    builders: dict[ExportKind, Callable[[], Table]] = {
        ExportKind.SESSIONS: lambda: sessions_table(cohort),
        ExportKind.PARTICIPANTS: lambda: participants_table(cohort, alias),
        ExportKind.ATTENDANCE: lambda: attendance_table(cohort, alias),
        ExportKind.RESPONSES: lambda: responses_table(cohort, alias),
        ExportKind.RESOURCES: lambda: resources_table(cohort, alias),
        ExportKind.STORIES: lambda: stories_table(cohort, alias),
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

Consent: responses and stories hold only people whose current evaluation consent is yes. participants lists
everyone registered with their consent answers; attendance and sessions are counts of who took part.

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
        for name, data in [
            (README_FILE, readme(cohort, tables, fmt)),
            *[(t.filename(fmt), encode(t, fmt)) for t in tables],
            (DICTIONARY_FILE, dictionary.data),
        ]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    day = cohort.generated_at.astimezone(cohort.zone).strftime("%Y-%m-%d")
    archive_file = FileAttachment(
        f"blether-evaluation-{day}.zip", buffer.getvalue(), "Every evaluation table with its data dictionary"
    )
    return ExportResult((archive_file,), rows, kind, fmt)
