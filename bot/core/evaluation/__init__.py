"""Evaluation: pseudonymised exports, the programme report (figures, charts, HTML) and participants' data rights.

Entry points (one call per command; every refusal is a DomainError with a message for the user):

    service = EvaluationService(database, clock, flash=flash_service, dispatcher=dispatcher,
                                export_key=settings.export_key)
    await service.export(actor, "all" | kind, "csv" | "json") -> ExportResult     # facilitators; .files to attach
    await service.programme_report(actor) -> ReportResult    # facilitators; .embeds (one message) + .files
    await service.session_report(actor, session_id) -> ReportResult             # facilitators; .embeds
    await service.privacy(guild_id) -> str                                       # /privacy, fits an embed
    await service.export_my_data(actor) -> FileAttachment                        # /me data
    await service.erase_me(actor) -> ErasureReport                               # /me delete (.lines(), .receipt)
    await write_report(database, guild_id, out_path) -> list[Path]               # CLI: report.html + PNGs

Numbers come from figures.compute_programme_figures / compute_session_figures; every renderer shows counts of
people through figures.suppress (0 → "0", 1–4 → "<5"). Retention: deliveries.register(dispatcher,
database=..., clock=...) once, then service.ensure_all_retention_sweeps() at start-up (and
ensure_retention_sweep(guild_id) when a programme is set up). See each module's docstring for the rules.
"""

from bot.core.evaluation.charts import Chart, ChartSpec, chart_specs, render_charts
from bot.core.evaluation.deliveries import RETENTION_SWEEP
from bot.core.evaluation.errors import MissingExportKeyError, UnknownChoiceError, WrongServerError
from bot.core.evaluation.exports import ExportFormat, ExportKind, ExportResult
from bot.core.evaluation.figures import (
    ProgrammeFigures,
    SessionFigures,
    compute_programme_figures,
    compute_session_figures,
    suppress,
)
from bot.core.evaluation.privacy import privacy_notice
from bot.core.evaluation.pseudonyms import pseudonym
from bot.core.evaluation.render import render_html_report, report_summary_embeds
from bot.core.evaluation.report import ProgrammeReport, build_report, write_report
from bot.core.evaluation.retention import RetentionSweeper
from bot.core.evaluation.rights import ErasureReport
from bot.core.evaluation.service import EvaluationService, ReportResult

__all__ = [
    "RETENTION_SWEEP",
    "Chart",
    "ChartSpec",
    "ErasureReport",
    "EvaluationService",
    "ExportFormat",
    "ExportKind",
    "ExportResult",
    "MissingExportKeyError",
    "ProgrammeFigures",
    "ProgrammeReport",
    "ReportResult",
    "RetentionSweeper",
    "SessionFigures",
    "UnknownChoiceError",
    "WrongServerError",
    "build_report",
    "chart_specs",
    "compute_programme_figures",
    "compute_session_figures",
    "privacy_notice",
    "pseudonym",
    "render_charts",
    "render_html_report",
    "report_summary_embeds",
    "suppress",
    "write_report",
]
