"""Ports: Protocols the core needs from a chat platform; the Discord adapter implements them."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.messages import OutboundMessage, SentMessage


class SendError(Exception):
    """Base for failures reported by a Sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendError):
    """The platform failed in a way worth retrying (5xx, timeout, connection reset)."""


class PermanentSendError(SendError):
    """Retrying will not help (missing access, unknown channel); reason says how to fix it."""


class MessageGoneError(PermanentSendError):
    """The message to edit (or its channel) no longer exists: whatever it said is gone too."""


class Sender(Protocol):
    """Post and edit messages on the platform (channel posts and direct messages)."""

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post to a channel; the nonce makes a retry after a crash a no-op on the platform."""
        ...

    async def send_dm(self, user_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Send a direct message to a user."""
        ...

    async def edit(self, channel_id: int, message_id: int, message: OutboundMessage) -> None:
        """Replace a message's content, embeds and buttons."""
        ...

    async def find_recent(self, channel_id: int, marker: str, *, limit: int = 50) -> SentMessage | None:
        """Find one of our own recent messages in a channel that carries marker (a delivery's reference)."""
        ...


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A session as the platform's scheduled event should show it."""

    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location_url: str | None = None
    channel_id: int | None = None
    is_stage: bool = False


class EventMirror(Protocol):
    """Mirror sessions as the platform's scheduled events; the database stays the source of truth."""

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        """Create an event and return its id."""
        ...

    async def update(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        """Update an event."""
        ...

    async def cancel(self, guild_id: int, event_id: int) -> None:
        """Cancel (or delete) an event."""
        ...
