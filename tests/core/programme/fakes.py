"""Small fakes of the ports the programme feature uses: a Sender, an EventMirror and a ChannelDirectory."""

import itertools
from dataclasses import dataclass, field

from bot.core.messages import OutboundMessage, SentMessage
from bot.core.ports import EventSpec, PermanentSendError, RecipientUnreachableError
from bot.core.programme.domain import ChannelKind


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the FakeSender accepted (user_id set for DMs)."""

    channel_id: int | None
    user_id: int | None
    message: OutboundMessage
    nonce: str | None
    message_id: int


@dataclass
class FakeSender:
    """Record channel posts and DMs; a repeated nonce returns the earlier message, as on Discord."""

    sent: list[Sent] = field(default_factory=list)
    closed_dms: set[int] = field(default_factory=set)  # people whose settings refuse Blether's DMs
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(5_000))

    @property
    def posts(self) -> list[Sent]:
        """Return the channel posts."""
        return [s for s in self.sent if s.user_id is None]

    @property
    def dms(self) -> list[Sent]:
        """Return the direct messages."""
        return [s for s in self.sent if s.user_id is not None]

    def _record(self, channel_id: int | None, user_id: int | None, message: OutboundMessage, nonce: str | None) -> int:
        for earlier in self.sent:
            if nonce is not None and earlier.nonce == nonce:
                return earlier.message_id
        message_id = next(self._ids)
        self.sent.append(Sent(channel_id, user_id, message, nonce, message_id))
        return message_id

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post to a channel."""
        return SentMessage(self._record(channel_id, None, message, nonce), channel_id)

    async def send_dm(self, user_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Send a DM (refused with RecipientUnreachableError for anyone in closed_dms)."""
        if user_id in self.closed_dms:
            raise RecipientUnreachableError("This person does not accept direct messages from Blether.")
        return SentMessage(self._record(None, user_id, message, nonce), 0)

    async def edit(self, channel_id: int, message_id: int, message: OutboundMessage) -> None:
        """Ignore edits."""

    async def find_recent(self, channel_id: int, marker: str, *, limit: int = 50) -> SentMessage | None:
        """Never find anything (tests here do not crash mid-send)."""
        return None


@dataclass
class FakeEventMirror:
    """Record Scheduled Event calls; set fail to make every call raise it."""

    created: list[tuple[int, EventSpec]] = field(default_factory=list)
    updated: list[tuple[int, int, EventSpec]] = field(default_factory=list)
    cancelled: list[tuple[int, int]] = field(default_factory=list)
    fail: Exception | None = None
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(70_000))

    def _maybe_fail(self) -> None:
        if self.fail is not None:
            raise self.fail

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        """Create an event."""
        self._maybe_fail()
        self.created.append((guild_id, spec))
        return next(self._ids)

    async def update(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        """Update an event."""
        self._maybe_fail()
        self.updated.append((guild_id, event_id, spec))

    async def cancel(self, guild_id: int, event_id: int) -> None:
        """Cancel an event."""
        self._maybe_fail()
        self.cancelled.append((guild_id, event_id))


def missing_access() -> PermanentSendError:
    """Return the error the Discord mirror raises without Manage Events."""
    return PermanentSendError("Blether is not allowed to create the Scheduled Event (missing access)")


@dataclass
class FakeChannels:
    """Answer what kind of channel an id is from a dict."""

    kinds: dict[int, ChannelKind] = field(default_factory=dict)

    async def channel_kind(self, guild_id: int, channel_id: int) -> ChannelKind | None:
        """Return the kind of a known channel, or None."""
        return self.kinds.get(channel_id)
