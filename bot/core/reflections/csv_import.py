"""Read attendance files exported from Zoom or Teams and match their names to server members.

The file may be UTF-8 (with or without BOM) or UTF-16 (Teams), separated by commas, semicolons or tabs,
with a summary block above the participant table (Teams). The name column is found by its header.
Matching is all or nothing: a row that matches no member, or more than one, is a problem.
"""

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.reflections.domain import MemberName
from bot.core.reflections.errors import AttendanceImportError, ImportProblem
from bot.core.text import clean_text, one_line

MAX_FILE_BYTES = 2_000_000
MAX_ROWS = 5_000
NAME_HEADERS = (
    "name (original name)",
    "user name (original name)",
    "name",
    "participant",
    "participant name",
    "user name",
    "username",
    "display name",
    "full name",
)
_DISCRIMINATOR = re.compile(r"#\d{4}$")
_PARENS = re.compile(r"^(?P<outer>.*?)\s*\((?P<inner>[^()]*)\)\s*$")


@dataclass(frozen=True, slots=True)
class NameRow:
    """One name read from the file and the line it is on (1-based, as a spreadsheet shows it)."""

    line: int
    name: str


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if len(data) >= 4 and data[1] == 0 and data[3] == 0:  # UTF-16-LE without a BOM
        return data.decode("utf-16-le")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_key(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().strip('"').casefold().split())


def _delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter of the header line (the first line naming a known name column)."""
    for line in lines[:60]:
        for delimiter in ("\t", ";", ","):
            cells = [_header_key(c) for c in next(csv.reader([line], delimiter=delimiter), [])]
            if any(c in NAME_HEADERS for c in cells):
                return delimiter
    return ","


def read_names(data: bytes) -> list[NameRow]:
    """Return the names in an attendance file's name column, with their line numbers.

    Raises:
        AttendanceImportError: for an oversized or unreadable file, or one without a known name column.
    """
    if len(data) > MAX_FILE_BYTES:
        raise AttendanceImportError(
            [ImportProblem(0, f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")],
            headline="That file is too large for an attendance list.",
        )
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    delimiter = _delimiter(lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    column: int | None = None
    names: list[NameRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            if column is None:
                keys = [_header_key(c) for c in cells]
                found = [keys.index(h) for h in NAME_HEADERS if h in keys]
                if found:
                    column = found[0]
                continue
            if not any(c.strip() for c in cells):
                if names:
                    break  # end of the participant table (Teams puts more sections below)
                continue
            if column >= len(cells):
                continue
            name = cells[column].strip()
            if name:
                names.append(NameRow(line, name))
            if len(names) > MAX_ROWS:
                raise AttendanceImportError(
                    [ImportProblem(0, f"the file has more than {MAX_ROWS} rows")],
                    headline="That file is too long for an attendance list.",
                )
    except csv.Error as error:
        raise AttendanceImportError(
            [ImportProblem(reader.line_num, f"the file could not be read ({error})")],
            headline="That file is not a CSV I can read. Export the attendance list as CSV and try again.",
        ) from error
    if column is None:
        raise AttendanceImportError(
            [ImportProblem(0, "no name column")],
            headline=(
                'I could not find the column of names. The file needs a header such as "Name", '
                '"Name (Original Name)", "Participant", "User Name" or "Display name".'
            ),
        )
    return names


def name_key(name: str) -> str:
    """Fold a name for matching: case, accents' composition, spacing, a leading "@" and "#1234" do not matter."""
    text = unicodedata.normalize("NFKC", clean_text(name, keep_newlines=False)).casefold().strip()
    text = _DISCRIMINATOR.sub("", text.removeprefix("@")).strip()
    return " ".join(text.split())


def _candidates(name: str) -> list[str]:
    """Return the ways a file's name may be written: as is, then "Shown (Original)" split into its parts."""
    keys = [name_key(name)]
    match = _PARENS.match(name)
    if match:
        keys += [name_key(match["outer"]), name_key(match["inner"])]
    return [k for k in dict.fromkeys(keys) if k]


def _index(members: Iterable[MemberName]) -> dict[str, set[int]]:
    index: dict[str, set[int]] = defaultdict(set)
    for member in members:
        for name in (member.username, member.display_name, member.global_name):
            if name:
                key = name_key(name)
                if key:
                    index[key].add(member.user_id)
    return index


def match_names(rows: Sequence[NameRow], members: Sequence[MemberName]) -> dict[int, int]:
    """Return {line: user_id} for every row, or raise AttendanceImportError listing every row that failed.

    A row matches when exactly one member's username, display name or global name equals it (ignoring
    case and spacing); for "Shown (Original)" names the whole, then each part, is tried in turn.
    """
    index = _index(members)
    matched: dict[int, int] = {}
    problems: list[ImportProblem] = []
    for row in rows:
        shown = one_line(row.name, 80)
        found: set[int] = set()
        for key in _candidates(row.name):
            found = index.get(key, set())
            if found:
                break
        if len(found) == 1:
            matched[row.line] = next(iter(found))
        elif not found:
            problems.append(ImportProblem(row.line, f'"{shown}" matches no member of this server'))
        else:
            problems.append(
                ImportProblem(row.line, f'"{shown}" matches {len(found)} members; mark the right one by hand')
            )
    if problems:
        raise AttendanceImportError(problems)
    if not matched:
        raise AttendanceImportError(
            [ImportProblem(0, "no names")], headline="The file has a name column but no names in it."
        )
    return matched
