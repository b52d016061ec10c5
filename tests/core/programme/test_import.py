"""Importing sessions from CSV and YAML: all rows or none, every problem with its line number."""

import pytest

from bot.core.programme.domain import LocationKind, Programme
from bot.core.programme.errors import ImportFileError
from bot.core.programme.service import ProgrammeService
from bot.core.storage.database import Database
from tests.core.programme.conftest import FACILITATOR, GUILD, VOICE, deliveries

VALID_CSV = f"""number,theme,start,duration,location,description,speaker
1,Welcome,2026-02-05 18:30,90,https://meet.example.org/a,"Getting to know each other, and the programme",Fran
2,Grief and loss,2026-03-05 18:30,,<#{VOICE}>,,
3,"Carers, caring",2026-04-02 18:30,120,voice:{VOICE},"Line one
line two",Dr Ada
""".encode()

VALID_YAML = f"""
sessions:
  - number: 1
    title: Welcome
    start: 2026-02-05 18:30
    location: https://meet.example.org/a
    description: |
      Getting to know each other.
      And the programme.
  - number: 2
    title: "Grief: and loss"
    start: "2026-03-05 18:30"
    duration: 60
    location: "<#{VOICE}>"
    speaker: Dr Ada
""".encode()

BAD_CSV = b"""number,title,start,duration,location
1,Welcome,2026-02-05 18:30,90,https://meet.example.org/a
2,Grief,2026-13-05 18:30,90,https://meet.example.org/a
3,Carers,2026-04-02 18:30,90,https://meet.example.org/a
4,Schools,2026-05-07 18:30,9000,https://meet.example.org/a
5,Work,2026-06-04 18:30,90,ftp://example.org
"""


async def test_valid_csv_imports_every_row(service: ProgrammeService, programme: Programme, database: Database) -> None:
    """A valid CSV (with an alias column, quoted commas and a multi-line cell) imports all rows."""
    result = await service.import_sessions(FACILITATOR, VALID_CSV, "sessions.csv")
    sessions = result.sessions
    assert [s.number for s in sessions] == [1, 2, 3]
    assert sessions[2].title == "Carers, caring" and sessions[2].description == "Line one\nline two"
    assert sessions[1].duration_minutes == 90 and sessions[1].location_kind == LocationKind.VOICE
    assert sessions[2].duration_minutes == 120 and sessions[2].speaker == "Dr Ada"
    assert len(await deliveries(database, kind="session_reminder")) == 9


async def test_valid_yaml_imports_every_row(service: ProgrammeService, programme: Programme) -> None:
    """A valid YAML file imports all rows; dates stay local text, not YAML timestamps."""
    result = await service.import_sessions(FACILITATOR, VALID_YAML, "sessions.yaml")
    first, second = result.sessions
    assert first.starts_at.hour == 18 and first.description == "Getting to know each other.\nAnd the programme."
    assert second.title == "Grief: and loss" and second.duration_minutes == 60
    assert second.starts_at.hour == 18 and second.location_channel_id == VOICE


async def test_a_file_with_three_bad_rows_imports_nothing_and_lists_them(
    service: ProgrammeService, programme: Programme, database: Database
) -> None:
    """Three bad rows: nothing stored, each reported with its line number."""
    with pytest.raises(ImportFileError) as caught:
        await service.import_sessions(FACILITATOR, BAD_CSV, "sessions.csv")
    issues = caught.value.issues
    assert [i.line for i in issues] == [3, 5, 6]
    assert "YYYY-MM-DD" in issues[0].message and "minutes" in issues[1].message and "link" in issues[2].message
    assert caught.value.problems[0].startswith("line 3: ")
    assert await service.list_sessions(GUILD) == []
    assert await deliveries(database) == []


async def test_yaml_problems_carry_their_lines(service: ProgrammeService, programme: Programme) -> None:
    """YAML problems point at the line of the session or field."""
    text = b"""- number: 1
  title: Welcome
  start: 2026-02-05 18:30
- number: 1
  title: Again
  start: 2026-02-06 18:30
- number: x
  title: Third
  start: 2026-02-07 18:30
  colour: blue
"""
    with pytest.raises(ImportFileError) as caught:
        await service.import_sessions(FACILITATOR, text, "s.yml")
    lines = sorted(i.line for i in caught.value.issues)
    assert lines == [4, 7, 10]
    assert any("used twice (also on line 1)" in i.message for i in caught.value.issues)


async def test_existing_numbers_and_duplicates_in_the_file_are_reported(
    service: ProgrammeService, programme: Programme
) -> None:
    """Numbers already used in the programme or twice in the file are problems too."""
    await service.import_sessions(FACILITATOR, b"number,title,start\n1,First,2026-02-05 18:30\n", "a.csv")
    text = b"number,title,start\n1,Clash,2026-03-05 18:30\n2,Ok,2026-04-05 18:30\n2,Twice,2026-05-05 18:30\n"
    with pytest.raises(ImportFileError) as caught:
        await service.import_sessions(FACILITATOR, text, "b.csv")
    assert [i.line for i in caught.value.issues] == [2, 4]
    assert len(await service.list_sessions(GUILD)) == 1


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"x" * (256 * 1024 + 1), "limit is 256 KiB"),
        (b"number,title,start\n" + b"".join(b"%d,T,2026-03-01 10:00\n" % i for i in range(1, 102)), "at most 100"),
        (b"number,title,when,colour\n1,a,2026-03-01 10:00,red\n", 'unknown column "colour"'),
        (b"number,title\n1,a\n", 'no "start" column'),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"", "no sessions"),
    ],
)
async def test_file_level_problems(service: ProgrammeService, programme: Programme, data: bytes, fragment: str) -> None:
    """Size, row count, header and encoding problems are reported before any row."""
    with pytest.raises(ImportFileError) as caught:
        await service.import_sessions(FACILITATOR, data, "s.csv")
    assert fragment in str(caught.value) + " ".join(caught.value.problems)


async def test_invalid_yaml_reports_its_line(service: ProgrammeService, programme: Programme) -> None:
    """Broken YAML says where."""
    with pytest.raises(ImportFileError) as caught:
        await service.import_sessions(FACILITATOR, b"- number: 1\n  title: [unclosed\n", "s.yaml")
    assert caught.value.issues[0].line >= 2


async def test_dry_run_checks_without_storing(service: ProgrammeService, programme: Programme) -> None:
    """A dry run validates the file and stores nothing."""
    result = await service.import_sessions(FACILITATOR, VALID_CSV, "sessions.csv", dry_run=True)
    assert result.dry_run and result.sessions == ()
    assert await service.list_sessions(GUILD) == []
