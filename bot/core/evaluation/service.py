"""Evaluation use-cases: exports, the programme report, and participants' data rights.

Cogs and the command line call one method per command and render what comes back; nothing here knows Discord.
Facilitator-only: exports and reports. Everyone: /privacy, /me data, /me delete (their own data only).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.errors import NotConfiguredError
from bot.core.evaluation.errors import WrongServerError
from bot.core.evaluation.exports import ExportFormat, ExportKind, ExportResult, build_files
from bot.core.evaluation.figures import ProgrammeFigures, SessionFigures, programme_figures, session_figures
from bot.core.evaluation.privacy import privacy_notice
from bot.core.evaluation.pseudonyms import check_export_key
from bot.core.evaluation.render import report_summary_embeds
from bot.core.evaluation.report import ProgrammeReport, report_from_cohort
from bot.core.evaluation.repository import load_cohort
from bot.core.evaluation.retention import RetentionSweeper
from bot.core.evaluation.rights import (
    ErasureReport,
    collect_personal_data,
    erase_in,
    erasure_report,
    personal_data_file,
    record_erasure,
)
from bot.core.flash.service import FlashService
from bot.core.messages import Embed, FileAttachment, Text
from bot.core.programme.errors import SessionNotFoundError
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.storage.database import Database
from bot.core.storage.state import SqlAuditRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What /report programme or /report session shows: the figures, their embeds, and files to attach."""

    figures: ProgrammeFigures | SessionFigures
    embeds: tuple[Embed, ...]
    files: tuple[FileAttachment, ...] = ()


class EvaluationService:
    """Exports for the evaluators, the programme report, and /privacy, /me data and /me delete."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        flash: FlashService | None = None,
        dispatcher: DeliveryScheduler | None = None,
        export_key: str = "",
    ) -> None:
        """Build the service; flash (the Flash Report's erase_user) is needed by erase_me, dispatcher by the
        retention methods. Without them those methods raise NotConfiguredError (e.g. in a command-line export)."""
        self._database = database
        self._clock = clock
        self._flash = flash
        self._export_key = export_key
        self._dispatcher = dispatcher
        self._retention = None if dispatcher is None else RetentionSweeper(database, clock, dispatcher)

    @property
    def retention(self) -> RetentionSweeper:
        """Return the retention sweeper (needs the dispatcher)."""
        if self._retention is None:
            raise NotConfiguredError(
                "Retention sweeps need the delivery dispatcher, which this process has not set up."
            )
        return self._retention

    async def _require_facilitator(self, actor: Actor, action: str) -> None:
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(actor.guild_id)
        require_facilitator(programme, actor, action)

    # -- exports -----------------------------------------------------------------------------------------------

    async def export(
        self, actor: Actor, kind: ExportKind | str = ExportKind.ALL, fmt: ExportFormat | str = ExportFormat.CSV
    ) -> ExportResult:
        """Export pseudonymised evaluation data (facilitators only).

        kind: responses, attendance, participants, resources, stories, sessions, or all (one zip with every
        file, data_dictionary.csv and README.txt). fmt: csv or json. A single kind comes with its
        data_dictionary.csv. The export is recorded in the audit trail (who, what, how many rows).

        Raises:
            UnknownChoiceError: an unknown kind or format. PermissionDeniedError: not a facilitator.
            MissingExportKeyError: BLETHER_EXPORT_KEY is not set (or too easy to guess, bot.core.keys); the
                message says how to generate and set it.
        """
        parsed_kind, parsed_fmt = ExportKind.parse(kind), ExportFormat.parse(fmt)
        await self._require_facilitator(actor, "export evaluation data")
        key = check_export_key(self._export_key)
        now = self._clock.now()
        cohort = await load_cohort(self._database, actor.guild_id, now=now)
        result = build_files(cohort, key, parsed_kind, parsed_fmt)
        async with self._database.unit_of_work() as uow:
            rows = ", ".join(f"{name} {count}" for name, count in result.rows.items())
            await uow.repo(SqlAuditRepository).record(
                action="evaluation_export",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"{parsed_kind.value} as {parsed_fmt.value}: {rows}",
            )
            await uow.commit()
        log.info(
            "Evaluation export (%s, %s) for guild %s by %s", parsed_kind, parsed_fmt, actor.guild_id, actor.user_id
        )
        return result

    # -- reports -----------------------------------------------------------------------------------------------

    async def programme_figures(self, actor: Actor) -> ProgrammeFigures:
        """Return the programme's figures (facilitators only)."""
        await self._require_facilitator(actor, "see the programme report")
        cohort = await load_cohort(self._database, actor.guild_id, now=self._clock.now())
        return programme_figures(cohort)

    async def session_figures(self, actor: Actor, session_id: int) -> SessionFigures:
        """Return one session's figures (facilitators only).

        Raises:
            SessionNotFoundError: no such session in the caller's server. PermissionDeniedError.
        """
        await self._require_facilitator(actor, "see session reports")
        cohort = await load_cohort(self._database, actor.guild_id, now=self._clock.now())
        session = cohort.sessions_by_id.get(session_id)
        if session is None:
            raise SessionNotFoundError()
        return session_figures(cohort, session)

    async def programme_report(self, actor: Actor, *, with_files: bool = True) -> ReportResult:
        """Return /report programme: summary embeds, plus report.html and the chart PNGs (facilitators only)."""
        await self._require_facilitator(actor, "see the programme report")
        cohort = await load_cohort(self._database, actor.guild_id, now=self._clock.now())
        if not with_files:
            figures = programme_figures(cohort)
            return ReportResult(figures, tuple(report_summary_embeds(figures)))
        report: ProgrammeReport = await report_from_cohort(cohort)
        return ReportResult(report.figures, tuple(report_summary_embeds(report.figures)), report.files())

    async def session_report(self, actor: Actor, session_id: int) -> ReportResult:
        """Return /report session: the session's summary embed (facilitators only)."""
        figures = await self.session_figures(actor, session_id)
        return ReportResult(figures, tuple(report_summary_embeds(figures)))

    # -- data rights -------------------------------------------------------------------------------------------

    async def privacy(self, guild_id: int) -> Text:
        """Return the /privacy notice for a server (its retention period; defaults before setup)."""
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
        return privacy_notice(programme)

    async def export_my_data(self, actor: Actor) -> FileAttachment:
        """Return a JSON file of everything Blether holds about the caller in this server (/me data).

        Raises:
            WrongServerError: used outside a server (e.g. in a direct message).
        """
        if not actor.guild_id:
            raise WrongServerError("/me data")
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            data = await collect_personal_data(uow, actor.guild_id, actor.user_id, now=now)
        return personal_data_file(data, now=now)

    async def erase_me(self, actor: Actor) -> ErasureReport:
        """Erase everything Blether holds about the caller in this server (/me delete); idempotent.

        The Flash Report side goes first (its own transaction: items, published snapshots marked and their
        messages amended); then profile, consent, RSVPs, reminder choice, reflections, attendance, voice
        presence, pending deliveries to them, the edits of drafts and summaries already posted with their words
        and the audit entry commit together. The SQLite write-ahead log is then checkpointed.

        Raises:
            WrongServerError: used outside a server (e.g. in a direct message).
        """
        if not actor.guild_id:
            raise WrongServerError("/me delete")
        if self._flash is None:
            raise NotConfiguredError("Erasure isn't available here; use /me delete in the programme's server.")
        guild_id, user_id = actor.guild_id, actor.user_id
        flash = await self._flash.erase_user(guild_id, user_id)
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            removed, cancelled, edited = await erase_in(uow, guild_id, user_id, now=now)
            report = erasure_report(
                guild_id, now=now, removed=removed, flash=flash, deliveries_cancelled=cancelled, posted_edited=edited
            )
            await record_erasure(uow, report)
            await uow.commit()
        await self._database.checkpoint()  # no old page image in the SQLite write-ahead log keeps their words
        if edited and self._dispatcher is not None:
            self._dispatcher.wake(now)
        log.info(
            "Erased a participant's data in guild %s (receipt %s, %d records)", guild_id, report.receipt, report.total
        )
        return report

    # -- retention ---------------------------------------------------------------------------------------------

    async def ensure_retention_sweep(self, guild_id: int) -> datetime | None:
        """Schedule the server's next daily retention sweep (idempotent); None when it has no programme."""
        return await self.retention.ensure(guild_id)

    async def ensure_all_retention_sweeps(self) -> int:
        """Schedule the next sweep of every server with a programme (call once at start-up)."""
        return await self.retention.ensure_all()
