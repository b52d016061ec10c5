"""Data retention: a daily sweep that removes free text the programme no longer needs.

Rule: free text (reflection and questionnaire text answers; story text; resource and nomination titles and
notes; nominated excerpts; the display names kept to credit resources and stories; and the same in published
Flash Report snapshots, including their recap quotes) is removed once it is older than
the programme's ``retention_months`` AND that many months have passed since the programme's last session
(the latest session that is not cancelled, past or planned). In other words nothing is removed while the
programme runs, and retention counts from its end. Ratings, choices, ticks, attendance and counts stay.

A sweep (RetentionSweeper.sweep) removes the text, writes an audit entry ``retention_sweep`` (counts only)
when it removed anything, schedules the edits of what was already posted with that text (``flash_amend`` for
each published issue whose snapshot changed; every draft or reflection summary still holding text is rendered
again, see bot.core.delivery.posted) and the next day's sweep, all in one transaction; then the SQLite
write-ahead log is checkpointed. It is idempotent (text
already removed is not counted again). The daily ``retention_sweep`` delivery that runs it is described in
bot.core.evaluation.deliveries.

Wiring: ``deliveries.register(dispatcher, database=..., clock=...)`` once at start-up, then
``ensure_all_retention_sweeps()`` (or ``ensure_retention_sweep(guild_id)`` per server, e.g. after
/programme setup) to start the daily chain.
"""

import calendar
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.posted import edit_postings_with_text
from bot.core.evaluation.deliveries import sweep_delivery
from bot.core.flash.deliveries import retention_amend_delivery
from bot.core.flash.domain import FlashRedaction
from bot.core.flash.service import redact_free_text
from bot.core.programme.domain import Programme, Session
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.questionnaires.repository import SqlQuestionnaireRepository
from bot.core.reflections.repository import SqlReflectionRepository
from bot.core.storage.database import Database, UnitOfWork
from bot.core.storage.state import SqlAuditRepository

log = logging.getLogger(__name__)

RETENTION_ACTION = "retention_sweep"
SWEEP_AT = time(3, 30)


def add_months(moment: datetime, months: int) -> datetime:
    """Return moment moved by whole calendar months (negative goes back), the day clamped to the month's end."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def programme_end(sessions: list[Session]) -> datetime | None:
    """Return when the last session that is not cancelled ends (past or planned), or None."""
    ends = [s.ends_at for s in sessions if not s.is_cancelled]
    return max(ends) if ends else None


def retention_cutoff(programme: Programme, sessions: list[Session], now: datetime) -> datetime | None:
    """Return the time at or before which free text is removed now, or None while nothing is due.

    None until retention_months have passed since the last session; then now − retention_months.
    """
    months = programme.retention_months
    end = programme_end(sessions)
    if end is not None and now < add_months(end, months):
        return None
    return add_months(now, -months)


def next_sweep_at(zone: ZoneInfo, now: datetime) -> datetime:
    """Return the next 03:30 in zone strictly after now, in UTC."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), SWEEP_AT, tzinfo=zone)
    if candidate <= now:
        candidate = datetime.combine(local.date() + timedelta(days=1), SWEEP_AT, tzinfo=zone)
    return candidate.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep removed (cutoff None: nothing was due yet) and when the next one runs."""

    guild_id: int
    ran_at: datetime
    cutoff: datetime | None
    reflection_answers: int
    flash: FlashRedaction
    next_at: datetime
    posted_edits: int = 0
    """How many posted messages (published issues, drafts, summaries) are being rendered again."""
    questionnaire_answers: int = 0

    @property
    def removed(self) -> int:
        """Return how many pieces of text were removed."""
        f = self.flash
        return self.reflection_answers + self.questionnaire_answers + f.resource_notes + f.stories + f.nominations

    def audit_detail(self) -> str:
        """Return the audit entry's text (counts only)."""
        f = self.flash
        cutoff = self.cutoff.isoformat() if self.cutoff else "none"
        return (
            f"cutoff {cutoff}; reflection answers {self.reflection_answers}, "
            + (f"questionnaire answers {self.questionnaire_answers}, " if self.questionnaire_answers else "")
            + f"resources {f.resource_notes}, "
            f"stories {f.stories}, nominations {f.nominations}, published issues {f.issues}; "
            f"posted messages edited {self.posted_edits}"
        )


class RetentionSweeper:
    """Run retention sweeps and keep each server's daily chain of retention_sweep deliveries going."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        dispatcher: DeliveryScheduler,
    ) -> None:
        self._database = database
        self._clock = clock
        self._dispatcher = dispatcher

    async def sweep(self, guild_id: int) -> SweepResult | None:
        """Remove free text past retention now and schedule tomorrow's sweep (None without a programme)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
            if programme is None:
                return None
            sessions = await uow.repo(SqlSessionRepository).list(guild_id)
            cutoff = retention_cutoff(programme, sessions, now)
            answers, questionnaire, flash = 0, 0, FlashRedaction()
            if cutoff is not None:
                answers = await uow.repo(SqlReflectionRepository).redact_text(guild_id, cutoff)
                questionnaire = await uow.repo(SqlQuestionnaireRepository).redact_text(guild_id, cutoff)
                flash = await redact_free_text(uow, guild_id, before=cutoff, now=now)
            next_at = next_sweep_at(programme.zone, now)
            edits = 0
            if answers or flash.resource_notes or flash.stories or flash.nominations or flash.issues:
                edits = await self._edit_posted(uow, guild_id, flash.issue_ids, now)
            result = SweepResult(guild_id, now, cutoff, answers, flash, next_at, edits, questionnaire)
            if result.removed or flash.issues:
                await uow.repo(SqlAuditRepository).record(
                    action=RETENTION_ACTION, now=now, guild_id=guild_id, detail=result.audit_detail()
                )
            await self._dispatcher.schedule(uow, sweep_delivery(guild_id, next_at, programme.zone))
            await uow.commit()
        self._dispatcher.wake(now if edits else next_at)
        if result.removed or flash.issues:
            await self._database.checkpoint()
            log.info("Retention sweep of guild %s removed %d pieces of text", guild_id, result.removed)
        return result

    async def _edit_posted(self, uow: UnitOfWork, guild_id: int, issue_ids: tuple[int, ...], now: datetime) -> int:
        """Schedule the edits of messages already posted with text that just expired; return how many."""
        for issue_id in issue_ids:
            await self._dispatcher.schedule(uow, retention_amend_delivery(guild_id, issue_id, now))
        return len(issue_ids) + await edit_postings_with_text(uow, guild_id, now=now)

    async def ensure(self, guild_id: int) -> datetime | None:
        """Schedule the server's next sweep unless it is (idempotent); return when it is due (None: no programme)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
            if programme is None:
                return None
            due = next_sweep_at(programme.zone, now)
            await self._dispatcher.schedule(uow, sweep_delivery(guild_id, due, programme.zone))
            await uow.commit()
        self._dispatcher.wake(due)
        return due

    async def ensure_all(self) -> int:
        """Make sure every server with a programme has its next sweep scheduled; return how many servers."""
        async with self._database.unit_of_work() as uow:
            guild_ids = await uow.repo(SqlProgrammeRepository).guild_ids()
        scheduled = 0
        for guild_id in guild_ids:
            if await self.ensure(guild_id) is not None:
                scheduled += 1
        return scheduled
