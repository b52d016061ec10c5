"""The programme report as files: figures + charts + HTML, for Discord attachments and the command line."""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.clock import SystemClock
from bot.core.evaluation.charts import Chart, render_charts
from bot.core.evaluation.domain import Cohort
from bot.core.evaluation.figures import ProgrammeFigures, programme_figures
from bot.core.evaluation.render import render_html_report
from bot.core.evaluation.repository import load_cohort
from bot.core.files import write_private_file
from bot.core.messages import FileAttachment
from bot.core.storage.database import Database

HTML_NAME = "report.html"


@dataclass(frozen=True, slots=True)
class ProgrammeReport:
    """The report: its figures, rendered charts and the self-contained HTML page."""

    figures: ProgrammeFigures
    charts: tuple[Chart, ...]
    html: str

    def files(self) -> tuple[FileAttachment, ...]:
        """Return report.html and the charts as attachments (the HTML already embeds the charts)."""
        page = FileAttachment(HTML_NAME, self.html.encode("utf-8"), "The programme report (opens offline)")
        charts = tuple(FileAttachment(c.filename, c.png, c.spec.title) for c in self.charts)
        return (page, *charts)


async def report_from_cohort(cohort: Cohort) -> ProgrammeReport:
    """Compute the figures, render the charts in a worker thread and build the HTML."""
    figures = programme_figures(cohort)
    charts = await render_charts(figures)
    return ProgrammeReport(figures, charts, render_html_report(figures, charts))


async def build_report(database: Database, guild_id: int, *, now: datetime | None = None) -> ProgrammeReport:
    """Build the programme report of a server from the database."""
    cohort = await load_cohort(database, guild_id, now=now or SystemClock().now())
    return await report_from_cohort(cohort)


def _write(files: list[tuple[Path, bytes]]) -> None:
    for path, data in files:
        write_private_file(path, data)  # owner-only (0600), in directories created 0700


async def write_report(
    database: Database,
    guild_id: int,
    out_path: str | Path,
    *,
    now: datetime | None = None,
) -> list[Path]:
    """Write report.html and the chart PNGs beside it; return the paths written (the HTML first).

    out_path is a directory (it is created; the page is <dir>/report.html) or the HTML file's own path
    (anything ending in .html or .htm); the PNGs go into the same directory. Files are written 0600 and the
    directories created for them 0700 (bot.core.files).
    """
    target = Path(out_path)
    page = target if target.suffix.lower() in (".html", ".htm") else target / HTML_NAME
    report = await build_report(database, guild_id, now=now)
    files = [(page, report.html.encode("utf-8"))] + [(page.parent / c.filename, c.png) for c in report.charts]
    await asyncio.to_thread(_write, files)
    return [path for path, _ in files]
