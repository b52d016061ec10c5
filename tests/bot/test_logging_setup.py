"""The logging filter keeps tokens and typed answers out of every log line."""

import io
import logging

from bot.logging_setup import RedactingFilter, setup_logging

BOT_TOKEN = "MTA5MjM0NTY3ODkwMTIzNDU2Nw.GQ2x9a.abcdefghijklmnopqrstuvwxyz012345"
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTE2NjQ4NDk0NjcyOTgzNjYyNzpzZWNyZXQ"


def test_redacts_bot_interaction_and_webhook_tokens() -> None:
    """Tokens in text, URLs and gateway payloads are replaced."""
    redactor = RedactingFilter()
    text = redactor.redact(
        f"token {BOT_TOKEN} POST /interactions/123/{INTERACTION_TOKEN}/callback "
        f"/webhooks/999/{INTERACTION_TOKEN}/messages/@original "
        f"{{'token': '{INTERACTION_TOKEN}', 'value': 'my private answer'}} Authorization: Bot {BOT_TOKEN}"
    )
    assert BOT_TOKEN not in text
    assert INTERACTION_TOKEN not in text
    assert "my private answer" not in text


def test_configured_secret_is_redacted_from_formatted_records_and_tracebacks() -> None:
    """A configured secret never reaches the stream, even inside an exception message."""
    stream = io.StringIO()
    setup_logging("DEBUG", secrets=["plain-secret-123456"], stream=stream)
    logger = logging.getLogger("test.redaction")
    logger.info("connecting with %s", "plain-secret-123456")
    try:
        raise RuntimeError("failed with plain-secret-123456")
    except RuntimeError:
        logger.exception("boom")
    output = stream.getvalue()
    assert "plain-secret-123456" not in output
    assert "[REDACTED]" in output
    assert "boom" in output


def test_embed_titles_and_descriptions_in_discord_payload_logs_are_redacted() -> None:
    """At DEBUG, discord.py logs each request body (JSON) and gateway event (a dict's repr): a story posted in an
    embed's title, description, field or footer never reaches the stream in clear."""
    import discord
    from discord.utils import _to_json

    story = "The kettle club grew to thirty neighbours"
    embed = discord.Embed(title=f"A story: {story}", description=f"> {story}\n— Pat")
    embed.add_field(name="Stories of change", value=story)
    embed.set_footer(text=f"shared by Pat · {story}")
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    http = logging.getLogger("discord.http")
    body = _to_json({"embeds": [embed.to_dict()], "allowed_mentions": {"parse": []}})
    http.debug("%s %s with %s has returned %s", "POST", "https://discord.com/api/v10/channels/1/messages", body, 200)
    gateway = logging.getLogger("discord.gateway")
    quiet = gateway.level  # an earlier setup at INFO may have quietened it
    gateway.setLevel(logging.DEBUG)
    try:
        event = {"t": "MESSAGE_CREATE", "d": {"id": "5", "embeds": [embed.to_dict()], "content": ""}}
        gateway.debug("For Shard ID %s: WebSocket Event: %s", None, event)
    finally:
        gateway.setLevel(quiet)
    output = stream.getvalue()
    assert "kettle club" not in output
    assert output.count("MESSAGE_CREATE") == 1 and "has returned 200" in output  # the lines themselves stay
