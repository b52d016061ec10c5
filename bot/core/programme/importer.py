"""Read a CSV or YAML file of sessions into drafts, remembering each row's line number.

This module only reads the file and converts the text of each cell; the service then checks every
draft against the programme (time zone, numbers already used, dates in the past) and imports all
rows or none. YAML is read as a node tree (never constructed into Python objects), so "2026-10-01
18:30" stays the text the facilitator typed and nothing in the file can run code.
"""

import csv
import io
import re
from dataclasses import dataclass
from pathlib import PurePath

import yaml

from bot.core.programme.domain import DEFAULT_DURATION_MINUTES, SessionDraft
from bot.core.programme.errors import ImportFileError, ImportProblem

MAX_FILE_BYTES = 256 * 1024
MAX_ROWS = 100

COLUMNS = ("number", "title", "start", "duration", "location", "description", "speaker", "outcome")
SESSION_COLUMNS = COLUMNS[:-1]
REQUIRED = ("number", "title", "start")
_ALIASES = {
    "number": "number",
    "no": "number",
    "session": "number",
    "session_number": "number",
    "#": "number",
    "title": "title",
    "theme": "title",
    "start": "start",
    "starts": "start",
    "starts_at": "start",
    "start_time": "start",
    "when": "start",
    "duration": "duration",
    "duration_minutes": "duration",
    "minutes": "duration",
    "location": "location",
    "where": "location",
    "link": "location",
    "url": "location",
    "description": "description",
    "details": "description",
    "speaker": "speaker",
    "speakers": "speaker",
    "host": "speaker",
    "outcome": "outcome",
    "learning_outcome": "outcome",
}


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row of the file: its line, its cells by canonical column name, and each cell's own line."""

    line: int
    cells: dict[str, str]
    cell_lines: dict[str, int]

    def line_of(self, column: str) -> int:
        """Return the line of a cell (the row's line when unknown)."""
        return self.cell_lines.get(column, self.line)

    @property
    def is_outcome(self) -> bool:
        """Whether the row names a learning outcome."""
        return bool(self.cells.get("outcome", "").strip())

    @property
    def has_session_cells(self) -> bool:
        """Whether the row has any session cell filled in."""
        return any(self.cells.get(column, "").strip() for column in SESSION_COLUMNS)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """One learning outcome named in the file, with its line."""

    line: int
    text: str


def _column(name: str) -> str | None:
    return _ALIASES.get(re.sub(r"[\s\-]+", "_", name.strip().lower()))


def _expected() -> str:
    return ", ".join(COLUMNS)


def detect_format(data: bytes, filename: str | None) -> str:
    """Return "csv" or "yaml" from the file name, or by looking at the text when the name does not say."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    head = data[:2048].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if head.startswith(("-", "sessions:", "---")):
        return "yaml"
    return "csv"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            [ImportProblem(line, "this is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)")]
        ) from error


def read_file(
    data: bytes, filename: str | None = None
) -> tuple[list[ImportRow], list[ImportOutcome], list[ImportProblem]]:
    """Read the session rows and learning outcomes of a CSV or YAML file, and the problems of single rows.

    YAML: a list of sessions, or a mapping with sessions: and/or outcomes: (a list of short texts).
    CSV: an optional outcome column; a row with an outcome adds it, and is a session only when it has
    session cells too. Raise ImportFileError for problems with the file as a whole (size, encoding,
    syntax, header).
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            [ImportProblem(0, f"The file is {len(data) // 1024} KiB; the limit is {MAX_FILE_BYTES // 1024} KiB.")],
            headline="Nothing was imported: the file is too big.",
        )
    text = _decode(data)
    rows, problems = _read_yaml(text) if detect_format(data, filename) == "yaml" else _read_csv(text)
    outcomes = [ImportOutcome(row.line_of("outcome"), row.cells["outcome"]) for row in rows if row.is_outcome]
    rows = [row for row in rows if not row.is_outcome or row.has_session_cells]
    if not rows and not problems and not outcomes:
        raise ImportFileError([ImportProblem(0, "The file has no sessions in it.")])
    if len(rows) > MAX_ROWS:
        raise ImportFileError(
            [ImportProblem(0, f"The file has {len(rows)} sessions; at most {MAX_ROWS} can be imported at once.")],
            headline="Nothing was imported: the file has too many rows.",
        )
    return rows, outcomes, problems


def _read_csv(text: str) -> tuple[list[ImportRow], list[ImportProblem]]:
    first_line = text.split("\n", 1)[0]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    problems: list[ImportProblem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as error:
        raise ImportFileError([ImportProblem(1, f"the header could not be read ({error})")]) from error
    columns: list[str | None] = []
    for name in header:
        column = _column(name)
        if column is None and name.strip():
            problems.append(ImportProblem(1, f'unknown column "{name.strip()[:40]}" (expected: {_expected()})'))
        elif column is not None and column in columns:
            problems.append(ImportProblem(1, f'the column "{column}" appears twice'))
        columns.append(column)
    only_outcomes = [c for c in columns if c is not None] == ["outcome"]
    for required in REQUIRED:
        if required not in columns and not only_outcomes:
            problems.append(ImportProblem(1, f'the header has no "{required}" column (expected: {_expected()})'))
    if problems:
        raise ImportFileError(problems)
    rows: list[ImportRow] = []
    last_line = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ImportFileError([ImportProblem(last_line + 1, f"this row could not be read ({error})")]) from error
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(columns):
            problems.append(ImportProblem(line, f"this row has {len(record)} cells but the header has {len(columns)}"))
            continue
        cells = {col: value.strip() for col, value in zip(columns, record, strict=False) if col is not None}
        rows.append(ImportRow(line, cells, {}))
    return rows, problems


def _scalar_text(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.tag == "tag:yaml.org,2002:null" or (node.style is None and node.value in ("~", "null", "Null", "NULL")):
        return ""
    return str(node.value)


def _read_yaml(text: str) -> tuple[list[ImportRow], list[ImportProblem]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(error, "problem", None) or str(error)
        raise ImportFileError([ImportProblem(line, f"this is not valid YAML ({problem})")]) from error
    if root is None:
        return [], []
    items = root
    outcome_rows: list[ImportRow] = []
    if isinstance(root, yaml.MappingNode):
        found = [value for key, value in root.value if _scalar_text(key) == "sessions"]
        listed = [value for key, value in root.value if _scalar_text(key) == "outcomes"]
        others = [key for key, _ in root.value if _scalar_text(key) not in ("sessions", "outcomes")]
        if others or len(found) > 1 or len(listed) > 1 or not (found or listed):
            raise ImportFileError(
                [
                    ImportProblem(
                        root.start_mark.line + 1,
                        "the file should be a list of sessions, or have the keys sessions: and outcomes:",
                    )
                ]
            )
        if listed:
            outcome_rows = _yaml_outcomes(listed[0])
        if not found:
            return outcome_rows, []
        items = found[0]
    if not isinstance(items, yaml.SequenceNode):
        raise ImportFileError(
            [ImportProblem(items.start_mark.line + 1, "expected a list of sessions (lines starting with -)")]
        )
    rows: list[ImportRow] = []
    problems: list[ImportProblem] = []
    for item in items.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(
                ImportProblem(line, "each session should be a set of fields such as number:, title:, start:")
            )
            continue
        cells: dict[str, str] = {}
        cell_lines: dict[str, int] = {}
        for key_node, value_node in item.value:
            key = _scalar_text(key_node) or ""
            column = _column(key)
            key_line = key_node.start_mark.line + 1
            if column is None:
                problems.append(ImportProblem(key_line, f'unknown field "{key[:40]}" (expected: {_expected()})'))
                continue
            if column in cells:
                problems.append(ImportProblem(key_line, f'the field "{column}" appears twice in this session'))
                continue
            value = _scalar_text(value_node)
            if value is None:
                problems.append(ImportProblem(key_line, f'"{key}" should be plain text, not a list or a set of fields'))
                continue
            cells[column] = value.strip()
            cell_lines[column] = key_line
        rows.append(ImportRow(line, cells, cell_lines))
    return outcome_rows + rows, problems


def _yaml_outcomes(node: yaml.Node) -> list[ImportRow]:
    if not isinstance(node, yaml.SequenceNode):
        raise ImportFileError(
            [ImportProblem(node.start_mark.line + 1, "outcomes: should be a list (lines starting with -)")]
        )
    rows: list[ImportRow] = []
    for item in node.value:
        line = item.start_mark.line + 1
        value = _scalar_text(item)
        if value is None or not value.strip():
            raise ImportFileError([ImportProblem(line, "each outcome should be a short line of text")])
        rows.append(ImportRow(line, {"outcome": value.strip()}, {"outcome": line}))
    return rows


def _whole_number(text: str) -> int | None:
    cleaned = text.strip()
    return int(cleaned) if re.fullmatch(r"\d{1,6}", cleaned) else None


def rows_to_drafts(rows: list[ImportRow]) -> tuple[list[tuple[ImportRow, SessionDraft]], list[ImportProblem]]:
    """Convert each row's text into a SessionDraft; return the drafts and every problem found on the way."""
    drafts: list[tuple[ImportRow, SessionDraft]] = []
    problems: list[ImportProblem] = []
    for row in rows:
        row_problems: list[ImportProblem] = []
        for required in REQUIRED:
            if not row.cells.get(required, "").strip():
                row_problems.append(ImportProblem(row.line_of(required), f"the {required} is missing"))
        number = _whole_number(row.cells.get("number", "")) if row.cells.get("number") else None
        if row.cells.get("number") and number is None:
            row_problems.append(
                ImportProblem(row.line_of("number"), f'the number "{row.cells["number"][:20]}" is not a whole number')
            )
        duration_text = row.cells.get("duration", "").strip().removesuffix("min").removesuffix("minutes").strip()
        duration = DEFAULT_DURATION_MINUTES
        if duration_text:
            parsed = _whole_number(duration_text)
            if parsed is None:
                row_problems.append(
                    ImportProblem(
                        row.line_of("duration"), f'the duration "{duration_text[:20]}" is not a number of minutes'
                    )
                )
            else:
                duration = parsed
        if row_problems:
            problems.extend(row_problems)
            continue
        drafts.append(
            (
                row,
                SessionDraft(
                    number=number or 0,
                    title=row.cells.get("title", ""),
                    starts=row.cells.get("start", ""),
                    duration_minutes=duration,
                    location=row.cells.get("location") or None,
                    description=row.cells.get("description", ""),
                    speaker=row.cells.get("speaker", ""),
                ),
            )
        )
    return drafts, problems
