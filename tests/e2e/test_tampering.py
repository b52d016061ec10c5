"""Tampered or forged custom_ids on buttons and forms are refused, logged, and change nothing.

Every persistent button the bot registers (discovered from discord.py's DynamicItem store, so buttons
added later are covered without editing this file) is pressed with ids a well-formed one was bent into:
an extra segment, letters for digits, a number beyond 64 bits, an unknown action. The presser is the
facilitator, so a permission refusal cannot hide a parsing bug.
"""

import logging
import re

import pytest

from bot.core.messages import OutboundMessage
from tests.e2e.harness import RunningBot
from tests.e2e.test_permissions import set_up_programme
from tests.fakediscord import FakeDiscord
from tests.hardening import database as db
from tests.hardening.checks import reply_problem
from tests.hardening.components import dynamic_items, examples
from tests.hardening.tamper import click_with_id

pytestmark = pytest.mark.e2e

HUGE = "9" * 25  # beyond any 64-bit id column
DIGITS = re.compile(r"[0-9]+")
REFUSED_LOG = re.compile(r"refused tampered|tampered|malformed|not a .* id", re.IGNORECASE)


def tampered(custom_id: str) -> list[str]:
    """Return ids bent from a well-formed one: extra segment, letters or a huge number for its digits."""
    variants = [f"{custom_id}:1", DIGITS.sub("abc", custom_id, count=1), DIGITS.sub(HUGE, custom_id, count=1)]
    variants.append(DIGITS.sub("-1", custom_id, count=1))
    return [v for v in dict.fromkeys(variants) if v != custom_id and len(v) <= 100]


def matches_a_pattern(bot: RunningBot, custom_id: str) -> bool:
    """Tell whether some registered DynamicItem template fully matches the id."""
    return any(pattern.fullmatch(custom_id) for pattern in dynamic_items(bot.bot))


async def test_tampered_button_ids_are_refused_privately_logged_and_change_nothing(
    fake: FakeDiscord, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Each bent id gets a clear private answer (no crash, no generic error), no database change, a log line."""
    patterns = dynamic_items(bot.bot)
    assert len(patterns) >= 5, "the reminder, reflection and Flash Report buttons should all be registered"
    assert await set_up_programme(fake)
    await (await fake.slash("session add", {"number": 1, "title": "Welcome", "starts": "2031-03-06 18:30"})).settle()
    posted = await bot.services.sender.post(fake.channels.general.id, OutboundMessage(content="buttons live here"))
    host = fake.message(posted.message_id)  # a press always comes from a message the bot posted

    ids = ["blether:unknown:1", "blether:", "blether:reflect:"]
    for pattern in patterns:
        for example in examples(pattern):
            ids.extend(tampered(example))
    problems: list[str] = []
    for custom_id in dict.fromkeys(ids):
        caplog.clear()
        before = await db.snapshot(bot.database)
        with caplog.at_level(logging.INFO):
            ix = await click_with_id(fake, host, custom_id, fake.users.fran)
            text = await ix.settle(timeout=10)
        changed = db.changed_tables(before, await db.snapshot(bot.database))
        problem = reply_problem(text)
        if problem:
            problems.append(f"{custom_id}: {problem}")
        if ix.modal is not None:
            problems.append(f"{custom_id}: opened a form")
        if text.strip() and not ix.ephemeral:
            problems.append(f"{custom_id}: answered in public: {text[:100]!r}")
        if changed:
            problems.append(f"{custom_id}: database changed {changed}")
        if not matches_a_pattern(bot, custom_id) and not any(
            REFUSED_LOG.search(r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING
        ):
            problems.append(f"{custom_id}: refused without a warning in the log")
    assert problems == [], "\n".join(problems)


async def test_forged_form_ids_are_refused_and_nothing_is_stored(
    fake: FakeDiscord, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A modal submit with an unknown or bent blether: id is refused privately and logged; nothing is stored."""
    assert await set_up_programme(fake)
    field = {"type": 18, "label": "x", "component": {"type": 4, "custom_id": "q1", "style": 1}}
    for custom_id in ("blether:reflection:abc", f"blether:reflection:{HUGE}", "blether:unknown-form:1"):
        caplog.clear()
        before = await db.snapshot(bot.database)
        with caplog.at_level(logging.INFO):
            ix = await fake.submit_modal(custom_id, {"q1": "5"}, user=fake.users.fran, components=[field], strict=False)
            text = await ix.settle(timeout=10)
        assert reply_problem(text) is None, (custom_id, text)
        assert ix.ephemeral, (custom_id, text)
        assert db.changed_tables(before, await db.snapshot(bot.database)) == {}, custom_id
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any(REFUSED_LOG.search(w) for w in warnings), (custom_id, warnings)
