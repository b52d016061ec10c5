"""Rendering of lists, setup and cancellations: sanitised user text, no stray pings."""

from datetime import UTC, datetime

from bot.core.programme.domain import Programme, ProgrammeSettingsUpdate, SessionDraft
from bot.core.programme.permissions import command_line_actor
from bot.core.programme.render import cancellation_message, programme_embed, upcoming_embed
from bot.core.programme.service import ProgrammeService
from bot.discord_render import render_embed, render_message
from tests.core.programme.conftest import ANNOUNCEMENTS, FACILITATOR, GUILD, PARTICIPANT_ROLE, VOICE


async def test_upcoming_list_shows_each_session_with_rsvps(service: ProgrammeService, programme: Programme) -> None:
    """The upcoming embed lists sessions with times, place and RSVP counts; titles are sanitised."""
    one = (await service.add_session(FACILITATOR, SessionDraft(1, "Hi @everyone", "2026-02-05 18:30"))).session
    await service.add_session(FACILITATOR, SessionDraft(2, "Second", "2026-03-05 18:30", location=f"<#{VOICE}>"))
    await service.rsvp(GUILD, one.id, 9)
    embed = render_embed(upcoming_embed(programme, await service.list_upcoming(GUILD)))
    assert [f.name for f in embed.fields] == ["1. Hi @\u200beveryone", "2. Second"]
    assert "1 coming" in embed.fields[0].value and f"<#{VOICE}>" in embed.fields[1].value
    assert "<t:" in embed.fields[0].value and "2 sessions" in (embed.description or "")


async def test_programme_embed_shows_settings(service: ProgrammeService, programme: Programme) -> None:
    """/programme show lists channels, roles, offsets and the later features' settings."""
    embed = render_embed(programme_embed(programme, now=datetime(2026, 1, 5, 12, 0, tzinfo=UTC)))
    values = {f.name: f.value for f in embed.fields}
    assert values["Reminders before each session"] == "7d,1d,1h"
    assert values["Announcements"] == f"<#{ANNOUNCEMENTS}>"
    assert values["Participant role"] == f"<@&{PARTICIPANT_ROLE}>"
    assert values["Flash Reports"] == "not set" and values["Data kept"] == "12 months"


async def test_cancellation_message_pings_only_the_participant_role(
    service: ProgrammeService, programme: Programme
) -> None:
    """The cancellation names the session, carries the sanitised reason and pings only the role."""
    session = (await service.add_session(FACILITATOR, SessionDraft(1, "Welcome", "2026-02-05 18:30"))).session
    cancelled = (await service.cancel_session(FACILITATOR, session.id, "Snow <@&1> @here")).session
    message = cancellation_message(programme, cancelled)
    assert message.mention_role_ids == (PARTICIPANT_ROLE,)
    written = render_message(message)
    text = " ".join([written.content or ""] + [e.description or "" for e in written.embeds])
    assert "<@&1>" not in text and "@here" not in text and "Snow" in text


async def test_command_line_actor_can_set_up_and_import(service: ProgrammeService) -> None:
    """The operator's command-line actor counts as an administrator."""
    actor = command_line_actor(GUILD)
    await service.setup(actor, ProgrammeSettingsUpdate(timezone="Europe/Dublin"))
    result = await service.import_sessions(actor, b"number,title,start\n1,One,2026-02-05 18:30\n", "s.csv")
    assert result.sessions[0].starts_at == datetime(2026, 2, 5, 18, 30, tzinfo=UTC)
