"""/programme setup, show and import (facilitators)."""

from cogs.programme.cog import setup

__all__ = ["setup"]
