"""/programme, /session, /sessions, /calendar and /reminders dm, and the buttons under reminders."""

from collections.abc import Sequence
from typing import Any

from bot.core.errors import ValidationError
from bot.core.messages import Embed, EmbedField, Text, Time, TimeStyle, strong, text, user
from bot.core.programme.domain import (
    CANCEL_REASON_LIMIT,
    DEFAULT_DURATION_MINUTES,
    DESCRIPTION_LIMIT,
    MAX_DURATION_MINUTES,
    MAX_OUTCOMES,
    MAX_SESSION_NUMBER,
    MIN_DURATION_MINUTES,
    OUTCOME_TEXT_LIMIT,
    SPEAKER_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
    BatchResult,
    ChannelKind,
    OutcomeChange,
    ProgrammeSettingsUpdate,
    RsvpStatus,
    SessionChange,
    SessionDraft,
    SessionEdit,
    SetupResult,
)
from bot.core.programme.errors import ProgrammeNotSetUpError
from bot.core.programme.ids import ICS_TEMPLATE, RSVP_TEMPLATE, parse_ics_button_id, parse_rsvp_button_id
from bot.core.programme.importer import MAX_FILE_BYTES
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.render import COLOUR, location_text, programme_embed, upcoming_embed
from bot.core.programme.validation import clearable, venue
from bot.core.text import clean_text
from bot.shell.commands import Context, Registry
from bot.shell.options import Choice, Kind, Option
from bot.shell.ports import Shown

UPCOMING_LIMIT = 10
OUTCOME_VERBS = {"add": "Added", "edit": "Changed", "remove": "Removed"}
TEXT = (ChannelKind.TEXT,)
VENUES = (ChannelKind.VOICE, ChannelKind.STAGE)
SETTING_NAMES = {
    "timezone": "time zone",
    "announcements_channel_id": "announcements channel",
    "reflections_channel_id": "reflections channel",
    "flash_reports_channel_id": "Flash Reports channel",
    "facilitator_channel_id": "facilitator channel",
    "facilitator_role_id": "facilitator role",
    "participant_role_id": "participant role",
    "reminder_offsets": "reminder times",
    "retention_months": "data retention",
}


def _number(name: str = "number", *, required: bool = False, default: int | None = None) -> Option:
    return Option(
        name, "The session's place in the programme", Kind.INTEGER, required, 1, MAX_SESSION_NUMBER, default=default
    )


def _session_options(*, adding: bool) -> tuple[Option, ...]:
    """The options /session add and /session edit share (required on add where Discord requires them)."""
    return (
        Option("title", "The session's theme or title", required=adding, min=1, max=TITLE_LIMIT),
        Option("starts", "Start, YYYY-MM-DD HH:MM in the programme's time zone", required=adding, min=1, max=40),
        Option(
            "duration",
            "Length in minutes",
            Kind.INTEGER,
            min=MIN_DURATION_MINUTES,
            max=MAX_DURATION_MINUTES,
            default=DEFAULT_DURATION_MINUTES if adding else None,
        ),
        Option("location", "Link where it happens (Zoom, Teams, Meet…)", min=1, max=URL_LIMIT),
        Option("channel", "Voice or stage channel where it happens", Kind.CHANNEL, channels=VENUES),
        Option("description", "What the session is about", min=1, max=DESCRIPTION_LIMIT),
        Option("speaker", "Who leads or speaks", min=1, max=SPEAKER_LIMIT),
    )


def _channel(values: dict[str, Any]) -> str | None:
    """Hand a channel option to the core as "<#id>", as the Discord adapter does."""
    return None if values["channel"] is None else f"<#{values['channel']}>"


def _title(value: str, limit: int = 200) -> str:
    return clean_text(value, keep_newlines=False)[:limit]


def setup_reply(result: SetupResult) -> Text:
    """Say what /programme setup changed."""
    if result.created:
        head = "The programme is set up. Change any setting later with /programme setup; only what you give changes."
    elif result.changed:
        head = "Saved: " + ", ".join(SETTING_NAMES.get(n, n.replace("_", " ")) for n in result.changed) + "."
    else:
        head = "Nothing changed: those are already the programme's settings."
    lines = [head]
    if result.rescheduled_sessions:
        count = result.rescheduled_sessions
        lines.append(f"The reminders of {count} upcoming session{'s' if count != 1 else ''} now follow the new times.")
    lines += [f"• {note}" for note in result.notes]
    return text("\n".join(lines))


def batch_embed(result: BatchResult, *, title: str) -> Embed:
    """List the sessions a series or an import added (or, on a dry run, would add) and the notes."""
    lines = [text(strong(f"{s.number}."), f" {_title(s.title, 100)} — ", Time(s.starts_at)) for s in result.sessions]
    notes = [text(f"• {note}") for note in result.notes]
    description = Text(("\n",)).join(lines + ([text("")] if lines and notes else []) + notes)
    footer = "Reminders are scheduled. Fix any with /session edit." if result.sessions and not result.dry_run else None
    return Embed(
        title="Dry run: nothing was stored" if result.dry_run else title,
        description=description or None,
        colour=COLOUR,
        footer=footer,
    )


def change_embed(change: SessionChange, *, verb: str) -> Embed:
    """Confirm a session that was added or edited: when, where, who, its reminders and any notes."""
    session = change.session
    starts = session.starts_at
    fields = [
        EmbedField(
            "When", text(Time(starts), " (", Time(starts, TimeStyle.RELATIVE), f")\n{session.duration_minutes} minutes")
        ),
        EmbedField("Where", location_text(session)),
    ]
    if session.speaker:
        fields.append(EmbedField("Speaker", _title(session.speaker)))
    if not session.is_cancelled:
        times = [
            text(Time(at, TimeStyle.SHORT), " (", Time(at, TimeStyle.RELATIVE), ")") for at in sorted(change.reminders)
        ]
        fields.append(EmbedField("Reminders", Text(("\n",)).join(times) if times else "None scheduled."))
    if change.notes:
        fields.append(EmbedField("Please note", "\n".join(f"• {n}" for n in change.notes)))
    return Embed(
        title=f"Session {session.number} {verb}: {_title(session.title)}",
        description=clean_text(session.description) or None,
        colour=COLOUR,
        fields=tuple(fields),
    )


def cancelled_embed(change: SessionChange) -> Embed:
    """Confirm a cancellation and say what follows from it."""
    session = change.session
    lines = ["Its pending reminders are cancelled."]
    if not change.notes:
        lines.append("The cancellation is being announced, and its Scheduled Event is cancelled.")
    if session.cancel_reason:
        lines.append(f"Reason: {clean_text(session.cancel_reason)}")
    fields = [EmbedField("Was due", text(Time(session.starts_at)))]
    if change.notes:
        fields.append(EmbedField("Please note", "\n".join(f"• {n}" for n in change.notes)))
    return Embed(
        title=f"Session {session.number} cancelled: {_title(session.title)}",
        description="\n".join(lines),
        fields=tuple(fields),
    )


def outcomes_embed(change: OutcomeChange) -> Embed:
    """Return the programme's learning outcomes, headed by what the command changed."""
    lines = [f"{o.number}. {_title(o.text)}" for o in change.outcomes]
    description = "\n".join(lines) or (
        "No learning outcomes yet. Add one with /programme outcomes add, or an outcomes: list in the import file."
    )
    verb = OUTCOME_VERBS.get(change.action)
    footer = None
    if change.outcome is not None and verb is not None:
        footer = f"{verb} outcome {change.outcome.number}: {_title(change.outcome.text, 150)}"
    title = f"Learning outcomes ({len(change.outcomes)} of at most {MAX_OUTCOMES})"
    return Embed(title=title, description=description, colour=COLOUR, footer=footer)


def rsvp_text(status: RsvpStatus) -> str:
    """Answer someone who pressed "I'll be there"."""
    people = f"{status.count} {'person is' if status.count == 1 else 'people are'} coming"
    if status.going:
        return f"✋ You're down as coming ({people}). Press the button again if you can't make it after all."
    return f"You're no longer down as coming ({people})."


def dm_reminders_text(enabled: bool, changed: bool) -> str:
    """Confirm the reminder-DM preference."""
    if enabled:
        head = "Reminder DMs are on" if changed else "Reminder DMs were already on"
        return (
            f"{head}: Blether will send you each session reminder by direct message too. "
            "Stop them with /reminders dm off."
        )
    head = "Reminder DMs are off" if changed else "Reminder DMs were already off"
    return f"{head}: you'll see reminders in the announcements channel only. Turn them on with /reminders dm on."


def dm_reminders_status(enabled: bool) -> str:
    """Say whether reminder DMs are on for the person."""
    if enabled:
        return (
            "Reminder DMs are on: each session reminder also comes by direct message. Stop them with /reminders dm off."
        )
    return "Reminder DMs are off: you see reminders in the announcements channel. Turn them on with /reminders dm on."


def rsvps_text(user_ids: Sequence[int]) -> Text:
    """List who said they will come."""
    if not user_ids:
        return text("Nobody has said they'll be there yet.")
    head = f"{len(user_ids)} {'person has' if len(user_ids) == 1 else 'people have'} said they'll be there:"
    return Text(("\n",)).join([text(head), *(text(user(uid)) for uid in user_ids)])


def register(registry: Registry) -> None:
    """Add the programme and session commands and the reminder buttons."""

    @registry.command(
        "programme setup",
        "Set up the programme, or change only the settings you give.",
        Option("timezone", "The programme's time zone, e.g. Europe/London", min=1, max=64),
        Option("announcements", "Where reminders and cancellations are posted", Kind.CHANNEL, channels=TEXT),
        Option("reflections", "Where reflection cards are posted", Kind.CHANNEL, channels=TEXT),
        Option("flash_reports", "Where the Flash Report is published", Kind.CHANNEL, channels=TEXT),
        Option("facilitator_role", "Whose members may use facilitator commands", Kind.ROLE),
        Option("participant_role", "The role reminders mention", Kind.ROLE),
        Option("reminder_offsets", "When to remind, e.g. 7d,1d,1h (none for no reminders)", min=1, max=100),
        Option("facilitator_channel", "Private channel for notices to facilitators", Kind.CHANNEL, channels=TEXT),
        Option("groups_channel", "Where each small group gets a private thread", Kind.CHANNEL, channels=TEXT),
        Option(
            "groups_before", "Make small groups this long before each session, e.g. 15m (off to stop)", min=1, max=20
        ),
        Option("peer_coach_role", "Role of peer coaches (one is placed in each group)", Kind.ROLE),
        Option(
            "group_archive_hours", "Archive group threads this many hours after a session", Kind.INTEGER, min=1, max=720
        ),
        Option(
            "connect_every_days", "Introduce opted-in participants every this many days", Kind.INTEGER, min=1, max=90
        ),
        Option("groups_voice_category", "For voice sessions, a voice channel per group in this category", Kind.CHANNEL),
        facilitator=True,
    )
    async def programme_setup(context: Context, values: dict[str, Any]) -> None:
        update = ProgrammeSettingsUpdate(
            timezone=values["timezone"],
            announcements_channel_id=values["announcements"],
            reflections_channel_id=values["reflections"],
            flash_reports_channel_id=values["flash_reports"],
            facilitator_channel_id=values["facilitator_channel"],
            facilitator_role_id=values["facilitator_role"],
            participant_role_id=values["participant_role"],
            reminder_offsets=values["reminder_offsets"],
            groups_channel_id=values["groups_channel"],
            groups_before_minutes=values["groups_before"],
            peer_coach_role_id=values["peer_coach_role"],
            group_archive_hours=values["group_archive_hours"],
            connect_every_days=values["connect_every_days"],
            groups_voice_category_id=values["groups_voice_category"],
        )
        result = await context.services.programme.setup(context.actor, update)
        now = context.shell.now()
        await context.reply(setup_reply(result), embeds=[programme_embed(result.programme, now=now)])

    async def outcomes(context: Context, action: str, *, number: int = 0, text: str = "") -> None:
        change = await context.services.programme.change_outcomes(context.actor, action, number=number, text=text)
        await context.reply(embeds=[outcomes_embed(change)])

    @registry.command("programme outcomes list", "List the programme's learning outcomes.", facilitator=True)
    async def outcomes_list(context: Context, values: dict[str, Any]) -> None:
        await outcomes(context, "list")

    @registry.command(
        "programme outcomes add",
        "Add a learning outcome at the end of the list.",
        Option("text", "The outcome in a few words", required=True, min=1, max=OUTCOME_TEXT_LIMIT),
        facilitator=True,
    )
    async def outcomes_add(context: Context, values: dict[str, Any]) -> None:
        await outcomes(context, "add", text=values["text"])

    @registry.command(
        "programme outcomes edit",
        "Change the words of a learning outcome.",
        Option("number", "The outcome's number in /programme outcomes list", Kind.INTEGER, True, 1, MAX_OUTCOMES),
        Option("text", "The new words", required=True, min=1, max=OUTCOME_TEXT_LIMIT),
        facilitator=True,
    )
    async def outcomes_edit(context: Context, values: dict[str, Any]) -> None:
        await outcomes(context, "edit", number=values["number"], text=values["text"])

    @registry.command(
        "programme outcomes remove",
        "Remove a learning outcome (questionnaires keep the words they were made with).",
        Option("number", "The outcome's number in /programme outcomes list", Kind.INTEGER, True, 1, MAX_OUTCOMES),
        facilitator=True,
    )
    async def outcomes_remove(context: Context, values: dict[str, Any]) -> None:
        await outcomes(context, "remove", number=values["number"])

    @registry.command("programme show", "Show the programme's settings.", facilitator=True)
    async def programme_show(context: Context, values: dict[str, Any]) -> None:
        programme = await context.services.programme.get_programme(context.actor.guild_id)
        require_facilitator(programme, context.actor, "see the programme setup")
        if programme is None:
            raise ProgrammeNotSetUpError()
        await context.reply(embeds=[programme_embed(programme, now=context.shell.now())])

    @registry.command(
        "programme import",
        "Add sessions from a CSV or YAML file: all of them, or none if anything in it is wrong.",
        Option("file", "CSV or YAML: number, title, start, duration, location…", Kind.FILE, required=True),
        Option("dry_run", "Only check the file; nothing is stored", Kind.BOOLEAN, default=False),
        facilitator=True,
    )
    async def programme_import(context: Context, values: dict[str, Any]) -> None:
        programme = context.services.programme
        require_facilitator(await programme.get_programme(context.actor.guild_id), context.actor, "import sessions")
        filename, data = values["file"]
        if len(data) > MAX_FILE_BYTES:
            raise ValidationError(
                f"Nothing was imported: {filename} is {len(data) // 1024} KiB and the limit is "
                f"{MAX_FILE_BYTES // 1024} KiB. Split it into smaller files."
            )
        result = await programme.import_sessions(context.actor, data, filename, dry_run=values["dry_run"])
        count = len(result.sessions)
        title = f"Imported {count} session{'s' if count != 1 else ''} from {filename[:100]}"
        await context.reply(embeds=[batch_embed(result, title=title)])

    @registry.command(
        "session add",
        "Add a session; its reminders and calendar event are scheduled for you.",
        _number(required=True),
        *_session_options(adding=True),
        facilitator=True,
    )
    async def session_add(context: Context, values: dict[str, Any]) -> None:
        draft = SessionDraft(
            number=values["number"],
            title=values["title"],
            starts=values["starts"],
            duration_minutes=values["duration"],
            location=venue(values["location"], _channel(values)),
            description=values["description"] or "",
            speaker=values["speaker"] or "",
        )
        change = await context.services.programme.add_session(context.actor, draft)
        await context.reply(embeds=[change_embed(change, verb="added")])

    @registry.command(
        "session series",
        "Add a series of sessions that follow a rule, all at once (or none if one clashes).",
        Option("rule", 'e.g. "first Thursday of each month at 18:30"', required=True, min=5, max=200),
        Option("count", "How many sessions (default: one per title)", Kind.INTEGER, min=1, max=100),
        Option("titles", "One title per session, separated by commas (| if titles contain commas)", min=1, max=4000),
        _number("start_number", default=1),
        Option("starting", "First date to consider, YYYY-MM-DD (default today)", min=1, max=20),
        *[o for o in _session_options(adding=True) if o.name not in ("title", "starts")],
        Option("dry_run", "Only check the series; nothing is stored", Kind.BOOLEAN, default=False),
        facilitator=True,
    )
    async def session_series(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.programme.add_series(
            context.actor,
            rule=values["rule"],
            count=values["count"],
            titles=values["titles"] or "",
            start_number=values["start_number"],
            starting=values["starting"],
            duration_minutes=values["duration"],
            location=venue(values["location"], _channel(values)),
            description=values["description"] or "",
            speaker=values["speaker"] or "",
            dry_run=values["dry_run"],
        )
        count = len(result.sessions)
        await context.reply(embeds=[batch_embed(result, title=f"Added {count} session{'s' if count != 1 else ''}")])

    @registry.command(
        "session edit",
        "Change a session; only the options you give change (a new start moves its reminders).",
        Option("session", "The session to change (its number)", Kind.SESSION, required=True),
        _number(),
        *_session_options(adding=False),
        Option("prompt", "Discussion prompt posted in each small group's thread (- to clear it)", min=1, max=500),
        facilitator=True,
    )
    async def session_edit(context: Context, values: dict[str, Any]) -> None:
        changes = SessionEdit(
            number=values["number"],
            title=values["title"],
            starts=values["starts"],
            duration_minutes=values["duration"],
            location=venue(values["location"], _channel(values)),
            description=clearable(values["description"]),
            speaker=clearable(values["speaker"]),
            prompt=clearable(values["prompt"]),
        )
        change = await context.services.programme.edit_session(context.actor, values["session"], changes)
        await context.reply(embeds=[change_embed(change, verb="updated")])

    @registry.command(
        "session cancel",
        "Cancel a session: its reminders stop and the cancellation is announced.",
        Option("session", "The session to cancel (its number)", Kind.SESSION, required=True),
        Option("reason", "Why, shown in the announcement", min=1, max=CANCEL_REASON_LIMIT),
        facilitator=True,
    )
    async def session_cancel(context: Context, values: dict[str, Any]) -> None:
        change = await context.services.programme.cancel_session(
            context.actor, values["session"], values["reason"] or ""
        )
        await context.reply(embeds=[cancelled_embed(change)])

    @registry.command(
        "session rsvps",
        'See who said "I\'ll be there" for a session.',
        Option("session", "The session (its number)", Kind.SESSION, required=True),
        facilitator=True,
    )
    async def session_rsvps(context: Context, values: dict[str, Any]) -> None:
        user_ids = await context.services.programme.list_rsvps(context.actor, values["session"])
        await context.reply(rsvps_text(user_ids))

    @registry.command("sessions", "List the upcoming sessions.")
    async def sessions(context: Context, values: dict[str, Any]) -> None:
        guild_id = context.actor.guild_id
        programme = await context.services.programme.show(guild_id)
        upcoming = await context.services.programme.list_upcoming(guild_id, limit=UPCOMING_LIMIT)
        await context.reply(embeds=[upcoming_embed(programme, upcoming)])

    @registry.command("calendar", "Get a calendar file (.ics) with every session.")
    async def calendar(context: Context, values: dict[str, Any]) -> None:
        attachment = await context.services.programme.calendar_ics(context.actor.guild_id)
        await context.reply(
            "Open this file to add every session to your calendar (Google, Outlook, Apple…). "
            "Cancelled sessions show as cancelled.",
            files=[attachment],
        )

    @registry.command(
        "reminders dm",
        "Turn session reminders by direct message on or off for you (or see which it is).",
        Option(
            "setting",
            "on: also get each reminder by DM; off: channel only. Leave out to check.",
            Kind.CHOICE,
            choices=(Choice("on"), Choice("off")),
        ),
    )
    async def reminders_dm(context: Context, values: dict[str, Any]) -> None:
        if values["setting"] is None:
            enabled = await context.services.programme.dm_reminders_enabled(context.actor.guild_id, context.member.id)
            await context.reply(dm_reminders_status(enabled))
            return
        enabled = values["setting"] == "on"
        changed = await context.services.programme.set_dm_reminders(context.actor.guild_id, context.member.id, enabled)
        await context.reply(dm_reminders_text(enabled, changed))

    @registry.button(ICS_TEMPLATE, "Add to calendar")
    async def ics_button(context: Context, match: Any, shown: Shown) -> None:
        session_id = parse_ics_button_id(match.group(0))
        attachment = await context.services.programme.session_ics(context.actor.guild_id, session_id or 0)
        await context.reply(
            "Open this file to add the session to your calendar (Google, Outlook, Apple…).", files=[attachment]
        )

    @registry.button(RSVP_TEMPLATE, "I'll be there")
    async def rsvp_button(context: Context, match: Any, shown: Shown) -> None:
        session_id = parse_rsvp_button_id(match.group(0))
        status = await context.services.programme.toggle_rsvp(
            context.actor.guild_id, session_id or 0, context.member.id
        )
        await context.reply(rsvp_text(status))
