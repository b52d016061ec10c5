"""Find the questions a poll uses: its frozen ones, its own set, the programme default, or "appreciative"."""

from bot.core.reflections.domain import Poll
from bot.core.reflections.questions import BUILTIN_SETS, CUSTOM_PREFIX, DEFAULT_SET, Question, QuestionSet
from bot.core.reflections.repository import SqlReflectionRepository
from bot.core.storage.database import UnitOfWork


async def resolve_set(uow: UnitOfWork, guild_id: int, key: str | None) -> QuestionSet:
    """Return the set a key names, falling back to the server's default and then to "appreciative"."""
    repo = uow.repo(SqlReflectionRepository)
    for candidate in (key, await repo.default_set(guild_id)):
        if not candidate:
            continue
        if candidate in BUILTIN_SETS:
            return BUILTIN_SETS[candidate]
        if candidate.startswith(CUSTOM_PREFIX) and candidate.removeprefix(CUSTOM_PREFIX).isdigit():
            found = await repo.question_set(guild_id, set_id=int(candidate.removeprefix(CUSTOM_PREFIX)))
            if found is not None:
                return found
    return DEFAULT_SET


async def poll_questions(uow: UnitOfWork, poll: Poll) -> tuple[Question, ...]:
    """Return the questions of a poll: frozen ones once answered, otherwise its (or the default) set's."""
    if poll.questions is not None:
        return poll.questions
    return (await resolve_set(uow, poll.guild_id, poll.question_set)).questions
