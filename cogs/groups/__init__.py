"""Small groups: /groups make|show|move|dissolve, the proposal's buttons, "Join a group" and /coach."""

from cogs.groups.cog import setup

__all__ = ["setup"]
