"""Sessions: add, series, edit, cancel; their reminders, Scheduled Events and validation."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import ManualClock
from bot.core.delivery.domain import DeliveryStatus
from bot.core.errors import PermissionDeniedError, ValidationError
from bot.core.programme.domain import (
    ChannelKind,
    Location,
    LocationKind,
    Programme,
    SessionDraft,
    SessionEdit,
    SessionStatus,
)
from bot.core.programme.errors import (
    AmbiguousLocalTimeError,
    DuplicateSessionNumberError,
    InvalidDurationError,
    InvalidLocationError,
    InvalidSeriesRuleError,
    NonexistentLocalTimeError,
    ProgrammeNotSetUpError,
    SessionCancelledError,
    SessionNotFoundError,
    SessionValidationError,
    TextTooLongError,
    TimeInPastError,
)
from bot.core.programme.service import ProgrammeService
from bot.core.storage.database import Database
from tests.core.programme.conftest import (
    FACILITATOR,
    GUILD,
    PARTICIPANT,
    STAGE,
    TEXT,
    VOICE,
    deliveries,
    join,
    pending,
)
from tests.core.programme.fakes import FakeEventMirror, missing_access

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 5, 18, 30, tzinfo=UTC)  # 18:30 GMT


def draft(number: int = 1, starts: str = "2026-03-05 18:30", **kwargs: object) -> SessionDraft:
    """Return a session draft with sensible defaults."""
    kwargs.setdefault("title", f"Session title {number}")
    kwargs.setdefault("location", "https://meet.example.org/blether")
    return SessionDraft(number=number, starts=starts, **kwargs)  # type: ignore[arg-type]


async def test_add_session_stores_utc_and_schedules_one_reminder_per_offset(
    service: ProgrammeService, programme: Programme, database: Database
) -> None:
    """A session is stored in UTC with reminders at 7d, 1d and 1h before, each useless after the start."""
    change = await service.add_session(FACILITATOR, draft(speaker="Dr Ada", description="About **care**"))
    session = change.session
    assert session.starts_at == START and session.ends_at == START + timedelta(minutes=90)
    assert session.status == SessionStatus.SCHEDULED and session.sequence == 0
    assert session.location_kind == LocationKind.URL
    reminders = await pending(database, target=f"session:{session.id}")
    assert [r.due_at for r in reminders] == [
        START - timedelta(days=7),
        START - timedelta(days=1),
        START - timedelta(hours=1),
    ]
    assert all(r.deliver_before == START for r in reminders)
    assert all(str(session.id) in r.dedupe_key and str(int(START.timestamp())) in r.dedupe_key for r in reminders)
    assert {r.payload["offset_minutes"] for r in reminders} == {10080, 1440, 60}
    assert list(change.reminders) == [r.due_at for r in reminders]


async def test_offsets_already_past_are_not_scheduled(
    service: ProgrammeService, programme: Programme, database: Database
) -> None:
    """A session three days away gets only its 1d and 1h reminders, and a note says why."""
    change = await service.add_session(FACILITATOR, draft(starts="2026-01-08 12:00"))
    assert sorted(r.payload["offset_minutes"] for r in await pending(database)) == [60, 1440]
    assert any("7 days" in note and "skipped" in note for note in change.notes)


async def test_editing_the_start_moves_pending_reminders(
    service: ProgrammeService, programme: Programme, database: Database
) -> None:
    """Moving a session cancels the old reminders and schedules new ones keyed by the new start."""
    session = (await service.add_session(FACILITATOR, draft())).session
    old_keys = {r.dedupe_key for r in await pending(database)}
    change = await service.edit_session(FACILITATOR, session.id, SessionEdit(starts="2026-03-12 19:00"))
    new_start = datetime(2026, 3, 12, 19, 0, tzinfo=UTC)
    assert change.session.starts_at == new_start and change.session.sequence == 1
    now_pending = await pending(database)
    assert {r.deliver_before for r in now_pending} == {new_start}
    assert not old_keys & {r.dedupe_key for r in now_pending}
    cancelled = await deliveries(database, kind="session_reminder", status=DeliveryStatus.CANCELLED)
    assert {r.dedupe_key for r in cancelled} == old_keys


async def test_editing_the_title_keeps_reminders_and_bumps_the_sequence(
    service: ProgrammeService, programme: Programme, database: Database
) -> None:
    """A title change leaves reminders alone (they render at send time) but counts as an edit."""
    session = (await service.add_session(FACILITATOR, draft())).session
    before = await pending(database)
    change = await service.edit_session(FACILITATOR, session.id, SessionEdit(title="A new theme"))
    assert change.session.title == "A new theme" and change.session.sequence == 1
    assert await pending(database) == before


async def test_cancelling_cancels_reminders_and_announces(
    service: ProgrammeService, programme: Programme, database: Database, mirror: FakeEventMirror
) -> None:
    """Cancel: reminders cancelled, one session_cancelled delivery, Scheduled Event cancelled."""
    session = (await service.add_session(FACILITATOR, draft())).session
    change = await service.cancel_session(FACILITATOR, session.id, "Speaker unwell")
    assert change.session.status == SessionStatus.CANCELLED and change.session.cancel_reason == "Speaker unwell"
    assert await pending(database) == []
    announcements = await pending(database, kind="session_cancelled")
    assert len(announcements) == 1 and announcements[0].payload["session_id"] == session.id
    assert mirror.cancelled == [(GUILD, change.session.event_id)]
    with pytest.raises(SessionCancelledError):
        await service.cancel_session(FACILITATOR, session.id, "again")


async def test_series_first_thursdays_keep_1830_local_across_dst(
    service: ProgrammeService, programme: Programme, clock: ManualClock
) -> None:
    """Ten first-Thursday sessions Sept 2026 - June 2027 are all 18:30 London; UTC hours differ."""
    clock.set(datetime(2026, 8, 1, 9, 0, tzinfo=UTC))
    result = await service.add_series(
        FACILITATOR,
        rule="first Thursday of each month at 18:30",
        starting="2026-09-01",
        titles="Welcome, Loss, Carers, Schools, Workplaces, Faith, Memory, Art, Nature, Celebration",
        start_number=1,
    )
    sessions = result.sessions
    assert [s.number for s in sessions] == list(range(1, 11))
    assert sessions[1].title == "Loss"
    assert {s.starts_at.astimezone(LONDON).strftime("%H:%M") for s in sessions} == {"18:30"}
    assert {s.starts_at.hour for s in sessions} == {17, 18}
    assert sessions[0].starts_at == datetime(2026, 9, 3, 17, 30, tzinfo=UTC)
    assert sessions[2].starts_at == datetime(2026, 11, 5, 18, 30, tzinfo=UTC)


async def test_series_every_four_weeks(service: ProgrammeService, programme: Programme) -> None:
    """The nice-to-have weekly rule works too, with default titles."""
    result = await service.add_series(
        FACILITATOR, rule="every 4 weeks on Wednesday at 10:00", count=3, start_number=5, starting="2026-02-01"
    )
    assert [(s.number, s.title) for s in result.sessions] == [(5, "Session 5"), (6, "Session 6"), (7, "Session 7")]
    assert [s.starts_at.day for s in result.sessions] == [4, 4, 1]


async def test_series_refuses_everything_when_one_session_clashes(
    service: ProgrammeService, programme: Programme
) -> None:
    """A clash with an existing number adds none of the series and names the session."""
    await service.add_session(FACILITATOR, draft(number=2, starts="2026-02-20 10:00"))
    with pytest.raises(SessionValidationError) as caught:
        await service.add_series(FACILITATOR, rule="last Friday of each month at 19:00", count=3, start_number=1)
    assert any(p.startswith("Session 2 (") for p in caught.value.problems)
    assert len(await service.list_sessions(GUILD)) == 1


async def test_series_with_wrong_title_count_or_rule_is_refused(
    service: ProgrammeService, programme: Programme
) -> None:
    """Titles must match the count; an unreadable rule says what works."""
    with pytest.raises(ValidationError, match="2 titles for 3 sessions"):
        await service.add_series(FACILITATOR, rule="every Monday at 10:00", count=3, titles="A, B")
    with pytest.raises(InvalidSeriesRuleError):
        await service.add_series(FACILITATOR, rule="now and then", count=3)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"starts": "2025-12-01 18:30"}, TimeInPastError),
        ({"starts": "2026-03-29 01:30"}, NonexistentLocalTimeError),
        ({"starts": "2026-10-25 01:30"}, AmbiguousLocalTimeError),
        ({"title": "x" * 101}, TextTooLongError),
        ({"description": "y" * 1001}, TextTooLongError),
        ({"duration_minutes": 4}, InvalidDurationError),
        ({"duration_minutes": 601}, InvalidDurationError),
        ({"location": "ftp://example.org/x"}, InvalidLocationError),
        ({"location": "meet.example.org"}, InvalidLocationError),
        ({"location": f"<#{TEXT}>"}, InvalidLocationError),
        ({"location": "123456"}, InvalidLocationError),
    ],
)
async def test_invalid_sessions_are_refused_and_nothing_is_stored(
    service: ProgrammeService, programme: Programme, database: Database, bad: dict[str, object], error: type
) -> None:
    """Each kind of bad input raises its own DomainError and stores nothing."""
    with pytest.raises(error):
        await service.add_session(FACILITATOR, draft(**bad))
    assert await service.list_sessions(GUILD) == []
    assert await deliveries(database) == []


async def test_several_problems_are_listed_together(service: ProgrammeService, programme: Programme) -> None:
    """A draft with several problems lists them all."""
    with pytest.raises(SessionValidationError) as caught:
        await service.add_session(FACILITATOR, draft(title="", duration_minutes=1, location="nowhere"))
    assert len(caught.value.problems) == 3


async def test_duplicate_numbers_are_refused(service: ProgrammeService, programme: Programme) -> None:
    """Two sessions cannot share a number, even when the first was cancelled."""
    first = (await service.add_session(FACILITATOR, draft(number=3))).session
    with pytest.raises(DuplicateSessionNumberError, match="Session 3 already exists"):
        await service.add_session(FACILITATOR, draft(number=3, starts="2026-04-01 10:00"))
    await service.cancel_session(FACILITATOR, first.id)
    with pytest.raises(DuplicateSessionNumberError, match="cancelled"):
        await service.add_session(FACILITATOR, draft(number=3, starts="2026-04-01 10:00"))
    second = (await service.add_session(FACILITATOR, draft(number=4, starts="2026-04-01 10:00"))).session
    with pytest.raises(DuplicateSessionNumberError):
        await service.edit_session(FACILITATOR, second.id, SessionEdit(number=3))


async def test_locations_accept_urls_and_voice_or_stage_channels(
    service: ProgrammeService, programme: Programme, mirror: FakeEventMirror
) -> None:
    """URLs, voice and stage channels (as mentions, ids, prefixes or Location values) are accepted."""
    voice = (await service.add_session(FACILITATOR, draft(1, location=f"<#{VOICE}>"))).session
    stage = (await service.add_session(FACILITATOR, draft(2, "2026-03-06 10:00", location=str(STAGE)))).session
    typed = (await service.add_session(FACILITATOR, draft(3, "2026-03-07 10:00", location="voice:42"))).session
    given = await service.add_session(
        FACILITATOR, draft(4, "2026-03-08 10:00", location=Location.channel(VOICE, ChannelKind.VOICE))
    )
    none = (await service.add_session(FACILITATOR, draft(5, "2026-03-09 10:00", location=None))).session
    assert (voice.location_kind, voice.location_channel_id) == (LocationKind.VOICE, VOICE)
    assert stage.location_kind == LocationKind.STAGE
    assert typed.location_channel_id == 42 and given.session.location_kind == LocationKind.VOICE
    assert none.location_kind == LocationKind.NONE
    specs = [spec for _, spec in mirror.created]
    assert specs[1].is_stage and specs[1].channel_id == STAGE and specs[0].location_url is None
    with pytest.raises(InvalidLocationError):
        Location.channel(TEXT, ChannelKind.TEXT)


async def test_sessions_are_mirrored_as_scheduled_events(
    service: ProgrammeService, programme: Programme, mirror: FakeEventMirror
) -> None:
    """Add creates the event and stores its id; edit updates it."""
    change = await service.add_session(FACILITATOR, draft(title="Welcome", speaker="Ada"))
    assert change.session.event_id is not None
    guild_id, spec = mirror.created[0]
    assert guild_id == GUILD and spec.name == "Session 1: Welcome" and spec.starts_at == START
    assert "Speaker: Ada" in spec.description and spec.location_url == "https://meet.example.org/blether"
    edited = await service.edit_session(FACILITATOR, change.session.id, SessionEdit(duration_minutes=120))
    assert mirror.updated == [(GUILD, change.session.event_id, mirror.updated[0][2])]
    assert mirror.updated[0][2].ends_at == START + timedelta(minutes=120)
    assert edited.session.event_id == change.session.event_id


async def test_mirror_failure_never_blocks_the_session(
    service: ProgrammeService, programme: Programme, database: Database, mirror: FakeEventMirror
) -> None:
    """When the event cannot be created the session and reminders are stored, facilitators are told,
    and the next edit tries again."""
    mirror.fail = missing_access()
    change = await service.add_session(FACILITATOR, draft())
    assert change.session.event_id is None
    assert len(await pending(database)) == 3
    notices = await pending(database, kind="facilitator_notice")
    assert len(notices) == 1 and "missing access" in notices[0].payload["text"]
    assert any("Scheduled Event" in note for note in change.notes)
    mirror.fail = None
    edited = await service.edit_session(FACILITATOR, change.session.id, SessionEdit(title="Retried"))
    assert edited.session.event_id is not None and len(mirror.created) == 1


async def test_mirror_missing_creates_the_events_that_upcoming_sessions_lack(
    service: ProgrammeService, programme: Programme, mirror: FakeEventMirror, clock: ManualClock
) -> None:
    """Sessions stored without an event (mirror down, or imported on the command line) get one on reconnect;
    cancelled and past sessions do not, and a second call creates nothing more."""
    mirror.fail = missing_access()
    first = (await service.add_session(FACILITATOR, draft(1, "2026-03-05 18:30"))).session
    second = (await service.add_session(FACILITATOR, draft(2, "2026-04-02 18:30"))).session
    third = (await service.add_session(FACILITATOR, draft(3, "2026-05-07 18:30"))).session
    await service.cancel_session(FACILITATOR, third.id)
    mirror.fail = None
    clock.set(first.starts_at + timedelta(hours=3))  # session 1 is over

    assert await service.mirror_missing(GUILD) == 1
    assert [spec.name for _, spec in mirror.created] == ["Session 2: Session title 2"]
    assert (await service.get_session(GUILD, second.id)).event_id is not None
    assert (await service.get_session(GUILD, first.id)).event_id is None
    assert await service.mirror_missing(GUILD) == 0 and len(mirror.created) == 1


async def test_participants_cannot_manage_sessions(service: ProgrammeService, programme: Programme) -> None:
    """Participants are refused every facilitator operation."""
    session = (await service.add_session(FACILITATOR, draft())).session
    for attempt in (
        service.add_session(PARTICIPANT, draft(2)),
        service.edit_session(PARTICIPANT, session.id, SessionEdit(title="x")),
        service.cancel_session(PARTICIPANT, session.id),
        service.add_series(PARTICIPANT, rule="every Monday at 10:00", count=2),
        service.import_sessions(PARTICIPANT, b"number,title,start\n", "s.csv"),
        service.list_rsvps(PARTICIPANT, session.id),
    ):
        with pytest.raises(PermissionDeniedError):
            await attempt


async def test_adding_before_setup_explains_what_to_do(service: ProgrammeService) -> None:
    """Without a programme, sessions cannot be added yet."""
    with pytest.raises(ProgrammeNotSetUpError):
        await service.add_session(FACILITATOR, draft())


async def test_sessions_of_another_server_are_not_found(service: ProgrammeService, programme: Programme) -> None:
    """A session id from another server behaves as unknown."""
    session = (await service.add_session(FACILITATOR, draft())).session
    with pytest.raises(SessionNotFoundError):
        await service.get_session(GUILD + 1, session.id)
    assert (await service.get_session(None, session.id)).id == session.id


async def test_upcoming_search_and_counts(service: ProgrammeService, programme: Programme, clock: ManualClock) -> None:
    """Upcoming lists unfinished sessions in order; search finds by number or title."""
    await service.add_session(FACILITATOR, draft(1, "2026-02-05 18:30", title="Welcome and introductions"))
    second = (await service.add_session(FACILITATOR, draft(2, "2026-03-05 18:30", title="Grief at work"))).session
    await service.add_session(FACILITATOR, draft(12, "2026-04-02 18:30", title="Celebrating"))
    await service.cancel_session(FACILITATOR, second.id)
    clock.set(datetime(2026, 2, 5, 19, 0, tzinfo=UTC))  # session 1 is under way
    upcoming = await service.list_upcoming(GUILD)
    assert [u.session.number for u in upcoming] == [1, 12]
    assert {u.active_count for u in upcoming} == {2}
    choices = await service.search_sessions(GUILD, "1")
    assert choices[0].name.startswith("1 · Welcome") and {c.name.split(" ·")[0] for c in choices} == {"1", "12"}
    assert [c.value for c in await service.search_sessions(GUILD, "grief")] == [second.number]
    assert all(len(c.name) <= 100 for c in await service.search_sessions(GUILD, ""))


async def test_rsvp_is_idempotent_and_can_be_withdrawn(service: ProgrammeService, programme: Programme) -> None:
    """Saying yes twice counts once; toggling withdraws; cancelled sessions take no RSVPs."""
    session = (await service.add_session(FACILITATOR, draft())).session
    first = await service.rsvp(GUILD, session.id, 501)
    again = await service.rsvp(GUILD, session.id, 501)
    await service.rsvp(GUILD, session.id, 502)
    assert (first.changed, again.changed, await service.rsvp_count(session.id)) == (True, False, 2)
    toggled = await service.toggle_rsvp(GUILD, session.id, 501)
    assert not toggled.going and toggled.count == 1
    assert await service.list_rsvps(FACILITATOR, session.id) == [502]
    await service.cancel_session(FACILITATOR, session.id)
    with pytest.raises(SessionCancelledError):
        await service.rsvp(GUILD, session.id, 503)


async def test_dm_reminder_preference(service: ProgrammeService, database: Database, clock: ManualClock) -> None:
    """The DM opt-in is off by default and reports whether it changed."""
    await join(database, clock, 9)
    assert not await service.dm_reminders_enabled(GUILD, 9)
    assert await service.set_dm_reminders(GUILD, 9, True)
    assert not await service.set_dm_reminders(GUILD, 9, True)
    assert await service.dm_reminders_enabled(GUILD, 9)
    assert await service.set_dm_reminders(GUILD, 9, False)
    assert not await service.dm_reminders_enabled(GUILD, 9)
