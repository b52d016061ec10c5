"""Interviews: /interviews shortlist|invite|list and the invitation's Yes / No buttons."""

from cogs.interviews.cog import setup

__all__ = ["setup"]
