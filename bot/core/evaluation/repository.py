"""Read what the evaluation needs: one consistent read of a server's programme data (the cohort).

The evaluation owns no tables. Loading settles voice attendance reached so far (exactly as /reflection results
does), then reads every feature's data through that feature's repositories in the same transaction, so the
report, the Discord summary and the exports agree.
"""

from datetime import datetime

from bot.core.evaluation.domain import Cohort, latest_consent
from bot.core.evaluation.sources import EvaluationSources
from bot.core.storage.database import Database


async def load_cohort(
    database: Database, guild_id: int, *, now: datetime, sources: EvaluationSources | None = None
) -> Cohort:
    """Read a server's programme data in one unit of work (after settling voice attendance up to now)."""
    sources = sources or EvaluationSources()
    async with database.unit_of_work() as uow:
        programme = await sources.programme.programme(uow, guild_id)
        sessions = await sources.programme.sessions(uow, guild_id)
        held = [s for s in sessions if not s.is_cancelled and s.starts_at <= now]
        await sources.reflections.settle_attendance(uow, held, now)
        participants = await sources.participants.participants(uow, guild_id)
        history = await sources.participants.consent_history(uow, guild_id)
        responses = await sources.reflections.responses(uow, guild_id)
        attendance = await sources.reflections.attendance(uow, guild_id)
        items = await sources.flash.items(uow, guild_id)
        published = await sources.flash.published_count(uow, guild_id)
        await uow.commit()  # keeps the voice attendance just settled
    return Cohort(
        guild_id=guild_id,
        generated_at=now,
        programme=programme,
        sessions=tuple(sessions),
        participants=tuple(participants),
        consent=latest_consent(history),
        responses=tuple(responses),
        attendance=tuple(attendance),
        flash_items=tuple(items),
        flash_reports_published=published,
    )
