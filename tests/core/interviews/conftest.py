"""Fixtures for interviews: the reflections fixtures plus the interview service."""

import pytest

from bot.core.clock import ManualClock
from bot.core.interviews.service import InterviewService
from bot.core.storage.database import Database
from tests.core.reflections import conftest as _reflections
from tests.core.reflections.conftest import FakeDispatcher

dispatcher = _reflections.dispatcher
participants = _reflections.participants
programme = _reflections.programme
sender = _reflections.sender


@pytest.fixture
def interviews(database: Database, clock: ManualClock, dispatcher: FakeDispatcher) -> InterviewService:
    """Return the interview service on the test database."""
    return InterviewService(database, clock, dispatcher=dispatcher)
