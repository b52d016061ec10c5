"""Hostile text in every field of Blether's forms (the reflection modal and the Flash Report intro).

Modal fields come from the modal the bot really opened, so a new question set or field is covered
without editing this file. Each value is clipped to the field's max_length, as Discord's client does.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import ManualClock
from tests.e2e.harness import RunningBot, running_bot
from tests.e2e.test_reflections import answer_consent, responses, seed
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import walk_components
from tests.hardening import database as db
from tests.hardening.checks import limit_problems, ping_problems, reply_problem
from tests.hardening.hostile import HOSTILE_TEXT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RATING_KINDS = {21}  # radio groups carry fixed values; only text fields take typed text


def text_fields(modal: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the text inputs of an opened modal (inside Labels)."""
    return [
        label["component"]
        for label in modal["components"]
        if isinstance(label.get("component"), dict) and label["component"].get("type") == 4
    ]


def answers(modal: dict[str, Any], draw: Any) -> dict[str, Any]:
    """Fill every text field with hostile text (clipped to max_length), pick the first option elsewhere."""
    values: dict[str, Any] = {}
    for label in modal["components"]:
        component = label.get("component") or {}
        cid = component.get("custom_id")
        if component.get("type") == 4:
            text = draw(HOSTILE_TEXT, label=cid)
            values[cid] = text[: component.get("max_length", 4000)]
        elif component.get("type") in RATING_KINDS:
            values[cid] = component["options"][0]["value"]
    return values


async def reflect_once(fake: FakeDiscord, user: Any, draw: Any) -> list[str]:
    """Open /reflect as user, submit hostile answers; return problems with the reply."""
    opened = await fake.slash("reflect", user=user)
    await opened.settle(timeout=10)
    if opened.modal is None:
        return [f"/reflect as {user.name} opened no form: {opened.final_text()[:200]!r}"]
    values = answers(opened.modal, draw)
    submitted = await fake.submit_modal(opened.modal["custom_id"], values, user=user)
    reply = await submitted.settle(timeout=10)
    problems = []
    if (problem := reply_problem(reply)) is not None:
        problems.append(f"reflection as {user.name}: {problem}")
    if not submitted.ephemeral:
        problems.append(f"reflection as {user.name}: the confirmation is public")
    return problems


@pytest.fixture
async def reflecting(fake: FakeDiscord, fresh_database_url: str) -> Any:
    """Run the bot with one session that ended recently (its reflection poll open) and pat joined, consented."""
    now = datetime.now(UTC)
    await seed(fake, fresh_database_url, now - timedelta(hours=2), now)
    async with running_bot(fake, fresh_database_url, clock=ManualClock(now)) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        joined = await fake.slash("join", user=fake.users.pat)
        await joined.settle()
        replies = [m for m in (joined.original, *joined.followups) if m is not None]
        if any(
            str(c.get("custom_id", "")).startswith("blether:consent:")
            for m in replies
            for c in walk_components(m.components)
        ):
            await answer_consent(fake, replies, fake.users.pat, evaluation=True)
        yield running


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_hostile_text_in_every_reflection_field(
    fake: FakeDiscord, reflecting: RunningBot, data: st.DataObject
) -> None:
    """Every submit is confirmed privately and stored whole; the closing summary pings nobody and keeps limits."""
    since = len(fake.requests)
    problems = await reflect_once(fake, fake.users.pat, data.draw)
    stored = await responses(reflecting.database)
    if len(stored) != 1:
        problems.append(f"{len(stored)} stored responses for one participant")
    problems += ping_problems(fake.requests, participant_role=fake.roles.participant.id, since=since)
    problems += limit_problems(fake.requests, since=since)
    problems += await db.integrity_problems(reflecting.database)
    assert problems == [], "\n".join(problems)


async def test_hostile_reflections_reach_the_facilitators_summary_without_pinging(
    fake: FakeDiscord, reflecting: RunningBot
) -> None:
    """Close the poll after a mention-laden, markdown-laden answer: the summary escapes it and pings no one."""
    hostile = "@everyone <@&1> <@123> **loud** [tap](https://evil.example) \u202eevil\u202c"
    opened = await fake.slash("reflect", user=fake.users.pat)
    await opened.settle(timeout=10)
    assert opened.modal is not None
    values = {f["custom_id"]: hostile[: f.get("max_length", 4000)] for f in text_fields(opened.modal)}
    for label in opened.modal["components"]:
        component = label.get("component") or {}
        if component.get("type") in RATING_KINDS:
            values[component["custom_id"]] = component["options"][-1]["value"]
        elif component.get("type") == 23:
            values[component["custom_id"]] = True  # "You may quote these words anonymously"
    submitted = await fake.submit_modal(opened.modal["custom_id"], values, user=fake.users.pat)
    assert reply_problem(await submitted.settle(timeout=10)) is None
    since = len(fake.requests)
    closed = await fake.slash("reflection close", {"session": 1}, user=fake.users.fran)
    assert reply_problem(await closed.settle(timeout=10)) is None
    summary = await fake.wait_for_message(fake.channels.facilitators, lambda m: "evil.example" in m.text(), timeout=10)
    assert summary.mention_everyone is False and summary.mention_roles == [] and summary.mentions == []
    assert "\u202e" not in summary.text()
    assert ping_problems(fake.requests, participant_role=fake.roles.participant.id, since=since) == []
    assert limit_problems(fake.requests, since=since) == []
