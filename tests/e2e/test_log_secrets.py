"""A real `python -m bot run` at LOG_LEVEL=DEBUG never writes tokens or what users typed to its log."""

from pathlib import Path

import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.harness import REPO_ROOT, BotProcess, bot_env
from tests.fakediscord import FakeDiscord
from tests.hardening.tamper import click_with_id

pytestmark = pytest.mark.e2e

MODAL_ANSWER = "Pat's \"quoted\" secret reflection: zebra-marmalade-4471 ]} {'value': 'x'}"
OPTION_TEXT = 'Pat\'s "hidden" option: quokka-lantern-9038'


def modal_components() -> list[dict[str, object]]:
    """A one-field form like Blether's reflection modal (Label + paragraph TextInput)."""
    text_input = {"type": 4, "custom_id": "answer", "style": 2, "required": False}
    return [{"type": 18, "label": "What did you take away?", "component": text_input}]


async def test_debug_log_holds_no_tokens_or_user_text(
    fake: FakeDiscord, tmp_path: Path, fresh_database_url: str
) -> None:
    """Slash commands, a button, a modal submit: the DEBUG log has no bot/interaction/webhook token or answer."""
    env = bot_env(fake, fresh_database_url, LOG_LEVEL="DEBUG", PYTHONPATH=str(REPO_ROOT))
    process = BotProcess(env=env, log_path=tmp_path / "bot.log")
    process.start()
    try:
        await fake.wait_ready(timeout=30)
        await fake.wait_commands_synced(timeout=30)
        await process.wait_for_log("Connected as", timeout=30)
        about = await fake.slash("about", user=fake.users.pat)
        await about.settle(timeout=10)
        await (await fake.slash("help", user=fake.users.fran)).settle(timeout=10)
        await send_free_text(fake)
        host = about.original  # a button press always comes from a message the bot posted
        await (await click_with_id(fake, host, "blether:unknown:1", fake.users.pat)).settle(timeout=10)
        for custom_id in ("blether:reflect:1", "blether:reflect:2"):
            ix = await fake.submit_modal(
                custom_id,
                {"answer": MODAL_ANSWER},
                user=fake.users.pat,
                components=modal_components(),
                channel=fake.channels.reflections,
                strict=False,
            )
            await ix.response(timeout=10)
        await process.wait_for_log("INTERACTION_CREATE", timeout=10)
    finally:
        process.terminate()
    log = process.logs()
    secrets = {"bot token": TOKEN, "modal answer": "zebra-marmalade-4471", "option text": "quokka-lantern-9038"}
    for handle in fake.interactions():
        secrets[f"interaction {handle.id} token"] = handle.token
    leaked = {name: _context(log, secret) for name, secret in secrets.items() if secret in log}
    assert leaked == {}, leaked
    assert "INTERACTION_CREATE" in log  # DEBUG gateway payloads were logged, redacted


async def send_free_text(fake: FakeDiscord) -> None:
    """Send OPTION_TEXT in the first free-text option of any synced command (once cogs with one exist)."""
    from tests.hardening.commands import leaves, plausible_options

    for leaf in leaves(fake.commands()):
        for option in leaf.string_options():
            options = plausible_options(fake, leaf) | {option["name"]: OPTION_TEXT}
            await (await fake.slash(leaf.path, options, user=fake.users.fran, strict=False)).settle(timeout=10)
            return


def _context(log: str, secret: str) -> str:
    at = log.index(secret)
    return log[max(0, at - 200) : at + len(secret) + 50]


@pytest.mark.parametrize(
    "value", ["Pat's answer zebra", "both 'quotes' \"zebra\"", ["a]b zebra", "c'd"], 'json "zebra" escaped']
)
def test_redaction_covers_values_with_quotes_and_brackets(value: object) -> None:
    """A typed value holding quotes or "]" is redacted whole, in repr() and in JSON form."""
    import json

    from bot.logging_setup import RedactingFilter

    redactor = RedactingFilter()
    for rendered in (repr({"value": value, "token": "abcdefgh"}), json.dumps({"values": value, "content": value})):
        assert "zebra" not in redactor.redact(rendered), rendered
