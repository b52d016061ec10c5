"""Calendar files parse back with icalendar: stable UIDs, SEQUENCE, STATUS:CANCELLED, one VALARM per offset."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from bot.core.programme.domain import Programme, SessionDraft, SessionEdit
from bot.core.programme.service import ProgrammeService
from tests.core.programme.conftest import FACILITATOR, GUILD, VOICE


def events(data: bytes) -> dict[str, object]:
    """Parse an .ics file and return its events by UID."""
    calendar = Calendar.from_ical(data)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


async def test_calendar_round_trips(service: ProgrammeService, programme: Programme) -> None:
    """Every session appears with its UID, UTC times, location and three alarms."""
    one = (
        await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-02-05 18:30", speaker="Ada"))
    ).session
    two = (
        await service.add_session(FACILITATOR, SessionDraft(2, "Loss", "2026-07-02 18:30", location=f"<#{VOICE}>"))
    ).session
    attachment = await service.calendar_ics(GUILD)
    assert attachment.filename.endswith(".ics")
    found = events(attachment.data)
    assert set(found) == {f"session-{one.id}@blether", f"session-{two.id}@blether"}
    first = found[f"session-{one.id}@blether"]
    assert first.decoded("dtstart") == datetime(2026, 2, 5, 18, 30, tzinfo=UTC)
    assert first.decoded("dtend") == datetime(2026, 2, 5, 20, 0, tzinfo=UTC)
    assert str(first["summary"]) == "Session 1: Welcome" and "Speaker: Ada" in str(first["description"])
    assert str(first["status"]) == "CONFIRMED" and int(first["sequence"]) == 0
    alarms = first.walk("VALARM")
    assert len(alarms) == len(programme.reminder_offsets) == 3
    assert sorted(a.decoded("trigger") for a in alarms) == [timedelta(days=-7), timedelta(days=-1), timedelta(hours=-1)]
    summer = found[f"session-{two.id}@blether"]
    assert summer.decoded("dtstart") == datetime(2026, 7, 2, 17, 30, tzinfo=UTC)
    assert f"https://discord.com/channels/{GUILD}/{VOICE}" in str(summer["location"])


async def test_uid_is_stable_sequence_grows_and_cancelled_is_marked(
    service: ProgrammeService, programme: Programme
) -> None:
    """Edits keep the UID and bump SEQUENCE; a cancelled session stays with STATUS:CANCELLED and no alarms."""
    session = (await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-02-05 18:30"))).session
    uid = f"session-{session.id}@blether"
    before = events((await service.session_ics(GUILD, session.id, 9)).data)[uid]
    await service.edit_session(FACILITATOR, session.id, SessionEdit(title="Welcome!"))
    await service.edit_session(FACILITATOR, session.id, SessionEdit(starts="2026-02-06 18:30"))
    after = events((await service.session_ics(GUILD, session.id, 9)).data)[uid]
    assert int(before["sequence"]) == 0 and int(after["sequence"]) == 2
    assert str(after["summary"]) == "Session 1: Welcome!"
    await service.cancel_session(FACILITATOR, session.id, "Snow")
    cancelled = events((await service.calendar_ics(GUILD)).data)[uid]
    assert str(cancelled["status"]) == "CANCELLED" and int(cancelled["sequence"]) == 3
    assert cancelled.walk("VALARM") == []
    assert "Snow" in str(cancelled["description"])
