"""Session option helpers shared by the reflection and attendance commands."""

from typing import TYPE_CHECKING

from bot.core.programme.validation import latest_started

if TYPE_CHECKING:
    from bot.client import BletherBot


async def latest_started_session(bot: "BletherBot", guild_id: int) -> int:
    """Return the id of the most recent session that has started (the default for /reflect and /checkin)."""
    sessions = await bot.services.programme.list_sessions(guild_id, include_cancelled=False)
    return latest_started(sessions, bot.services.clock.now()).id
