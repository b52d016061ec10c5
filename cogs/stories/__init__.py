"""Stories of change: /stories significant and /stories list (facilitators)."""

from cogs.stories.cog import setup

__all__ = ["setup"]
