"""/session add, series, edit and cancel (facilitators); /sessions, /calendar, /reminders dm; reminder buttons."""

from cogs.sessions.cog import setup

__all__ = ["setup"]
