"""Turn the evaluation core's results into Discord files, embeds and texts."""

import discord

from bot.core.evaluation import ErasureReport, ExportResult
from bot.core.messages import code, text
from bot.discord_render import render

MAX_FILES = 10
"""Discord allows at most 10 attachments on one message."""


def batches(files: list[discord.File]) -> list[list[discord.File]]:
    """Split files into messages of at most MAX_FILES attachments."""
    return [files[i : i + MAX_FILES] for i in range(0, len(files), MAX_FILES)] or [[]]


def exported(result: ExportResult) -> str:
    """Say what the export contains (table row counts; no names or ids)."""
    rows = ", ".join(f"{name}: {count} rows" for name, count in result.rows.items()) or "no rows"
    return (
        f"Pseudonymised {result.kind.value} export ({result.fmt.value}) — {rows}. "
        "Participant ids are replaced by pseudonyms; keep the files with the evaluators only."
    )


def confirm_delete() -> str:
    """Warn before /me delete erases anything."""
    return (
        "**Erase everything Blether holds about you in this server?**\n"
        "Your profile, consent answers, RSVPs, reflections, attendance and Flash Report items are removed "
        "(published Flash Reports are marked). This cannot be undone. Press the button to confirm; "
        "otherwise nothing happens."
    )


def erased(report: ErasureReport) -> str:
    """Confirm an erasure with its receipt and what was removed."""
    if report.nothing_held:
        return render(text("Blether held nothing about you in this server. Receipt: ", code(report.receipt), "."))
    removed = "\n".join(f"• {line}" for line in report.lines())
    return render(text("Done: your data in this server is erased. Receipt: ", code(report.receipt), ".\n", removed))


def retention_set(months: int) -> str:
    """Confirm the programme's retention period."""
    return (
        f"Free text (reflection answers, stories, notes) is now kept for {months} months after the programme's "
        "last session, then removed by the daily sweep. Ratings and counts stay. /privacy shows the new period."
    )
