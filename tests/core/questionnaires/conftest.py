"""Fixtures for questionnaires: the reflections fixtures (programme, people, fake platform) plus the service."""

import pytest

from bot.core.clock import ManualClock
from bot.core.participants.service import ParticipantService
from bot.core.programme.repository import SqlOutcomeRepository
from bot.core.questionnaires import deliveries as questionnaire_deliveries
from bot.core.questionnaires.service import QuestionnaireService
from bot.core.storage.database import Database
from tests.core.fakes import FakeSender
from tests.core.reflections import conftest as _reflections
from tests.core.reflections.conftest import GUILD, FakeDispatcher

# The reflections fixtures, shared: a programme, people, a fake platform and dispatcher.
dispatcher = _reflections.dispatcher
participants = _reflections.participants
programme = _reflections.programme
sender = _reflections.sender

OUTCOMES = (
    "explore the personal attributes and conditions to re-imagine place",
    "understand how to work with different communities and their assets",
    "explore and adapt tools for engaging and influencing people",
    "value, empower, support and sustain volunteering",
)


@pytest.fixture
def questionnaires(
    database: Database, clock: ManualClock, dispatcher: FakeDispatcher, participants: ParticipantService
) -> QuestionnaireService:
    """Return the questionnaire service on the test database."""
    return QuestionnaireService(database, clock, dispatcher=dispatcher, consent=participants)


@pytest.fixture
def handlers(database: Database, clock: ManualClock, sender: FakeSender, dispatcher: FakeDispatcher) -> FakeDispatcher:
    """Register the questionnaire delivery handlers on the fake dispatcher."""
    questionnaire_deliveries.register(dispatcher, database=database, clock=clock, sender=sender)
    return dispatcher


async def add_outcomes(database: Database, clock: ManualClock) -> None:
    """Give the programme the four outcomes of the example file."""
    async with database.unit_of_work() as uow:
        for text in OUTCOMES:
            await uow.repo(SqlOutcomeRepository).add(GUILD, text, now=clock.now())
        await uow.commit()
