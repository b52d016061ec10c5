"""Learning outcomes: /programme outcomes add|edit|remove|list and the outcomes: section of the import file."""

import pytest

from bot.core.errors import PermissionDeniedError
from bot.core.programme.domain import Programme
from bot.core.programme.errors import ImportFileError, OutcomeError
from bot.core.programme.service import ProgrammeService
from tests.core.programme.conftest import FACILITATOR, GUILD, PARTICIPANT


async def _outcomes(service: ProgrammeService) -> list:
    return list((await service.change_outcomes(FACILITATOR, "list")).outcomes)


FOUR = (
    "explore the personal attributes and conditions to re-imagine place",
    "understand how to work with different communities and their assets",
    "explore and adapt tools for engaging and influencing people",
    "value, empower, support and sustain volunteering",
)


async def test_add_edit_remove_list(service: ProgrammeService, programme: Programme) -> None:
    """Outcomes are numbered in order; removing one closes the gap; edits keep the place."""
    for text in FOUR:
        await service.change_outcomes(FACILITATOR, "add", text=text)
    changed = await service.change_outcomes(FACILITATOR, "edit", number=2, text="  work with  communities ")
    assert changed.outcome is not None and changed.outcome.text == "work with communities"
    removed = await service.change_outcomes(FACILITATOR, "remove", number=1)
    assert removed.outcome is not None and removed.outcome.text == FOUR[0]
    listed = await _outcomes(service)
    assert [(o.number, o.text) for o in listed] == [(1, "work with communities"), (2, FOUR[2]), (3, FOUR[3])]


async def test_limits_and_permissions(service: ProgrammeService, programme: Programme) -> None:
    """At most eight, 150 characters, no duplicates, no unknown numbers, facilitators only."""
    with pytest.raises(PermissionDeniedError):
        await service.change_outcomes(PARTICIPANT, "add", text="x")
    with pytest.raises(OutcomeError, match="limit is 150"):
        await service.change_outcomes(FACILITATOR, "add", text="x" * 151)
    for n in range(8):
        await service.change_outcomes(FACILITATOR, "add", text=f"outcome {n}")
    with pytest.raises(OutcomeError, match="already has that"):
        await service.change_outcomes(FACILITATOR, "edit", number=1, text="OUTCOME 2")
    with pytest.raises(OutcomeError, match="8 learning outcomes"):
        await service.change_outcomes(FACILITATOR, "add", text="ninth")
    with pytest.raises(OutcomeError, match="no learning outcome 9"):
        await service.change_outcomes(FACILITATOR, "remove", number=9)
    assert len(await _outcomes(service)) == 8


YAML = b"""
outcomes:
  - explore the personal attributes and conditions to re-imagine place
  - understand how to work with different communities and their assets
sessions:
  - number: 1
    title: Welcome
    start: 2030-02-05 18:30
"""


async def test_yaml_outcomes_import_with_sessions_and_twice_is_safe(
    service: ProgrammeService, programme: Programme
) -> None:
    """The outcomes: section adds outcomes beside the sessions; re-importing adds none twice."""
    result = await service.import_sessions(FACILITATOR, YAML, "programme.yaml")
    assert [s.number for s in result.sessions] == [1]
    assert "Added 2 learning outcomes." in result.notes
    only = b"outcomes:\n  - Explore the personal attributes and conditions to re-imagine place\n  - third one\n"
    await service.import_sessions(FACILITATOR, only, "more.yaml")
    assert [o.text for o in await _outcomes(service)][2:] == ["third one"]


async def test_csv_outcome_column(service: ProgrammeService, programme: Programme) -> None:
    """A CSV row with only an outcome cell adds an outcome; session rows still import."""
    data = (
        b'number,title,start,outcome\n,,,"value, empower, support and sustain volunteering"\n1,Hi,2030-02-05 18:30,\n'
    )
    result = await service.import_sessions(FACILITATOR, data, "p.csv")
    assert len(result.sessions) == 1
    assert [o.text for o in await _outcomes(service)] == [FOUR[3]]


async def test_too_many_outcomes_imports_nothing(service: ProgrammeService, programme: Programme) -> None:
    """Nine outcomes in a file refuse the whole import, sessions included."""
    lines = "".join(f"  - outcome {n}\n" for n in range(9))
    data = f"outcomes:\n{lines}sessions:\n  - number: 1\n    title: Hi\n    start: 2030-02-05 18:30\n".encode()
    with pytest.raises(ImportFileError) as raised:
        await service.import_sessions(FACILITATOR, data, "p.yaml")
    assert any("limit is 8" in p for p in raised.value.problems)
    assert await _outcomes(service) == [] and await service.list_sessions(GUILD) == []


async def test_shipped_example_imports_ten_sessions_and_four_outcomes(
    service: ProgrammeService, programme: Programme
) -> None:
    """docs/examples/programme-ten-sessions.yaml checks and imports as documented."""
    from pathlib import Path

    data = (Path(__file__).parents[3] / "docs" / "examples" / "programme-ten-sessions.yaml").read_bytes()
    result = await service.import_sessions(FACILITATOR, data, "programme-ten-sessions.yaml")
    assert [s.number for s in result.sessions] == list(range(1, 11))
    assert tuple(o.text for o in await _outcomes(service)) == FOUR
