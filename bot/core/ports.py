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


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    """A thread the platform reports: its id, parent channel, name and whether it is archived."""

    thread_id: int
    parent_id: int
    name: str
    archived: bool = False


class Threads(Protocol):
    """Private discussion threads inside a channel (small groups' threads).

    Creating a thread is not deduplicated by the platform, so callers look for an existing thread by its
    name (which carries the group's reference) with find_thread before creating one.
    """

    async def create_private_thread(self, channel_id: int, name: str, *, auto_archive_minutes: int = 10080) -> int:
        """Create a private thread nobody can join unless added (invitable off); return its id."""
        ...

    async def find_thread(self, guild_id: int, channel_id: int, name: str) -> ThreadInfo | None:
        """Return the active (or recently archived) thread of channel_id with exactly this name, if any."""
        ...

    async def add_member(self, thread_id: int, user_id: int) -> None:
        """Add someone to a thread (adding a member twice is harmless)."""
        ...

    async def remove_member(self, thread_id: int, user_id: int) -> None:
        """Remove someone from a thread (removing a non-member is harmless)."""
        ...

    async def archive(self, thread_id: int, *, locked: bool = True) -> None:
        """Archive (and lock) a thread."""
        ...

    async def voice_room(self, guild_id: int, category_id: int, name: str) -> int:
        """Return the voice channel of this name in the category, creating it when there is none."""
        ...

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel Blether made (one already gone is fine)."""
        ...


class RoleMembers(Protocol):
    """Tell who holds a role (the peer coach role) as the platform currently sees it."""

    async def role_members(self, guild_id: int, role_id: int) -> frozenset[int]:
        """Return the user ids holding role_id in the server (empty when the role is gone)."""
        ...
