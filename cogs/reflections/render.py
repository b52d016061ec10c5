"""Private replies of the reflections feature: the saved answers, check-ins, results and attendance."""

import discord

from bot.core.messages import Embed, EmbedField, Text, Time, lines, strong, text, user
from bot.core.reflections import (
    AttendanceList,
    CheckInResult,
    ImportResult,
    MarkResult,
    PollResults,
    QuestionKind,
    QuestionSet,
    SavedReflection,
)
from bot.core.reflections.render import quotes_text, ratings_text, response_line
from bot.core.text import one_line, paragraphs
from bot.discord_ports import to_discord_embed
from bot.discord_render import render

BRAND = 0x2E8B57
ANSWER_LIMIT = 900


def _heading(number: int, title: str) -> str:
    return f"Session {number}: {one_line(title, 150)}"


def _answer_text(kind: QuestionKind, value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if kind is QuestionKind.RATING and isinstance(value, int):
        return f"{'★' * value}{'☆' * (5 - value)} ({value}/5)"
    if kind is QuestionKind.CHECKBOX:
        return "Yes" if value else "No"
    return paragraphs(str(value), ANSWER_LIMIT)


def saved_reflection(saved: SavedReflection) -> discord.Embed:
    """Confirm a saved reflection, showing each answer as stored (made safe)."""
    verb = "saved" if saved.created else "updated"
    description = text(
        "Your reflection on ",
        strong(_heading(saved.session_number, saved.session_title)),
        f" is {verb}. You can change it until ",
        Time(saved.closes_at),
        " by pressing Reflect again.",
    )
    fields = tuple(
        EmbedField(one_line(answer.label, 200) or answer.field_id, _answer_text(answer.kind, answer.value))
        for answer in saved.answers[:5]
    )
    return to_discord_embed(
        Embed(title=f"Reflection {verb} — thank you!", description=description, colour=BRAND, fields=fields)
    )


def checked_in(result: CheckInResult) -> str:
    """Confirm a check-in."""
    where = strong(_heading(result.session_number, result.session_title))
    if result.already:
        return render(text("You were already checked in to ", where, "."))
    return render(text("Thanks — you are checked in to ", where, "."))


def results_embed(results: PollResults) -> discord.Embed:
    """Show a poll's results to facilitators: counts, ratings and consented quotes; never names."""
    fields = [
        EmbedField(
            "Ratings", ratings_text(f"Mean {results.mean_rating or 0:.1f} from {results.ratings}", results), inline=True
        )
        if results.ratings
        else EmbedField("Ratings", "No ratings yet.", inline=True)
    ]
    if results.quotes:
        fields.append(EmbedField("Quotes (with permission)", quotes_text(results.quotes, 1024)))
    return to_discord_embed(
        Embed(
            title=f"Reflections — {_heading(results.session_number, results.session_title)}",
            description=f"{response_line(results)}\nStatus: {results.status.value}",
            colour=BRAND,
            fields=tuple(fields),
        )
    )


def question_set_text(question_set: QuestionSet, *, session: int | None, default: bool) -> str:
    """Confirm a new question set and where it is used."""
    said: Text = lines(
        text("Question set ", strong(one_line(question_set.name, 80)), " saved."),
        "It is assigned to the session you chose." if session is not None else None,
        "It is now the default for new sessions." if default else None,
    )
    return render(said)


def question_set_used(question_set: QuestionSet) -> str:
    """Confirm that a session's reflections use a question set."""
    return render(
        text("The session's reflections will ask the questions of ", strong(one_line(question_set.name, 80)), ".")
    )


def question_set_default(question_set: QuestionSet) -> str:
    """Confirm the programme's default question set."""
    return render(
        text(
            strong(one_line(question_set.name, 80)),
            " is now the default for sessions without their own set (sessions already answered keep their questions).",
        )
    )


def marked(result: MarkResult) -> str:
    """Confirm a manual attendance mark (the member is shown as a mention that pings nobody)."""
    if result.already:
        return render(text(user(result.user_id), " was already marked as present."))
    return render(text(user(result.user_id), " is marked as present."))


def imported(result: ImportResult) -> str:
    """Confirm an attendance import."""
    return (
        f"Imported {result.rows} row{'s' if result.rows != 1 else ''}: {result.matched} matched, "
        f"{result.added} newly marked present."
    )


def attendance_embed(listing: AttendanceList) -> discord.Embed:
    """List who attended a session (facilitators only; mentions never ping)."""
    people = [
        text(user(uid), f" ({', '.join(s.value for s in listing.sources.get(uid, ()))})") for uid in listing.user_ids
    ]
    shown = text("\n").join(people) if people else text("Nobody recorded yet.")
    return to_discord_embed(
        Embed(
            title=f"Attendance — Session {listing.session_number} ({listing.count})",
            description=shown,
            colour=BRAND,
        )
    )
