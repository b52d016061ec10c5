"""/programme setup: defaults, partial updates, validation and permissions."""

from datetime import UTC, datetime

import pytest

from bot.core.errors import PermissionDeniedError, ValidationError
from bot.core.programme.domain import Programme, ProgrammeSettingsUpdate, SessionDraft
from bot.core.programme.errors import (
    InvalidOffsetsError,
    InvalidSettingError,
    ProgrammeNotSetUpError,
    UnknownTimezoneError,
)
from bot.core.programme.permissions import is_facilitator, require_facilitator
from bot.core.programme.service import ProgrammeService
from bot.core.storage.database import Database
from tests.core.programme.conftest import (
    ADMIN,
    ANNOUNCEMENTS,
    FACILITATOR,
    FACILITATOR_ROLE,
    GUILD,
    PARTICIPANT,
    pending,
)


async def test_first_setup_creates_the_programme_with_defaults(service: ProgrammeService) -> None:
    """Setup with only a channel creates a programme with the documented defaults."""
    result = await service.setup(ADMIN, ProgrammeSettingsUpdate(announcements_channel_id=ANNOUNCEMENTS))
    programme = result.programme
    assert result.created
    assert programme.timezone == "Europe/London"
    assert programme.reminder_offsets == (10080, 1440, 60)
    assert (programme.reflection_delay_minutes, programme.poll_close_days) == (15, 7)
    assert (programme.nudge_before_close_days, programme.retention_months) == (2, 12)
    assert await service.show(GUILD) == programme


async def test_rerunning_setup_changes_only_the_given_options(service: ProgrammeService, programme: Programme) -> None:
    """A second setup with one option leaves every other setting alone."""
    result = await service.setup(FACILITATOR, ProgrammeSettingsUpdate(reminder_offsets="2d, 30m"))
    assert result.changed == ("reminder_offsets",)
    updated = result.programme
    assert updated.reminder_offsets == (2880, 30)
    assert updated.announcements_channel_id == programme.announcements_channel_id
    assert updated.facilitator_role_id == FACILITATOR_ROLE
    assert updated.timezone == "Europe/London"
    assert await service.show(GUILD) == updated


async def test_setup_with_the_same_values_changes_nothing(service: ProgrammeService, programme: Programme) -> None:
    """Repeating a value reports no change."""
    result = await service.setup(FACILITATOR, ProgrammeSettingsUpdate(timezone="europe/london"))
    assert result.changed == ()


async def test_unknown_timezone_is_refused_with_suggestions(service: ProgrammeService, programme: Programme) -> None:
    """A misspelt zone changes nothing and suggests the right one."""
    with pytest.raises(UnknownTimezoneError) as caught:
        await service.setup(FACILITATOR, ProgrammeSettingsUpdate(timezone="Europe/Londn", reminder_offsets="1h"))
    assert "Europe/London" in str(caught.value)
    assert (await service.show(GUILD)).reminder_offsets == programme.reminder_offsets


async def test_bad_offsets_change_nothing(service: ProgrammeService, programme: Programme) -> None:
    """Malformed offsets are refused and the programme is unchanged."""
    with pytest.raises(InvalidOffsetsError):
        await service.setup(FACILITATOR, ProgrammeSettingsUpdate(reminder_offsets="7d,1q"))
    assert await service.show(GUILD) == programme


async def test_out_of_range_settings_are_refused(service: ProgrammeService, programme: Programme) -> None:
    """Numeric settings have sensible ranges; several problems are listed together."""
    with pytest.raises(InvalidSettingError):
        await service.setup(FACILITATOR, ProgrammeSettingsUpdate(retention_months=0))
    with pytest.raises(InvalidSettingError):
        await service.setup(FACILITATOR, ProgrammeSettingsUpdate(poll_close_days=2, nudge_before_close_days=2))
    with pytest.raises(ValidationError) as caught:
        await service.setup(FACILITATOR, ProgrammeSettingsUpdate(retention_months=0, poll_close_days=99))
    assert len(caught.value.problems) == 2


async def test_participants_cannot_change_setup(service: ProgrammeService, programme: Programme) -> None:
    """A participant is refused with the friendly message."""
    with pytest.raises(PermissionDeniedError) as caught:
        await service.setup(PARTICIPANT, ProgrammeSettingsUpdate(reminder_offsets="1h"))
    assert "Only facilitators can" in str(caught.value)
    assert "Facilitator role or Manage Events" in str(caught.value)


async def test_only_admins_or_event_managers_can_create_the_programme(service: ProgrammeService) -> None:
    """Before setup nobody has the facilitator role yet, so a role alone is not enough."""
    with pytest.raises(PermissionDeniedError):
        await service.setup(FACILITATOR, ProgrammeSettingsUpdate())


async def test_show_before_setup_says_how_to_start(service: ProgrammeService) -> None:
    """/programme show before setup explains how to begin."""
    with pytest.raises(ProgrammeNotSetUpError) as caught:
        await service.show(GUILD)
    assert "/programme setup" in str(caught.value)


def test_permission_check() -> None:
    """Admins, event managers and the facilitator role pass; participants and other servers do not."""
    programme = Programme(id=1, guild_id=GUILD, facilitator_role_id=FACILITATOR_ROLE)
    assert is_facilitator(programme, FACILITATOR)
    assert is_facilitator(programme, ADMIN)
    assert is_facilitator(programme, PARTICIPANT.__class__(guild_id=GUILD, user_id=5, can_manage_events=True))
    assert not is_facilitator(programme, PARTICIPANT)
    assert not is_facilitator(programme, ADMIN.__class__(guild_id=GUILD + 1, user_id=5, is_admin=True))
    with pytest.raises(PermissionDeniedError, match="Only facilitators can add sessions"):
        require_facilitator(programme, PARTICIPANT, "add sessions")


async def test_changing_offsets_reschedules_future_reminders(
    service: ProgrammeService, programme: Programme, database: Database
) -> None:
    """New offsets replace the pending reminders of every future session."""
    await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-03-05 18:30"))
    await service.add_session(FACILITATOR, SessionDraft(2, "Grief", "2026-04-02 18:30"))
    assert len(await pending(database)) == 6
    result = await service.setup(FACILITATOR, ProgrammeSettingsUpdate(reminder_offsets="2d"))
    assert result.rescheduled_sessions == 2
    due = sorted(d.due_at for d in await pending(database))
    assert due == [datetime(2026, 3, 3, 18, 30, tzinfo=UTC), datetime(2026, 3, 31, 17, 30, tzinfo=UTC)]
