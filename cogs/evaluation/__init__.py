"""Evaluation: /export, /report, /privacy, /retention set, and /me data and /me delete."""

from cogs.evaluation.cog import setup

__all__ = ["setup"]
