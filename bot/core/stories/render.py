"""Stories of change replies, platform-neutral."""

from bot.core.stories.domain import Highlight


def marked(highlight: Highlight) -> str:
    """Confirm a story marked as a month's most significant change."""
    return f"Story {highlight.item_id} is the most significant change of {highlight.month}. The report lists it."
