"""Hostile text in every string option of every command, as a facilitator and as a participant.

Commands and options are discovered from the synced command tree, so cogs added later are covered.
Each value is clipped to what Discord itself would accept for the option (max_length, or 6,000), since
Discord validates lengths before the bot sees them; options with fixed choices are skipped for the same
reason. Autocomplete options also get the hostile text as the partially typed value.
"""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.harness import RunningBot
from tests.fakediscord import FakeDiscord
from tests.hardening import database as db
from tests.hardening.checks import limit_problems, ping_problems, reply_problem
from tests.hardening.commands import Leaf, clip_to_option, leaves, plausible_options
from tests.hardening.hostile import HOSTILE_TEXT

pytestmark = pytest.mark.e2e

Target = tuple[Leaf, dict[str, Any]]


def targets(fake: FakeDiscord) -> list[Target]:
    """Return (command, string option) pairs a user can type hostile text into."""
    return [(leaf, option) for leaf in leaves(fake.commands()) for option in leaf.string_options()]


async def set_up(fake: FakeDiscord) -> None:
    """Set the programme up when /programme setup exists, so commands reach their real work."""
    if any(leaf.path == "programme setup" for leaf in leaves(fake.commands())):
        ix = await fake.slash(
            "programme setup",
            {"timezone": "Europe/London", "facilitator_role": fake.roles.facilitator},
            user=fake.users.fran,
        )
        assert reply_problem(await ix.settle(timeout=10)) is None


async def invoke(fake: FakeDiscord, leaf: Leaf, option: dict[str, Any], text: str, user: Any) -> list[str]:
    """Send text in option (and as an autocomplete value); return what went wrong."""
    problems: list[str] = []
    value = clip_to_option(option, text)
    where = f"/{leaf.path} {option['name']}={value[:80]!r}{'…' if len(value) > 80 else ''} as {user.name}"
    options = plausible_options(fake, leaf) | {option["name"]: value}
    ix = await fake.slash(leaf.path, options, user=user, strict=False)
    try:
        reply = await ix.settle(timeout=10, quiet=0.05)
    except AssertionError as error:  # FakeDiscordTimeout
        return [f"{where}: no reply ({error})"]
    if (problem := reply_problem(reply)) is not None:
        problems.append(f"{where}: {problem}")
    if option.get("autocomplete"):
        ac = await fake.autocomplete(leaf.path, option["name"], value, options={}, user=user, strict=False)
        try:
            response = await ac.response(timeout=5)
        except AssertionError as error:
            return [*problems, f"{where} (autocomplete): no choices ({error})"]
        if response.type != 8:
            problems.append(f"{where} (autocomplete): callback type {response.type}, expected 8")
    return problems


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_hostile_text_in_every_string_option(fake: FakeDiscord, bot: RunningBot, data: st.DataObject) -> None:
    """Every call gets a clear reply (never the generic error), pings nobody, keeps limits and the database sound.

    One bot serves every example (function-scoped fixtures are shared across Hypothesis examples); each
    example sends one hostile value to every (command, string option), as fran or pat.
    """
    found = targets(fake)
    if not found:
        pytest.skip("no command has a free-text option yet")
    if not getattr(bot, "_hostile_set_up", False):
        await set_up(fake)
        bot._hostile_set_up = True  # type: ignore[attr-defined]
    since = len(fake.requests)
    problems: list[str] = []
    for leaf, option in found:
        user = data.draw(st.sampled_from([fake.users.fran, fake.users.pat]), label="user")
        text = data.draw(HOSTILE_TEXT, label=f"/{leaf.path} {option['name']}")
        problems.extend(await invoke(fake, leaf, option, text, user))
    problems += ping_problems(fake.requests, participant_role=fake.roles.participant.id, since=since)
    problems += limit_problems(fake.requests, since=since)
    problems += await db.integrity_problems(bot.database)
    calls = len(fake.interactions())
    counts = await db.row_counts(bot.database)
    problems += [f"table {t} has {n} rows after {calls} interactions" for t, n in counts.items() if n > calls * 100]
    assert problems == [], "\n".join(dict.fromkeys(problems))
