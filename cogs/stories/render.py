"""Discord rendering for /stories."""

from collections.abc import Sequence

import discord

from bot.core.stories.domain import Highlight
from bot.discord_render import sanitise_inline

COLOUR = 0xC27C0E


def highlights_embed(highlights: Sequence[Highlight]) -> discord.Embed:
    """List each month's story and reason."""
    lines = [f"**{h.month}** — story {h.item_id}: {sanitise_inline(h.reason, 300)}" for h in highlights]
    return discord.Embed(
        title="Most significant stories of change",
        description="\n".join(lines)[:4000] or "None marked yet. Use /stories significant.",
        colour=COLOUR,
    )
