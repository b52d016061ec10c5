"""Session option helpers shared by the reflection and attendance commands."""

from typing import TYPE_CHECKING

from bot.core.errors import DomainError

if TYPE_CHECKING:
    from bot.client import BletherBot


async def latest_started_session(bot: "BletherBot", guild_id: int) -> int:
    """Return the id of the most recent session that has started (the default for /reflect and /checkin)."""
    now = bot.services.clock.now()
    sessions = await bot.services.programme.list_sessions(guild_id, include_cancelled=False)
    started = [s for s in sessions if s.starts_at <= now]
    if not started:
        raise DomainError("No session has started yet, so there is nothing to reflect on.")
    return max(started, key=lambda s: s.starts_at).id
