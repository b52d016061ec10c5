"""Questionnaires: /questionnaire for facilitators, the Start / Continue / Finish later buttons and page modals."""

from cogs.questionnaires.cog import setup

__all__ = ["setup"]
