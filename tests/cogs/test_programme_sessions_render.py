"""Fast checks of the programme and session cogs' rendering and option parsing: Discord's limits, clear choices."""

import dataclasses
from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.core.errors import ValidationError
from bot.core.programme.domain import (
    BatchResult,
    LocationKind,
    Programme,
    RsvpStatus,
    Session,
    SessionChange,
    SessionChoice,
    SessionStatus,
    SetupResult,
    UpcomingSession,
)
from bot.core.programme.ids import ICS_TEMPLATE, RSVP_TEMPLATE, ics_button_id, rsvp_button_id
from cogs._shared.sessions import session_choices
from cogs.programme import render as programme_render
from cogs.programme.render import batch_embed, fit_embed, join_within, setup_reply
from cogs.sessions import render
from cogs.sessions.options import clearable, venue
from cogs.sessions.views import CalendarButton, RsvpButton
from tests.fakediscord.validate import check_limits

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
PROGRAMME = Programme(id=1, guild_id=10, participant_role_id=20)


def session(number: int, *, title: str = "Welcome", url: str | None = None, speaker: str = "") -> Session:
    """Build a stored session."""
    starts = NOW + timedelta(days=number)
    return Session(
        id=number,
        guild_id=10,
        number=number,
        title=title,
        description="",
        speaker=speaker,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        duration_minutes=90,
        location_url=url,
        location_channel_id=None,
        location_kind=LocationKind.URL if url else LocationKind.NONE,
        status=SessionStatus.SCHEDULED,
        sequence=0,
        event_id=None,
        cancel_reason=None,
        created_at=NOW,
        updated_at=NOW,
    )


def violations(embed: discord.Embed, content: str | None = None) -> list[object]:
    """Return the Discord limits a message with this embed would break."""
    return list(check_limits({"content": content, "embeds": [embed.to_dict()]}))


def test_join_within_keeps_short_text_and_counts_what_it_drops() -> None:
    """Lines that fit are kept as they are; otherwise the last ones are dropped and counted."""
    assert join_within(["a", "b"], 10) == "a\nb"
    text = join_within([f"line {i:03}" for i in range(100)], 100)
    assert len(text) <= 100 and text.endswith("more.") and text.startswith("line 000\n")
    dropped = int(text.rsplit("and ", 1)[1].split()[0])
    assert text.count("\n") + dropped == 100


def test_fit_embed_drops_trailing_fields_and_says_so() -> None:
    """More than 25 fields, or more than 6,000 characters, lose their last fields and the footer says how many."""
    embed = discord.Embed(title="t", description="d")
    for i in range(30):
        embed.add_field(name=f"field {i}", value="x" * 1000)
    fit_embed(embed, dropped="…and {n} more: see /calendar.")
    assert violations(embed) == []
    assert embed.footer.text == f"…and {30 - len(embed.fields)} more: see /calendar."


def test_long_lists_stay_within_discord_limits() -> None:
    """100 imported sessions with long titles, or 10 upcoming ones with long links and speakers, still fit."""
    sessions = tuple(session(n, title="T" * 100) for n in range(1, 101))
    embed = batch_embed(BatchResult(sessions, ("note " * 300,) * 5), title="Imported 100 sessions")
    assert violations(embed) == [] and "more." in (embed.description or "")
    upcoming = [
        UpcomingSession(session(n, title="W" * 100, url="https://e.org/" + "u" * 480, speaker="S" * 100), 10, 3)
        for n in range(1, 11)
    ]
    assert violations(render.upcoming_reply(PROGRAMME, upcoming)) == []


def test_setup_reply_says_what_changed() -> None:
    """A re-run names the settings it changed, in words."""
    result = SetupResult(PROGRAMME, False, ("participant_role_id", "reminder_offsets"), 3, ("a note",))
    content, embed = setup_reply(result, now=NOW)
    assert content.startswith("Saved: participant role, reminder times.")
    assert "reminders of 3 upcoming sessions" in content and "• a note" in content
    assert violations(embed, content) == []


def test_change_and_cancellation_embeds_list_reminders_and_notes() -> None:
    """A confirmation shows the reminders scheduled and every note; a cancellation shows the reason."""
    change = SessionChange(session(1), (NOW + timedelta(hours=1),), ("The 7 days reminder is already past.",))
    embed = render.change_embed(change, verb="added")
    fields = {f.name: f.value for f in embed.fields}
    assert embed.title == "Session 1 added: Welcome"
    assert "<t:" in fields["Reminders"] and "already past" in fields["Please note"]
    gone = dataclasses.replace(session(2), status=SessionStatus.CANCELLED, cancel_reason="Snow @everyone")
    cancelled = SessionChange(gone)
    text = render.cancelled_embed(cancelled).description or ""
    assert "Snow @\u200beveryone" in text and "being announced" in text


def test_rsvp_answers_count_people() -> None:
    """The RSVP answer says whether you are coming and how many are."""
    assert "(1 person is coming)" in render.rsvp_text(RsvpStatus(1, True, 1, True))
    assert "no longer down as coming (2 people are coming)" in render.rsvp_text(RsvpStatus(1, False, 2, True))


def test_location_and_channel_are_one_or_the_other() -> None:
    """A link or a channel, never both; "-" clears a text."""
    assert venue("https://e.org", None) == "https://e.org"
    assert venue(None, "<#5>") == "<#5>"
    assert venue(None, None) is None
    with pytest.raises(ValidationError, match="not both"):
        venue("https://e.org", "<#5>")
    assert clearable(None) is None and clearable(" - ") == "" and clearable("Dr Ada") == "Dr Ada"


def test_autocomplete_choices_respect_discords_limits() -> None:
    """At most 25 choices, names ≤ 100 characters, values are the session ids."""
    found = [SessionChoice(name="n" * 120, value=i) for i in range(1, 40)]
    choices = session_choices(found)
    assert len(choices) == 25 and all(len(c.name) <= 100 for c in choices)
    assert [c.value for c in choices] == list(range(1, 26))
    zones = programme_render.timezone_choices(["Europe/London"] * 30)
    assert len(zones) == 25 and zones[0].value == "Europe/London"


async def test_buttons_use_the_cores_templates_and_ids() -> None:
    """The persistent buttons match the core's custom_id templates and rebuild from a click's id."""
    assert CalendarButton.__discord_ui_compiled_template__.pattern == ICS_TEMPLATE
    assert RsvpButton.__discord_ui_compiled_template__.pattern == RSVP_TEMPLATE
    item = discord.ui.Button(custom_id=rsvp_button_id(42))
    match = RsvpButton.__discord_ui_compiled_template__.fullmatch(rsvp_button_id(42))
    assert match is not None
    rebuilt = await RsvpButton.from_custom_id(None, item, match)  # type: ignore[arg-type]
    assert rebuilt.session_id == 42 and rebuilt.custom_id == rsvp_button_id(42)
    assert CalendarButton(7).custom_id == ics_button_id(7)
