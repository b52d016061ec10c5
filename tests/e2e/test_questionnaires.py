"""Questionnaires end to end: outcomes, create and open, answering page by page across a SIGKILL restart."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.core.storage.database import Database
from tests.e2e.harness import Bots
from tests.e2e.test_reflections import answer_consent, buttons, field_defaults
from tests.fakediscord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
async def bots(fake: FakeDiscord, fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Bots]:
    """Yield a starter of bot processes; every process is killed at the end."""
    starter = Bots(fake, fresh_database_url, tmp_path)
    try:
        yield starter
    finally:
        starter.stop_all()


async def rows(database_url: str, query: str) -> list[Any]:
    """Run a query straight on the database."""
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            return list((await conn.execute(text(query))).mappings())
    finally:
        await database.dispose()


async def settle(handle: Any) -> str:
    """Wait for an interaction's final answer."""
    return await handle.settle(timeout=15)


async def test_answer_across_pages_stop_after_page_one_and_resume_after_sigkill(
    fake: FakeDiscord, bots: Bots, fresh_database_url: str
) -> None:
    """Pat answers page 1, the bot is SIGKILLed, and Start (and the old Continue) resume at page 2; bad pages fail."""
    first, _ = await bots.start()
    setup = await fake.slash(
        "programme setup",
        {
            "timezone": "Europe/London",
            "reflections": fake.channels.reflections,
            "facilitator_channel": fake.channels.facilitators,
            "facilitator_role": fake.roles.facilitator,
            "participant_role": fake.roles.participant,
        },
    )
    await settle(setup)
    for outcome in ("grow in confidence", "work with communities and their assets"):
        await settle(await fake.slash("programme outcomes add", {"text": outcome}))
    pat = fake.users.pat
    joined = await fake.slash("join", {"community": "Leith"}, user=pat)
    await settle(joined)
    await answer_consent(fake, joined.messages(), pat, evaluation=True)
    created = await settle(await fake.slash("questionnaire create", {"template": "end-of-programme", "name": "End"}))
    assert "3 pages" in created
    assert "opening now" in await settle(await fake.slash("questionnaire open", {"name": "End"}))
    post = await fake.wait_for_message(
        fake.channels.reflections, lambda m: any(c.startswith("blether:qn-start:") for c in buttons(m)), timeout=15
    )
    start_id = next(c for c in buttons(post) if c.startswith("blether:qn-start:"))
    qid = start_id.rsplit(":", 1)[1]

    # Sam has not joined: offered /join, nothing opens.
    refused = await fake.click(post, start_id, user=fake.users.sam)
    assert "/join" in await settle(refused) and refused.modal is None

    opened = await fake.click(post, start_id, user=pat)
    await opened.response()
    assert opened.modal is not None and opened.modal["custom_id"] == f"blether:qn:{qid}:1:1"
    assert len(opened.modal["components"]) <= 5 and "page 1 of 3" in opened.modal["title"]
    page1 = await fake.submit_modal(f"blether:qn:{qid}:1:1", {"q1": "2", "q2": "4", "q3": "1", "q4": "3"}, user=pat)
    between = await settle(page1)
    assert "page 2 of 3" in between
    reply = page1.messages()[-1]
    assert {f"blether:qn-page:{qid}:2", f"blether:qn-later:{qid}"} <= set(buttons(reply))

    first.kill()  # SIGKILL: nothing but the database survives
    await bots.start()

    resumed = await fake.click(post, start_id, user=pat)
    await resumed.response()
    assert resumed.modal is not None and resumed.modal["custom_id"] == f"blether:qn:{qid}:1:2"
    again = await fake.click(reply, f"blether:qn-page:{qid}:2", user=pat)  # the old Continue still works
    await again.response()
    assert again.modal is not None and again.modal["custom_id"] == f"blether:qn:{qid}:1:2"
    # A tampered page number is refused and stores nothing.
    forged = await fake.submit_modal(
        f"blether:qn:{qid}:1:7", {"q1": "5"}, user=pat, components=again.modal["components"], strict=False
    )
    assert "don't match" in await settle(forged)
    page2 = await fake.submit_modal(
        f"blether:qn:{qid}:1:2", {"q1": "5", "q2": "4", "q3": "4", "q4": "The people", "q5": ""}, user=pat
    )
    assert "page 3 of 3" in await settle(page2)
    last = await fake.click(page2.messages()[-1], f"blether:qn-page:{qid}:3", user=pat)
    await last.response()
    page3 = await fake.submit_modal(f"blether:qn:{qid}:1:3", {"q1": "maybe"}, user=pat)
    summary = await settle(page3)
    assert "Everything is saved" in summary and "The people" in summary and "mentor" in summary
    mentor = page3.messages()[-1]
    yes = await fake.click(mentor, f"blether:qn-mentor:{qid}:yes", user=pat)
    assert "may contact you" in await settle(yes)

    # Page 1 reopened later shows the answers saved before the crash.
    edit = await fake.click(post, start_id, user=pat)
    await edit.response()
    assert edit.modal is not None and field_defaults(edit.modal)["q1"] == "2"

    answers = await rows(fresh_database_url, "SELECT page, value FROM questionnaire_answers ORDER BY id")
    assert sorted(r["page"] for r in answers) == [1, 1, 1, 1, 2, 2, 2, 2, 3]
    consent = await rows(fresh_database_url, "SELECT purpose, granted FROM consent_events WHERE purpose='mentoring'")
    assert [(c["purpose"], bool(c["granted"])) for c in consent] == [("mentoring", True)]
    status = await settle(await fake.slash("questionnaire status", {"name": "End"}))
    assert "**1** started and **1** finished" in status and "<5" in status
