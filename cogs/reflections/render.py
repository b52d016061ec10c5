"""Private replies of the reflections feature: the saved answers, check-ins, results and attendance."""

import discord

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
from bot.core.reflections.render import distribution_lines, response_line
from bot.core.text import sanitise_block, sanitise_inline

BRAND = 0x2E8B57
ANSWER_LIMIT = 900


def _heading(number: int, title: str) -> str:
    return f"Session {number}: {sanitise_inline(title, 150)}"


def _answer_text(kind: QuestionKind, value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if kind is QuestionKind.RATING and isinstance(value, int):
        return f"{'★' * value}{'☆' * (5 - value)} ({value}/5)"
    if kind is QuestionKind.CHECKBOX:
        return "Yes" if value else "No"
    return sanitise_block(str(value), ANSWER_LIMIT)


def saved_reflection(saved: SavedReflection) -> discord.Embed:
    """Confirm a saved reflection, showing each answer as stored (made safe)."""
    verb = "saved" if saved.created else "updated"
    embed = discord.Embed(
        title=f"Reflection {verb} — thank you!"[:256],
        description=(
            f"Your reflection on **{_heading(saved.session_number, saved.session_title)}** is {verb}. "
            f"You can change it until <t:{int(saved.closes_at.timestamp())}:F> by pressing Reflect again."
        ),
        colour=BRAND,
    )
    for answer in saved.answers[:5]:
        embed.add_field(
            name=sanitise_inline(answer.label, 200) or answer.field_id,
            value=_answer_text(answer.kind, answer.value),
            inline=False,
        )
    return embed


def checked_in(result: CheckInResult) -> str:
    """Confirm a check-in."""
    where = _heading(result.session_number, result.session_title)
    if result.already:
        return f"You were already checked in to **{where}**."
    return f"Thanks — you are checked in to **{where}**."


def results_embed(results: PollResults) -> discord.Embed:
    """Show a poll's results to facilitators: counts, ratings and consented quotes; never names."""
    embed = discord.Embed(
        title=f"Reflections — {_heading(results.session_number, results.session_title)}"[:256],
        description=f"{response_line(results)}\nStatus: {results.status.value}",
        colour=BRAND,
    )
    if results.ratings:
        mean = f"Mean {results.mean_rating or 0:.1f} from {results.ratings}\n"
        embed.add_field(name="Ratings", value=mean + "```\n" + "\n".join(distribution_lines(results)) + "\n```")
    else:
        embed.add_field(name="Ratings", value="No ratings yet.")
    if results.quotes:
        quotes = "\n".join(f"> {sanitise_inline(q, 300)}" for q in results.quotes)
        embed.add_field(name="Quotes (with permission)", value=quotes[:1024], inline=False)
    return embed


def question_set_text(question_set: QuestionSet, *, session: int | None, default: bool) -> str:
    """Confirm a new question set and where it is used."""
    lines = [f"Question set **{sanitise_inline(question_set.name, 80)}** saved."]
    if session is not None:
        lines.append("It is assigned to the session you chose.")
    if default:
        lines.append("It is now the default for new sessions.")
    return "\n".join(lines)


def question_set_used(question_set: QuestionSet) -> str:
    """Confirm that a session's reflections use a question set."""
    return f"The session's reflections will ask the questions of **{sanitise_inline(question_set.name, 80)}**."


def question_set_default(question_set: QuestionSet) -> str:
    """Confirm the programme's default question set."""
    return (
        f"**{sanitise_inline(question_set.name, 80)}** is now the default for sessions without their own set "
        "(sessions already answered keep their questions)."
    )


def marked(result: MarkResult) -> str:
    """Confirm a manual attendance mark (the member is shown as a mention that pings nobody)."""
    if result.already:
        return f"<@{result.user_id}> was already marked as present."
    return f"<@{result.user_id}> is marked as present."


def imported(result: ImportResult) -> str:
    """Confirm an attendance import."""
    return (
        f"Imported {result.rows} row{'s' if result.rows != 1 else ''}: {result.matched} matched, "
        f"{result.added} newly marked present."
    )


def attendance_embed(listing: AttendanceList) -> discord.Embed:
    """List who attended a session (facilitators only; mentions never ping)."""
    people = [f"<@{uid}> ({', '.join(s.value for s in listing.sources.get(uid, ()))})" for uid in listing.user_ids]
    text = "\n".join(people) or "Nobody recorded yet."
    if len(text) > 4000:
        text = text[:4000].rsplit("\n", 1)[0] + "\n…"
    return discord.Embed(
        title=f"Attendance — Session {listing.session_number} ({listing.count})", description=text, colour=BRAND
    )
