"""The shell's learning outcomes, questionnaires, small groups, coach and connect commands, as on Discord."""

from tests.shell.conftest import SETUP, Driven

PEOPLE = ("as morag /join community:Oban", "as iain /join community:Mull", "as ailsa /join community:Skye")


async def test_learning_outcomes_are_added_edited_and_listed(driven: Driven) -> None:
    """Outcomes go through the programme service: numbered, changed in place, and refused to participants."""
    assert await driven.run(SETUP, '/programme outcomes add text:"Value volunteering"')
    assert await driven.run('/programme outcomes edit number:1 text:"Value and support volunteering"')
    mark = len(driven.transcript())
    assert await driven.run("/programme outcomes list")
    assert "Learning outcomes (1 of at most 8)" in driven.since(mark)
    assert "1. Value and support volunteering" in driven.since(mark)
    assert not await driven.run('as morag /programme outcomes add text:"x"')
    assert "Only facilitators" in driven.since(mark)


async def test_a_questionnaire_is_answered_page_by_page(driven: Driven) -> None:
    """Start opens page 1, Continue the next; each page is saved and the last shows the summary."""
    assert await driven.run(SETUP, '/programme outcomes add text:"Value volunteering"', *PEOPLE, "as facilitator")
    assert await driven.run("/questionnaire create template:end-of-programme name:Endline")
    assert await driven.run("/questionnaire open name:Endline", "wait 2m")
    assert "Questionnaire: Endline" in driven.transcript()
    mark = len(driven.transcript())
    assert await driven.run("as morag press Start", "> 2", "> 4")
    assert "Saved page 1. Next: page 2 of 3." in driven.since(mark)
    assert await driven.run("as morag press Continue", "> 4", "> 5", "> 3", "> It changed a lot", "> More tea")
    assert await driven.run("as morag press Continue", "> yes")
    assert "Thank you — your answers to Endline" in driven.since(mark)
    assert "Value volunteering: 4 of 5" in driven.since(mark)
    mark = len(driven.transcript())
    assert await driven.run("as facilitator", "/questionnaire status name:Endline")
    assert "1 started and 1 finished" in driven.since(mark)


async def test_groups_are_proposed_created_and_their_threads_posted(driven: Driven) -> None:
    """Create turns the proposal into groups; each gets a private thread in the groups channel, made by `wait`."""
    setup = SETUP + " groups_channel:#general"
    assert await driven.run(
        setup, *PEOPLE, "as facilitator", '/session add number:1 title:Mapping starts:"2027-01-14 18:30"'
    )
    assert not await driven.run("as morag /groups make session:1")
    assert "Only facilitators" in driven.transcript()
    assert await driven.run("as facilitator", "/groups make session:1 size:3 from:participants")
    assert "Proposed groups — Session 1: Mapping" in driven.transcript()
    mark = len(driven.transcript())
    assert await driven.run("press Create", "wait 1m")
    after = driven.since(mark)
    assert "Created. Each group's private thread is on its way" in after
    assert "── #Session 1 · Group 1 · g1" in after and "Welcome to Group 1 of Session 1: Mapping" in after
    mark = len(driven.transcript())
    assert await driven.run("/groups show session:1")
    assert "#Session 1 · Group 1 · g1" in driven.since(mark)
    assert await driven.run("/groups dissolve session:1")
    assert "Dissolved 1 group; their threads are archived." in driven.since(mark)


async def test_a_proposal_is_shuffled_then_cancelled_by_its_buttons(driven: Driven) -> None:
    """Shuffle shows a new proposal in place; Cancel closes it and no groups are made."""
    assert await driven.run(
        SETUP, *PEOPLE, "as facilitator", '/session add number:1 title:Mapping starts:"2027-01-14 18:30"'
    )
    assert await driven.run("/groups make session:1 size:3 from:participants", "press Shuffle")
    mark = len(driven.transcript())
    assert await driven.run("press Cancel")
    assert "Cancelled: no groups were made." in driven.since(mark)
    assert not await driven.run("/groups show session:1")


async def test_connect_is_switched_on_and_off(driven: Driven) -> None:
    """/connect on and off answer as on Discord."""
    assert await driven.run(SETUP, PEOPLE[0])
    mark = len(driven.transcript())
    assert await driven.run("as morag /connect on")
    assert "every couple of weeks Blether introduces you" in driven.since(mark)
    assert await driven.run("as morag /connect off")
    assert "Introductions are off." in driven.since(mark)
