"""Reflections and attendance: the card's buttons, /reflect, /checkin, /reflection and /attendance."""

from cogs.reflections.cog import setup

__all__ = ["setup"]
