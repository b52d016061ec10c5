"""Discord's message limits, checked on rendered messages."""

from bot.core.messages import OutboundMessage


def embed_total(message: OutboundMessage) -> int:
    """Return the characters Discord counts across a message's embeds."""
    total = 0
    for e in message.embeds:
        total += len(e.title or "") + len(e.description or "") + len(e.footer or "")
        total += sum(len(f.name) + len(f.value) for f in e.fields)
    return total


def check_limits(messages: list[OutboundMessage] | tuple[OutboundMessage, ...]) -> None:
    """Assert every Discord limit on every message (embeds, fields, totals, content, buttons)."""
    assert messages, "nothing rendered"
    for index, message in enumerate(messages):
        where = f"message {index + 1}"
        assert len(message.content or "") <= 2000, where
        assert len(message.embeds) <= 10, where
        assert message.embeds or message.content, f"{where} is empty"
        assert embed_total(message) <= 6000, f"{where}: {embed_total(message)} characters in embeds"
        for e in message.embeds:
            assert len(e.title or "") <= 256, where
            assert len(e.description or "") <= 4096, where
            assert len(e.footer or "") <= 2048, where
            assert len(e.fields) <= 25, where
            for f in e.fields:
                assert len(f.name) <= 256 and len(f.value) <= 1024, where
            assert e.title or e.description or e.fields, f"{where} has an empty embed"
        assert len(message.buttons) <= 25, where
        for button in message.buttons:
            assert len(button.label) <= 80, where
            assert button.custom_id is None or len(button.custom_id) <= 100, where


def all_text(messages: list[OutboundMessage] | tuple[OutboundMessage, ...]) -> str:
    """Return every readable string in the messages."""
    parts: list[str] = []
    for message in messages:
        parts.append(message.content or "")
        for e in message.embeds:
            parts += [e.title or "", e.description or "", e.footer or ""]
            parts += [f"{f.name}\n{f.value}" for f in e.fields]
    return "\n".join(parts)
