"""End-to-end fixtures: a fresh fake Discord and the real bot connected to it."""

from collections.abc import AsyncIterator

import pytest

from tests.e2e.harness import RunningBot, running_bot
from tests.fakediscord import SPEC_UNAVAILABLE, FakeDiscord

TOKEN = "MTA5MjM0NTY3ODkwMTIzNDU2Nw.GQ2x9a.e2eTokenNeverInLogs0123456789abc"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """Yield a running loopback Discord; after the test, check every request the bot made."""
    async with FakeDiscord(token=TOKEN) as server:
        yield server
        assert server.internal_errors == [], server.internal_errors
        assert server.unknown_routes == [], [r.key for r in server.unknown_routes]
        assert server.limit_violations() == []
        errors = server.spec_errors()
        if errors is not SPEC_UNAVAILABLE:
            assert errors == []


@pytest.fixture
async def bot(fake: FakeDiscord, fresh_database_url: str) -> AsyncIterator[RunningBot]:
    """Yield the real bot, in-process, connected to the fake with its commands synced."""
    async with running_bot(fake, fresh_database_url) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        yield running
