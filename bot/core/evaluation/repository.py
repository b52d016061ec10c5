"""Read what the evaluation needs: one consistent read of a server's programme data (the cohort).

The evaluation owns no tables. Loading settles voice attendance reached so far (exactly as /reflection results
does), then reads every feature's data through that feature's repositories in the same transaction, so the
report, the Discord summary and the exports agree.
"""

from datetime import datetime

from bot.core.evaluation.domain import Cohort, GroupPlace, latest_consent
from bot.core.flash.repository import SqlFlashIssueRepository, SqlFlashItemRepository
from bot.core.groups.repository import SqlConnectionRepository, SqlGroupRepository
from bot.core.interviews.repository import SqlInterviewRepository
from bot.core.participants.repository import SqlConsentRepository, SqlParticipantRepository
from bot.core.programme.repository import SqlOutcomeRepository, SqlProgrammeRepository, SqlSessionRepository
from bot.core.questionnaires.repository import SqlQuestionnaireRepository
from bot.core.reflections.attendance import settle_voice
from bot.core.reflections.repository import SqlAttendanceRepository, SqlReflectionRepository
from bot.core.storage.database import Database
from bot.core.stories.repository import SqlHighlightRepository


async def load_cohort(database: Database, guild_id: int, *, now: datetime) -> Cohort:
    """Read a server's programme data in one unit of work (after settling voice attendance up to now)."""
    async with database.unit_of_work() as uow:
        programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
        sessions = await uow.repo(SqlSessionRepository).list(guild_id)
        for session in sessions:  # as /reflection results does, so counts agree everywhere
            if not session.is_cancelled and session.starts_at <= now:
                await settle_voice(uow, session, now)
        participants = await uow.repo(SqlParticipantRepository).list_all(guild_id)
        history = await uow.repo(SqlConsentRepository).history(guild_id)
        responses = await uow.repo(SqlReflectionRepository).responses(guild_id=guild_id)
        attendance = await uow.repo(SqlAttendanceRepository).rows(guild_id=guild_id)
        items = await uow.repo(SqlFlashItemRepository).records(guild_id)
        published = await uow.repo(SqlFlashIssueRepository).count_published(guild_id)
        places = await uow.repo(SqlGroupRepository).memberships(guild_id)
        connections = await uow.repo(SqlConnectionRepository).of_guild(guild_id)
        questionnaires = await uow.repo(SqlQuestionnaireRepository).load(guild_id)
        outcomes = await uow.repo(SqlOutcomeRepository).list(guild_id)
        highlights = await uow.repo(SqlHighlightRepository).all(guild_id)
        interviews = await uow.repo(SqlInterviewRepository).all(guild_id)
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
        group_places=tuple(GroupPlace(*place) for place in places),
        connections=tuple(connections),
        questionnaires=tuple(questionnaires),
        outcomes=tuple(outcomes),
        highlights=tuple(highlights),
        interviews=tuple(interviews),
    )
