"""/join, /me profile, /me consent, /consent set and the consent prompt's buttons."""

from cogs.participants.cog import setup

__all__ = ["setup"]
