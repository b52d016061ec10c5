"""Attendance: check-in window, voice presence across rejoins and restarts, facilitator marks and CSV imports."""

from datetime import timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.errors import PermissionDeniedError
from bot.core.participants.errors import NotRegisteredError
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.reflections.attendance import AttendanceService
from bot.core.reflections.domain import AttendanceSource, MemberName
from bot.core.reflections.errors import AttendanceImportError, OutsideCheckInWindowError
from bot.core.storage.database import Database
from bot.discord_render import render
from tests.core.reflections.conftest import FACILITATOR, VOICE_CHANNEL, add_session, join, member

MEMBERS = [
    MemberName(1, "ailsa.m", "Ailsa MacLeod", "Ailsa"),
    MemberName(2, "dougie_r", "Dougie", None),
    MemberName(3, "morag", "Morag from Skye", "Morag Campbell"),
    MemberName(4, "jo1", "Jo", None),
    MemberName(5, "jo2", "Jo", None),
]


@pytest.fixture
async def session(database: Database, clock: ManualClock, programme: Programme, participants: ParticipantService):
    """A 90-minute voice session tomorrow at 18:00, and participants 1-3."""
    await join(participants, 1, 2, 3)
    return await add_session(database, clock, voice=True)


async def test_check_in_window_edges(
    attendance: AttendanceService, clock: ManualClock, session, database: Database
) -> None:
    """Check-in opens 15 minutes before the start and closes 2 hours after the end, both edges included."""
    clock.set(session.starts_at - timedelta(minutes=15, seconds=1))
    with pytest.raises(OutsideCheckInWindowError) as caught:
        await attendance.check_in(member(1), session.id)
    shown = render(caught.value.message)  # as the one error mapping shows it on Discord
    assert f"<t:{int((session.starts_at - timedelta(minutes=15)).timestamp())}:F>" in shown
    assert f"<t:{int((session.ends_at + timedelta(hours=2)).timestamp())}:F>" in shown
    clock.set(session.starts_at - timedelta(minutes=15))
    assert not (await attendance.check_in(member(1), session.id)).already
    clock.set(session.ends_at + timedelta(hours=2))
    assert not (await attendance.check_in(member(2), session.id)).already
    clock.set(session.ends_at + timedelta(hours=2, seconds=1))
    with pytest.raises(OutsideCheckInWindowError):
        await attendance.check_in(member(3), session.id)


async def test_check_in_is_idempotent_and_needs_a_participant(
    attendance: AttendanceService, clock: ManualClock, session
) -> None:
    """A second check-in reports already; someone who has not joined is told to /join."""
    clock.set(session.starts_at)
    assert not (await attendance.check_in(member(1), session.id)).already
    assert (await attendance.check_in(member(1), session.id)).already
    with pytest.raises(NotRegisteredError):
        await attendance.check_in(member(42), session.id)
    listed = await attendance.attendance(FACILITATOR, session.id)
    assert listed.count == 1
    assert listed.sources == {1: (AttendanceSource.CHECK_IN,)}


async def test_voice_presence_of_six_and_five_minutes_across_a_rejoin_counts(
    attendance: AttendanceService, clock: ManualClock, session
) -> None:
    """Stays add up: 6 minutes, a break, then 5 more reach the 10-minute mark."""
    start = session.starts_at
    guild = session.guild_id
    await attendance.voice_update(guild, 1, VOICE_CHANNEL, start)
    assert await attendance.voice_update(guild, 1, None, start + timedelta(minutes=6)) == set()
    await attendance.voice_update(guild, 1, VOICE_CHANNEL, start + timedelta(minutes=20))
    attended = await attendance.voice_update(guild, 1, None, start + timedelta(minutes=25))
    assert attended == {session.id}
    clock.set(start + timedelta(minutes=30))
    listed = await attendance.attendance(FACILITATOR, session.id)
    assert listed.user_ids == (1,)
    assert listed.sources[1] == (AttendanceSource.VOICE,)


async def test_nine_minutes_of_voice_presence_does_not_count(
    attendance: AttendanceService, clock: ManualClock, session
) -> None:
    """Nine minutes in the channel is not attendance."""
    guild = session.guild_id
    await attendance.voice_update(guild, 2, VOICE_CHANNEL, session.starts_at)
    assert await attendance.voice_update(guild, 2, None, session.starts_at + timedelta(minutes=9)) == set()
    clock.set(session.ends_at)
    assert (await attendance.attendance(FACILITATOR, session.id)).count == 0


async def test_presence_outside_the_window_and_mute_updates_do_not_count(
    attendance: AttendanceService, clock: ManualClock, session
) -> None:
    """Only time inside the window counts, and a repeated update in the same channel changes nothing."""
    guild = session.guild_id
    early = session.starts_at - timedelta(minutes=40)
    await attendance.voice_update(guild, 3, VOICE_CHANNEL, early)
    await attendance.voice_update(guild, 3, VOICE_CHANNEL, early + timedelta(minutes=5))  # mute: same channel
    assert await attendance.voice_update(guild, 3, None, session.starts_at - timedelta(minutes=6)) == set()
    clock.set(session.ends_at)
    assert (await attendance.attendance(FACILITATOR, session.id)).count == 0


async def test_an_open_stay_survives_a_restart(
    attendance: AttendanceService, database: Database, clock: ManualClock, session
) -> None:
    """A stay opened before a restart is closed by a new service instance and still counts."""
    guild = session.guild_id
    await attendance.voice_update(guild, 1, VOICE_CHANNEL, session.starts_at)
    restarted = AttendanceService(database, clock)
    assert await restarted.voice_update(guild, 1, None, session.starts_at + timedelta(minutes=12)) == {session.id}


async def test_someone_still_in_voice_is_counted_when_facilitators_look(
    attendance: AttendanceService, clock: ManualClock, session
) -> None:
    """Open stays count up to now; the resync closes stays of people who left while Blether was away."""
    guild = session.guild_id
    await attendance.voice_update(guild, 1, VOICE_CHANNEL, session.starts_at)
    await attendance.voice_update(guild, 2, VOICE_CHANNEL, session.starts_at)
    clock.set(session.starts_at + timedelta(minutes=11))
    assert (await attendance.attendance(FACILITATOR, session.id)).user_ids == (1, 2)
    await attendance.voice_resync(guild, {1: VOICE_CHANNEL}, clock.now())
    assert (await attendance.voice_update(guild, 1, None, clock.now())) == set()  # already counted


async def test_non_participants_in_voice_are_not_tracked(
    attendance: AttendanceService, clock: ManualClock, session
) -> None:
    """Only participants' presence is stored."""
    guild = session.guild_id
    await attendance.voice_update(guild, 77, VOICE_CHANNEL, session.starts_at)
    assert await attendance.voice_update(guild, 77, None, session.starts_at + timedelta(minutes=30)) == set()


async def test_facilitators_mark_attendance_others_cannot(attendance: AttendanceService, session) -> None:
    """mark_attendance is facilitator-only and idempotent."""
    with pytest.raises(PermissionDeniedError):
        await attendance.mark_attendance(member(1), session.id, 2)
    assert not (await attendance.mark_attendance(FACILITATOR, session.id, 2)).already
    assert (await attendance.mark_attendance(FACILITATOR, session.id, 2)).already
    with pytest.raises(PermissionDeniedError):
        await attendance.attendance(member(1), session.id)


async def test_import_matches_zoom_names_case_insensitively(attendance: AttendanceService, session) -> None:
    """A Zoom export with a BOM and "Name (Original Name)" matches usernames, display and global names."""
    data = (
        "\ufeffName (Original Name),User Email,Total Duration (Minutes)\n"
        '"ailsa macleod",a@example.org,80\n'
        "DOUGIE_R,,75\n"
        "Morag (Morag Campbell),,60\n"
        "Ailsa,,5\n"
    ).encode()
    result = await attendance.import_attendance(FACILITATOR, session.id, data, MEMBERS)
    assert result.rows == 4
    assert result.user_ids == (1, 2, 3)
    assert result.added == 3
    listed = await attendance.attendance(FACILITATOR, session.id)
    assert listed.sources[3] == (AttendanceSource.IMPORT,)


async def test_import_is_all_or_nothing_and_lists_every_unmatched_line(attendance: AttendanceService, session) -> None:
    """Unmatched and ambiguous rows are all listed with their line numbers, and nothing is imported."""
    data = b'Participant;Join time\nailsa.m;18:00\nNobody Here;18:01\nJo;18:02\n"Zed; the third";18:03\n'
    with pytest.raises(AttendanceImportError) as caught:
        await attendance.import_attendance(FACILITATOR, session.id, data, MEMBERS)
    problems = caught.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("line 3:") and "Nobody Here" in problems[0]
    assert problems[1].startswith("line 4:") and "2 members" in problems[1]
    assert problems[2].startswith("line 5:") and "Zed; the third" in problems[2]
    assert (await attendance.attendance(FACILITATOR, session.id)).count == 0


async def test_import_reads_a_teams_utf16_tab_separated_report(attendance: AttendanceService, session) -> None:
    """Teams: UTF-16 with a BOM, tabs, a summary block above the table and more sections below."""
    text = (
        "1. Summary\n"
        "Meeting title\tSession 1\n"
        "\n"
        "2. Participants\n"
        "Name\tFirst Join\tLast Leave\tEmail\n"
        "Ailsa MacLeod\t18:00\t19:30\ta@example.org\n"
        "Morag Campbell\t18:05\t19:30\t\n"
        "\n"
        "3. In-Meeting Activities\n"
        "Name\tJoin Time\n"
        "Somebody Else\t18:00\n"
    )
    result = await attendance.import_attendance(FACILITATOR, session.id, text.encode("utf-16"), MEMBERS)
    assert result.user_ids == (1, 3)


async def test_import_without_a_name_column_says_which_headers_work(attendance: AttendanceService, session) -> None:
    """A file without a known header is refused with the accepted header names."""
    with pytest.raises(AttendanceImportError) as caught:
        await attendance.import_attendance(FACILITATOR, session.id, b"Email,Minutes\na@b.c,3\n", MEMBERS)
    assert "Display name" in str(caught.value)
