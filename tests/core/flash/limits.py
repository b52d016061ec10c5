"""Discord's message limits, checked on messages as the Discord renderer writes them (with no cutting)."""

from bot.core.messages import OutboundMessage
from bot.discord_render import Mode
from tests.rendering import written


def embed_total(message: OutboundMessage) -> int:
    """Return the characters Discord counts across a message's embeds."""
    total = 0
    for e in message.embeds:
        total += len(written(e.title, mode=Mode.INLINE)) + len(written(e.description))
        total += len(written(e.footer, mode=Mode.PLAIN))
        total += sum(len(written(f.name, mode=Mode.INLINE)) + len(written(f.value)) for f in e.fields)
    return total


def check_limits(messages: list[OutboundMessage] | tuple[OutboundMessage, ...]) -> None:
    """Assert every Discord limit on every message (embeds, fields, totals, content, buttons)."""
    assert messages, "nothing rendered"
    for index, message in enumerate(messages):
        where = f"message {index + 1}"
        assert len(written(message.content)) <= 2000, where
        assert len(message.embeds) <= 10, where
        assert message.embeds or message.content, f"{where} is empty"
        assert embed_total(message) <= 6000, f"{where}: {embed_total(message)} characters in embeds"
        for e in message.embeds:
            assert len(written(e.title, mode=Mode.INLINE)) <= 256, where
            assert len(written(e.description)) <= 4096, where
            assert len(written(e.footer, mode=Mode.PLAIN)) <= 2048, where
            assert len(e.fields) <= 25, where
            for f in e.fields:
                assert len(written(f.name, mode=Mode.INLINE)) <= 256 and len(written(f.value)) <= 1024, where
            assert e.title or e.description or e.fields, f"{where} has an empty embed"
        assert len(message.buttons) <= 25, where
        for button in message.buttons:
            assert len(button.label) <= 80, where
            assert button.custom_id is None or len(button.custom_id) <= 100, where


def all_text(messages: list[OutboundMessage] | tuple[OutboundMessage, ...]) -> str:
    """Return every readable string in the messages, as the Discord renderer writes them."""
    parts: list[str] = []
    for message in messages:
        parts.append(written(message.content))
        for e in message.embeds:
            parts += [written(e.title, mode=Mode.INLINE), written(e.description), written(e.footer, mode=Mode.PLAIN)]
            parts += [f"{written(f.name, mode=Mode.INLINE)}\n{written(f.value)}" for f in e.fields]
    return "\n".join(parts)
