"""/export, /report programme|session and /retention set: files go to the shell's folder."""

from typing import Any

from bot.core.evaluation import ExportResult
from bot.core.programme.domain import ProgrammeSettingsUpdate
from bot.shell.commands import Context, Registry
from bot.shell.options import Choice, Kind, Option

EXPORT_KINDS = tuple(
    Choice(k)
    for k in (
        "responses",
        "attendance",
        "participants",
        "resources",
        "stories",
        "questionnaire_items",
        "questionnaire_answers",
        "interviews",
        "codebook",
        "group_memberships",
        "connections",
        "all",
    )
)
FORMATS = (Choice("csv"), Choice("json"))


def exported(result: ExportResult) -> str:
    """Say what the export contains (table row counts; no names or ids)."""
    rows = ", ".join(f"{name}: {count} rows" for name, count in result.rows.items()) or "no rows"
    return (
        f"Pseudonymised {result.kind.value} export ({result.fmt.value}) — {rows}. "
        "Participant ids are replaced by pseudonyms; keep the files with the evaluators only."
    )


def retention_text(months: int) -> str:
    """Confirm the programme's retention period."""
    return (
        f"Free text (reflection answers, stories, notes) is now kept for {months} months after the programme's "
        "last session, then removed by the daily sweep. Ratings and counts stay. /privacy shows the new period."
    )


def register(registry: Registry) -> None:
    """Add the evaluation commands."""

    @registry.command(
        "export",
        "Export pseudonymised evaluation data as files.",
        Option("kind", "Which table, or all of them in one zip", Kind.CHOICE, choices=EXPORT_KINDS, default="all"),
        Option("format", "csv (spreadsheets) or json", Kind.CHOICE, choices=FORMATS, default="csv"),
        facilitator=True,
    )
    async def export(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.evaluation.export(context.actor, values["kind"], values["format"])
        await context.reply(exported(result), files=result.files)

    @registry.command(
        "report programme", "Show the programme report with its charts and the HTML page.", facilitator=True
    )
    async def report_programme(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.evaluation.programme_report(context.actor)
        await context.reply(embeds=result.embeds, files=result.files)

    @registry.command(
        "report session",
        "Show one session's figures.",
        Option("session", "The session (its number)", Kind.SESSION, required=True),
        facilitator=True,
    )
    async def report_session(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.evaluation.session_report(context.actor, values["session"])
        await context.reply(embeds=result.embeds)

    @registry.command(
        "retention set",
        "Keep free text this many months after the programme's last session.",
        Option("months", "1 to 120 months", Kind.INTEGER, required=True, min=1, max=120),
        facilitator=True,
    )
    async def retention_set(context: Context, values: dict[str, Any]) -> None:
        update = ProgrammeSettingsUpdate(retention_months=values["months"])
        result = await context.services.programme.setup(context.actor, update)
        await context.services.evaluation.ensure_retention_sweep(context.actor.guild_id)
        await context.reply(retention_text(result.programme.retention_months))
