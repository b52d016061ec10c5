"""The shell as a second adapter: the same permission checks, buttons by number, forms, scripts' exit codes."""

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.programme.domain import Programme
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.storage.database import Database
from bot.shell.runner import Plan, open_shell, run_script
from bot.shell.world import NotAShellDatabaseError
from tests.shell.conftest import SETUP, Driven

SESSION = '/session add number:1 title:"Mapping" starts:"2027-01-14 18:30" location:https://meet.example.org/x'


async def test_a_participant_is_refused_a_facilitator_command_with_the_core_message(driven: Driven) -> None:
    """The service refuses morag at run time with the same words as on Discord, and nothing is added."""
    assert await driven.run(SETUP)
    mark = len(driven.transcript())
    assert not await driven.run('as morag /session add number:1 title:"x" starts:"2027-02-01 18:30"')
    assert "✖ Only facilitators can add sessions — ask someone with the Facilitator role or Manage Events." in (
        driven.since(mark)
    )
    assert await driven.shell.services.programme.list_sessions(driven.shell.world.guild_id) == []


async def test_a_session_option_on_a_facilitator_command_checks_the_caller_first(driven: Driven) -> None:
    """As on Discord, someone who may not use the command does not learn which session numbers exist."""
    assert await driven.run(SETUP)
    mark = len(driven.transcript())
    assert not await driven.run("as morag /session cancel session:9")
    assert "Only facilitators can use /session cancel" in driven.since(mark)


async def test_options_keep_discords_limits(driven: Driven) -> None:
    """A title over 100 characters, an unknown channel or a wrong choice is refused before the core."""
    assert await driven.run(SETUP)
    mark = len(driven.transcript())
    assert not await driven.run(f'/session add number:1 title:"{"x" * 101}" starts:"2027-02-01 18:30"')
    assert not await driven.run("/programme setup announcements:#nowhere")
    assert not await driven.run("as morag /reminders dm sometimes")
    out = driven.since(mark)
    assert "title takes at most 100 characters (that is 101)" in out
    assert "No channel called #nowhere here" in out
    assert "setting is one of: on, off" in out


async def test_buttons_are_pressed_by_number_and_private_ones_only_by_their_person(driven: Driven) -> None:
    """morag presses her consent button by number; callum cannot press it; a wrong number is refused."""
    assert await driven.run(SETUP, "as morag /join community:Oban")
    shown = driven.shell.timeline.messages[-1]
    number = next(n for n, b in shown.buttons if b.label == "Evaluation: Yes")
    mark = len(driven.transcript())
    assert not await driven.run(f"as callum press {number}")
    assert "only they can press it" in driven.since(mark)
    assert await driven.run(f"as morag press {number}")
    state = await driven.shell.services.participants.my_consent(
        driven.shell.world.actor(driven.shell.world.member("morag"))
    )
    assert state.granted(next(iter(state.answers)))
    assert not await driven.run("as morag press 999")


async def test_a_reflection_is_answered_question_by_question_and_saved(driven: Driven) -> None:
    """Pressing Reflect asks each question; the answers are saved and confirmed."""
    assert await driven.run(SETUP, SESSION, "as morag /join community:Oban", "wait until 2027-01-14 20:30")
    mark = len(driven.transcript())
    assert await driven.run("as morag press Reflect", "> 4", "> The maps", ">", "> Call the ferry crew", "> no")
    out = driven.since(mark)
    assert "? How valuable was this session for you?" in out
    assert "╭─ Reflection saved — thank you!" in out
    assert "★★★★☆ (4/5)" in out
    responses = await driven.shell.services.reflections.list_responses(driven.shell.world.guild_id)
    assert len(responses) == 1


async def test_a_bad_form_answer_is_refused_and_nothing_saved(driven: Driven) -> None:
    """A rating of 7 is not one of the options: the form is refused, as Discord's client would."""
    assert await driven.run(SETUP, SESSION, "as morag /join community:Oban", "wait until 2027-01-14 20:30")
    mark = len(driven.transcript())
    assert not await driven.run("as morag press Reflect", "> 7")
    assert "pick one of 1, 2, 3, 4, 5" in driven.since(mark)
    assert await driven.shell.services.reflections.list_responses(driven.shell.world.guild_id) == []


async def test_help_lists_what_the_person_may_use(driven: Driven) -> None:
    """A participant's help has /join but no facilitator command; the facilitator's has both."""
    assert await driven.run(SETUP)
    mark = len(driven.transcript())
    assert await driven.run("as morag help")
    participant = driven.since(mark)
    mark = len(driven.transcript())
    assert await driven.run("help")
    facilitator = driven.since(mark)
    assert "/join" in participant and "/session add" not in participant
    assert "/session add" in facilitator and "including facilitator commands" in facilitator


async def test_the_calendar_is_written_to_a_file_and_the_shell_says_where(driven: Driven, tmp_path: Path) -> None:
    """/calendar writes programme.ics into the files folder and names it."""
    assert await driven.run(SETUP, SESSION, "as morag /calendar")
    ics = tmp_path / "files" / "programme.ics"
    assert ics.read_text().startswith("BEGIN:VCALENDAR")
    assert "📎 wrote" in driven.transcript() and "programme.ics" in driven.transcript()


async def test_a_script_stops_at_a_failing_line_and_at_an_expected_failure_that_succeeds(driven: Driven) -> None:
    """Exit 1 for a failing line; exit 1 for a "!" line that succeeds; exit 0 when "!" lines do fail."""
    good = [(1, SETUP), (2, "! as morag /session cancel session:1"), (3, "/sessions")]
    assert await run_script(driven.shell, good, name="good") == 0
    assert await run_script(driven.shell, [(1, "/no-such-command")], name="bad") == 1
    assert "bad:1: this line failed; stopped here." in driven.transcript()
    assert await run_script(driven.shell, [(1, "! /sessions")], name="odd") == 1
    assert "odd:1: this line was expected to fail but did not" in driven.transcript()


async def test_a_chat_message_is_nominated_from_the_menu_and_by_a_facilitators_pin_only(driven: Driven) -> None:
    """`nominate N` adds a said message once; a participant's 📌 does nothing, a facilitator's nominates."""
    assert await driven.run(SETUP, "as morag /join community:Oban")
    assert await driven.run(
        "as morag say #general Have a look at https://example.org/guide", "as callum say #general Hi"
    )
    guide, hello = (m.message_id for m in driven.shell.timeline.messages if m.author_id is not None)
    assert f"── #general · message {guide} · Mon 4 Jan 2027 09:00 GMT" in driven.transcript()
    mark = len(driven.transcript())
    assert await driven.run(f"as callum nominate {guide}", f"as callum nominate {guide}", f"as callum pin {hello}")
    out = driven.since(mark)
    assert "Added that message to the next Flash Report (item #1)." in out
    assert "That message is already in the next Flash Report (item #1)." in out
    assert "nothing else happens" in out
    assert await driven.run(f"pin {hello}")
    assert "the message is item #2 of the next Flash Report" in driven.transcript()
    actor = driven.shell.world.actor(driven.shell.world.member("facilitator"))
    page = await driven.shell.services.flash.list_items(actor)
    assert [item.author_id for item in page.items] == [
        driven.shell.world.member("morag").id,
        driven.shell.world.member("callum").id,
    ]


async def test_files_are_written_for_their_owner_only(driven: Driven, tmp_path: Path) -> None:
    """/me data holds personal data: the file is 0600 in a 0700 folder, as the CLI's exports are."""
    assert await driven.run(SETUP, "as morag /join community:Oban", "as morag /me data")
    folder = tmp_path / "files"
    written = next(folder.glob("blether-my-data-*.json"))
    assert written.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700


async def test_a_bots_database_is_refused(tmp_path: Path, migrated_template: Path) -> None:
    """A database with a real server's programme is refused: the shell would take over its reminders."""
    db_path = tmp_path / "bot.db"
    shutil.copy(migrated_template, db_path)
    database = Database(f"sqlite+aiosqlite:///{db_path}")
    async with database.unit_of_work() as uow:
        await uow.repo(SqlProgrammeRepository).create(
            Programme(id=0, guild_id=123456789012345678), now=datetime(2027, 1, 1, tzinfo=UTC)
        )
        await uow.commit()
    await database.dispose()
    plan = Plan(db_path, tmp_path / "files", None, "test")
    with pytest.raises(NotAShellDatabaseError, match="holds the programme of a Discord server"):
        await open_shell(Settings.from_env({}, require_token=False), plan, stream=io.StringIO(), colour=False, width=80)


async def test_a_page_of_flash_items_is_excluded_with_its_button_and_a_persons_items_come_back(driven: Driven) -> None:
    """ "Exclude page" under /flash items updates the listing in place; /flash include-by brings them back."""
    assert await driven.run(
        SETUP, "as morag /join community:Oban", "as morag /share url:https://example.org/a", "/flash items"
    )
    mark = len(driven.transcript())
    assert await driven.run('press "Exclude page"')
    assert "1 item on this page excluded." in driven.since(mark) and "· excluded ·" in driven.since(mark)
    assert await driven.run("/flash include-by member:@morag")
    assert "1 waiting item of @morag is now in the next Flash Report." in driven.transcript()


async def test_a_member_who_leaves_is_inactive_their_items_held_until_they_rejoin(driven: Driven) -> None:
    """`leave` does what the Discord adapter does on a member's leaving: profile inactive, Flash items held."""
    assert await driven.run(SETUP, "as morag /join community:Oban", "as morag /share url:https://example.org/a")
    mark = len(driven.transcript())
    assert await driven.run("as morag leave")
    assert "@morag left the server (their profile is now inactive); 1 of their Flash Report items are held" in (
        driven.since(mark)
    )
    assert not await driven.run("as morag /sessions")
    assert "has left the server" in driven.transcript()
    assert await driven.run("as morag rejoin", "as morag /me profile")
    participant = await driven.shell.services.participants.get_participant(1, driven.shell.world.member("morag").id)
    assert participant is not None and participant.active
