"""/reflect, /checkin, /reflection open|close|results|questions, /attendance mark|import|show and the card's buttons."""

import re
from typing import Any

from bot.core.errors import DomainError
from bot.core.messages import Embed, EmbedField, Text, Time, strong, text
from bot.core.programme.validation import latest_started
from bot.core.reflections import (
    AttendanceList,
    CheckInResult,
    ImportResult,
    MarkResult,
    MemberName,
    PollResults,
    QuestionKind,
    SavedReflection,
)
from bot.core.reflections.ids import ATTEND_TEMPLATE, REFLECT_TEMPLATE
from bot.core.reflections.render import distribution_lines, response_line
from bot.core.text import clean_text
from bot.shell.commands import Context, Registry
from bot.shell.features.people import show_prompt
from bot.shell.forms import reflection_form
from bot.shell.options import Kind, Option
from bot.shell.ports import Shown

BRAND = 0x2E8B57
MAX_IMPORT_BYTES = 1_000_000


def _heading(number: int, title: str) -> str:
    return f"Session {number}: {clean_text(title, keep_newlines=False)[:150]}"


def _answer_text(kind: QuestionKind, value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if kind is QuestionKind.RATING and isinstance(value, int):
        return f"{'★' * value}{'☆' * (5 - value)} ({value}/5)"
    if kind is QuestionKind.CHECKBOX:
        return "Yes" if value else "No"
    return clean_text(str(value))


def saved_reflection(saved: SavedReflection) -> Embed:
    """Confirm a saved reflection, showing each answer as stored."""
    verb = "saved" if saved.created else "updated"
    return Embed(
        title=f"Reflection {verb} — thank you!",
        description=text(
            "Your reflection on ",
            strong(_heading(saved.session_number, saved.session_title)),
            f" is {verb}. You can change it until ",
            Time(saved.closes_at),
            " by pressing Reflect again.",
        ),
        colour=BRAND,
        fields=tuple(
            EmbedField(clean_text(a.label, keep_newlines=False) or a.field_id, _answer_text(a.kind, a.value))
            for a in saved.answers[:5]
        ),
    )


def checked_in(result: CheckInResult) -> Text:
    """Confirm a check-in."""
    where = strong(_heading(result.session_number, result.session_title))
    if result.already:
        return text("You were already checked in to ", where, ".")
    return text("Thanks — you are checked in to ", where, ".")


def results_embed(results: PollResults) -> Embed:
    """Show a poll's results to facilitators: counts, ratings and consented quotes; never names."""
    fields = []
    if results.ratings:
        mean = f"Mean {results.mean_rating or 0:.1f} from {results.ratings}\n"
        fields.append(EmbedField("Ratings", mean + "\n".join(distribution_lines(results))))
    else:
        fields.append(EmbedField("Ratings", "No ratings yet."))
    if results.quotes:
        fields.append(EmbedField("Quotes (with permission)", "\n".join(f"> {clean_text(q)}" for q in results.quotes)))
    return Embed(
        title=f"Reflections — {_heading(results.session_number, results.session_title)}",
        description=f"{response_line(results)}\nStatus: {results.status.value}",
        colour=BRAND,
        fields=tuple(fields),
    )


def marked(result: MarkResult) -> Text:
    """Confirm a manual attendance mark."""
    from bot.core.messages import user

    tail = " was already marked as present." if result.already else " is marked as present."
    return text(user(result.user_id), tail)


def imported(result: ImportResult) -> str:
    """Confirm an attendance import."""
    return (
        f"Imported {result.rows} row{'s' if result.rows != 1 else ''}: {result.matched} matched, "
        f"{result.added} newly marked present."
    )


def attendance_embed(listing: AttendanceList) -> Embed:
    """List who attended a session (facilitators only)."""
    from bot.core.messages import user

    people = [
        text(user(uid), f" ({', '.join(s.value for s in listing.sources.get(uid, ()))})") for uid in listing.user_ids
    ]
    return Embed(
        title=f"Attendance — Session {listing.session_number} ({listing.count})",
        description=Text(("\n",)).join(people) if people else "Nobody recorded yet.",
        colour=BRAND,
    )


async def _default_session(context: Context, chosen: int | None) -> int:
    if chosen is not None:
        return chosen
    sessions = await context.services.programme.list_sessions(context.actor.guild_id, include_cancelled=False)
    return latest_started(sessions, context.shell.now()).id


async def open_reflection(context: Context, session_id: int) -> None:
    """Ask the person the session's reflection form, save it, confirm it (and ask for consent if missing)."""
    reflections = context.services.reflections
    form = await reflections.reflection_form(context.actor, session_id)
    values = await context.form(reflection_form(form))
    saved = await reflections.submit_reflection(context.actor, session_id, values)
    await context.reply(embeds=[saved_reflection(saved)])
    await show_prompt(context)


async def check_in(context: Context, session_id: int) -> None:
    """Record that the person attended a session."""
    result = await context.services.attendance.check_in(context.actor, session_id)
    await context.reply(checked_in(result))


def register(registry: Registry) -> None:
    """Add the reflection and attendance commands and the card's buttons."""
    session = Option("session", "The session (its number)", Kind.SESSION, required=True)
    latest = Option("session", "The session (the most recent one if left out)", Kind.SESSION)

    @registry.command("reflect", "Share what worked well in a session and what would make it even better.", latest)
    async def reflect(context: Context, values: dict[str, Any]) -> None:
        await open_reflection(context, await _default_session(context, values["session"]))

    @registry.command("checkin", "Say that you attended a session.", latest)
    async def checkin(context: Context, values: dict[str, Any]) -> None:
        await check_in(context, await _default_session(context, values["session"]))

    @registry.command("reflection open", "Open (or reopen) a session's reflections now.", session, facilitator=True)
    async def reflection_open(context: Context, values: dict[str, Any]) -> None:
        poll = await context.services.reflections.open_poll(context.actor, values["session"])
        await context.reply(text("Reflections are open until ", Time(poll.closes_at), "."))

    @registry.command(
        "reflection close", "Close a session's reflections now and post the summary.", session, facilitator=True
    )
    async def reflection_close(context: Context, values: dict[str, Any]) -> None:
        await context.services.reflections.close_poll(context.actor, values["session"])
        await context.reply("Reflections are closed; the summary goes to the facilitators' channel.")

    @registry.command("reflection results", "Show a session's reflection results so far.", session, facilitator=True)
    async def reflection_results(context: Context, values: dict[str, Any]) -> None:
        results = await context.services.reflections.results(context.actor, values["session"])
        await context.reply(embeds=[results_embed(results)])

    question = 'Another question, "<kind>[*]: <label>[ = a; b]"'

    @registry.command(
        "reflection questions",
        'Create a question set, e.g. q1:"rating*: How useful was it?".',
        Option("name", "A name for the set", required=True, min=1, max=60),
        Option(
            "q1",
            '"<kind>[*]: <label>[ = a; b]"; kind is rating, short, long, choice, checkbox or quote',
            required=True,
            min=1,
            max=300,
        ),
        *(Option(f"q{n}", question, min=1, max=300) for n in range(2, 6)),
        Option("session", "Use this set for one session", Kind.SESSION),
        Option("default", "Make it the default for sessions without their own set", Kind.BOOLEAN, default=False),
        facilitator=True,
    )
    async def reflection_questions(context: Context, values: dict[str, Any]) -> None:
        lines = [values[f"q{n}"] for n in range(1, 6) if values[f"q{n}"]]
        created = await context.services.reflections.create_question_set(
            context.actor, values["name"], lines, session_id=values["session"], default=values["default"]
        )
        reply = [text("Question set ", strong(clean_text(created.name, keep_newlines=False)), " saved.")]
        if values["session"] is not None:
            reply.append(text("It is assigned to the session you chose."))
        if values["default"]:
            reply.append(text("It is now the default for new sessions."))
        await context.reply(Text(("\n",)).join(reply))

    set_name = Option("name", "The question set (appreciative, quick or one you created)", required=True, min=1, max=60)

    @registry.command(
        "reflection use",
        "Ask a session's reflections with a question set (until someone has answered).",
        session,
        set_name,
        facilitator=True,
    )
    async def reflection_use(context: Context, values: dict[str, Any]) -> None:
        found = await context.services.reflections.assign_question_set(context.actor, values["session"], values["name"])
        name = strong(clean_text(found.name, keep_newlines=False))
        await context.reply(text("The session's reflections will ask the questions of ", name, "."))

    @registry.command(
        "reflection default",
        "Make a question set the default for sessions without their own.",
        set_name,
        facilitator=True,
    )
    async def reflection_default(context: Context, values: dict[str, Any]) -> None:
        found = await context.services.reflections.set_default_question_set(context.actor, values["name"])
        name = strong(clean_text(found.name, keep_newlines=False))
        await context.reply(
            text(
                name,
                " is now the default for sessions without their own set "
                "(sessions already answered keep their questions).",
            )
        )

    @registry.command(
        "attendance mark",
        "Mark someone as present at a session.",
        session,
        Option("member", "Who attended", Kind.MEMBER, required=True),
        facilitator=True,
    )
    async def attendance_mark(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.attendance.mark_attendance(context.actor, values["session"], values["member"])
        await context.reply(marked(result))

    @registry.command(
        "attendance import",
        "Import a Zoom or Teams attendance CSV (all rows or nothing).",
        session,
        Option("file", "The attendance report (.csv)", Kind.FILE, required=True),
        facilitator=True,
    )
    async def attendance_import(context: Context, values: dict[str, Any]) -> None:
        _, data = values["file"]
        if len(data) > MAX_IMPORT_BYTES:
            raise DomainError("That file is too large for an attendance report (the limit is 1 MB).")
        members = [MemberName(m.id, m.name.lower(), m.name, None) for m in context.shell.world.members.values()]
        result = await context.services.attendance.import_attendance(context.actor, values["session"], data, members)
        await context.reply(imported(result))

    @registry.command("attendance show", "List who attended a session.", session, facilitator=True)
    async def attendance_show(context: Context, values: dict[str, Any]) -> None:
        listing = await context.services.attendance.attendance(context.actor, values["session"])
        await context.reply(embeds=[attendance_embed(listing)])

    @registry.button(REFLECT_TEMPLATE, "Reflect")
    async def reflect_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        await open_reflection(context, int(match["session_id"]))

    @registry.button(ATTEND_TEMPLATE, "I attended")
    async def attend_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        await check_in(context, int(match["session_id"]))
