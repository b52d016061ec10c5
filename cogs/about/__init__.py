"""/about and /help."""

from cogs.about.cog import setup

__all__ = ["setup"]
