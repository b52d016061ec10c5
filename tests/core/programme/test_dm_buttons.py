"""Buttons pressed in direct messages ("Add to calendar", "I'll be there") work only for current members."""

from dataclasses import dataclass, field

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.delivery.dispatcher import Dispatcher
from bot.core.participants.membership import NotAMemberError
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.programme.service import ProgrammeService
from bot.core.storage.database import Database
from tests.core.programme.conftest import FACILITATOR, GUILD
from tests.core.programme.fakes import FakeChannels, FakeEventMirror
from tests.core.programme.test_sessions import draft

MEMBER, LEFT, STRANGER = 501, 502, 503


@dataclass
class FakeMembers:
    """A member directory from a dict: True/False, or None (the platform cannot tell) for anyone else."""

    known: dict[int, bool] = field(default_factory=dict)
    asked: list[tuple[int, int]] = field(default_factory=list)

    async def is_member(self, guild_id: int, user_id: int) -> bool | None:
        """Answer from the dict."""
        self.asked.append((guild_id, user_id))
        return self.known.get(user_id) if guild_id == GUILD else False


@pytest.fixture
def members() -> FakeMembers:
    """Return a directory where 501 is a member and 502 left; 503 is unknown to the platform."""
    return FakeMembers({MEMBER: True, LEFT: False})


@pytest.fixture
def dm_service(
    database: Database,
    dispatcher: Dispatcher,
    clock: ManualClock,
    mirror: FakeEventMirror,
    channels: FakeChannels,
    members: FakeMembers,
) -> ProgrammeService:
    """Return the programme service with a member directory."""
    return ProgrammeService(database.unit_of_work, dispatcher, clock, mirror=mirror, channels=channels, members=members)


async def test_calendar_and_rsvp_from_a_dm_refuse_someone_who_left(
    dm_service: ProgrammeService, programme: Programme
) -> None:
    """A member gets the file and an RSVP from a DM; someone who left gets a friendly refusal and nothing stored."""
    session = (await dm_service.add_session(FACILITATOR, draft())).session
    assert (await dm_service.session_ics(None, session.id, MEMBER)).data.startswith(b"BEGIN:VCALENDAR")
    assert (await dm_service.toggle_rsvp(None, session.id, MEMBER)).going
    with pytest.raises(NotAMemberError, match="no longer a member"):
        await dm_service.session_ics(None, session.id, LEFT)
    with pytest.raises(NotAMemberError):
        await dm_service.toggle_rsvp(None, session.id, LEFT)
    with pytest.raises(NotAMemberError):
        await dm_service.rsvp(None, session.id, LEFT, going=False)
    assert await dm_service.rsvp_count(session.id) == 1


async def test_in_the_server_nobody_is_looked_up(
    dm_service: ProgrammeService, programme: Programme, members: FakeMembers
) -> None:
    """Inside the server Discord only sends members' clicks: the directory is not asked."""
    session = (await dm_service.add_session(FACILITATOR, draft())).session
    await dm_service.session_ics(GUILD, session.id, LEFT)
    assert (await dm_service.rsvp(GUILD, session.id, LEFT)).going
    assert members.asked == []


async def test_when_the_platform_cannot_tell_the_active_flag_decides(
    dm_service: ProgrammeService, programme: Programme, database: Database, clock: ManualClock
) -> None:
    """Unknown to the platform (None): an active participant may press, one marked as having left may not."""
    participants = ParticipantService(database, clock)
    session = (await dm_service.add_session(FACILITATOR, draft())).session
    with pytest.raises(NotAMemberError):
        await dm_service.rsvp(None, session.id, STRANGER)
    await participants.join(Actor(guild_id=GUILD, user_id=STRANGER))
    assert (await dm_service.rsvp(None, session.id, STRANGER)).going
    await participants.mark_left(GUILD, STRANGER)
    with pytest.raises(NotAMemberError):
        await dm_service.session_ics(None, session.id, STRANGER)


async def test_without_a_directory_only_active_participants_press_dm_buttons(
    service: ProgrammeService, programme: Programme, database: Database, clock: ManualClock
) -> None:
    """The command line and tests wire no directory: the participants' active flag alone decides."""
    session = (await service.add_session(FACILITATOR, draft())).session
    with pytest.raises(NotAMemberError):
        await service.session_ics(None, session.id, MEMBER)
    await ParticipantService(database, clock).join(Actor(guild_id=GUILD, user_id=MEMBER))
    assert (await service.session_ics(None, session.id, MEMBER)).filename == "session-1.ics"
