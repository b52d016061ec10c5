"""Fakes of the core's ports for tests that need no Discord at all."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.messages import OutboundMessage, SentMessage
from bot.core.ports import SendError, ThreadInfo
from bot.discord_render import render_message

DM_CHANNEL_BASE = 900_000_000


@dataclass(frozen=True, slots=True)
class AfterPost:
    """A failure queued with FakeSender.fail_next that happens after the message was created (a lost reply)."""

    error: Exception


@dataclass(frozen=True, slots=True)
class Posted:
    """One message the FakeSender accepted."""

    channel_id: int
    message_id: int
    message: OutboundMessage
    nonce: str | None
    user_id: int | None = None  # set for DMs
    at: datetime | None = None  # when it was posted, by the sender's clock

    def text(self) -> str:
        """Return everything readable in the message as Discord would get it (content, embed texts and footers)."""
        return render_message(self.message).text()

    def content(self) -> str:
        """Return the message's content as Discord would get it ("" when it has none)."""
        return render_message(self.message).content or ""


@dataclass
class FakeSender:
    """Record posts and DMs like a platform would, honour nonces, and fail on demand.

    failures: errors to raise on the next calls to post/send_dm, in order (one per call).
    fail_when: a predicate on (channel_or_user_id, message) that raises the error it returns.
    With a clock, a repeated nonce is deduped only within nonce_window (as on Discord); without, always.
    """

    posts: list[Posted] = field(default_factory=list)
    edits: list[tuple[int, int, OutboundMessage]] = field(default_factory=list)
    failures: list[SendError | Exception | AfterPost] = field(default_factory=list)
    fail_when: Callable[[int, OutboundMessage], Exception | None] | None = None
    find_calls: list[tuple[int, str]] = field(default_factory=list)
    enforce_nonce: bool = True
    clock: Clock | None = None
    nonce_window: timedelta = timedelta(minutes=4)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1_000))

    @property
    def channel_posts(self) -> list[Posted]:
        """Return the posts to channels (not DMs)."""
        return [p for p in self.posts if p.user_id is None]

    @property
    def dms(self) -> list[Posted]:
        """Return the direct messages sent."""
        return [p for p in self.posts if p.user_id is not None]

    def fail_next(self, *errors: SendError | Exception | AfterPost) -> None:
        """Make the next len(errors) sends raise these errors, in order (AfterPost: once created)."""
        self.failures.extend(errors)

    def _maybe_fail(self, where: int, message: OutboundMessage) -> AfterPost | None:
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, AfterPost):
                return failure
            raise failure
        if self.fail_when is not None:
            error = self.fail_when(where, message)
            if error is not None:
                raise error
        return None

    def _create(self, channel_id: int, message: OutboundMessage, nonce: str | None, user_id: int | None) -> SentMessage:
        now = self.clock.now() if self.clock is not None else None
        if self.enforce_nonce and nonce is not None:
            for earlier in self.posts:
                if earlier.channel_id != channel_id or earlier.nonce != nonce:
                    continue
                if now is None or earlier.at is None or now - earlier.at < self.nonce_window:
                    return SentMessage(earlier.message_id, channel_id)
        posted = Posted(channel_id, next(self._ids), message, nonce, user_id, now)
        self.posts.append(posted)
        return SentMessage(posted.message_id, channel_id)

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post to a channel (a repeated nonce returns the earlier message, like enforce_nonce)."""
        late = self._maybe_fail(channel_id, message)
        sent = self._create(channel_id, message, nonce, None)
        if late is not None:
            raise late.error
        return sent

    async def send_dm(self, user_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Send a DM; the DM channel id is DM_CHANNEL_BASE + user_id."""
        late = self._maybe_fail(user_id, message)
        sent = self._create(DM_CHANNEL_BASE + user_id, message, nonce, user_id)
        if late is not None:
            raise late.error
        return sent

    async def edit(self, channel_id: int, message_id: int, message: OutboundMessage) -> None:
        """Record an edit."""
        self.edits.append((channel_id, message_id, message))

    async def find_recent(self, channel_id: int, marker: str, *, limit: int = 50) -> SentMessage | None:
        """Return the newest of the last limit messages in channel_id that carries marker."""
        self.find_calls.append((channel_id, marker))
        recent = [p for p in self.posts if p.channel_id == channel_id][-limit:]
        for posted in reversed(recent):
            if marker in posted.text():
                return SentMessage(posted.message_id, channel_id)
        return None


@dataclass
class FakeThreads:
    """Private threads like a platform keeps them: create, find by name, members, archive; fails on demand.

    crash_after_create: raise this error right after the next thread is created (a crash before it is recorded).
    """

    threads: dict[int, "FakeThread"] = field(default_factory=dict)
    failures: list[Exception] = field(default_factory=list)
    crash_after_create: Exception | None = None
    creates: int = 0
    voice_channels: dict[int, tuple[int, str]] = field(default_factory=dict)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(700_000))

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def create_private_thread(self, channel_id: int, name: str, *, auto_archive_minutes: int = 10080) -> int:
        """Create a thread (never deduplicated, like Discord)."""
        self._maybe_fail()
        thread = FakeThread(next(self._ids), channel_id, name)
        self.threads[thread.thread_id] = thread
        self.creates += 1
        if self.crash_after_create is not None:
            error, self.crash_after_create = self.crash_after_create, None
            raise error
        return thread.thread_id

    async def find_thread(self, guild_id: int, channel_id: int, name: str) -> "ThreadInfo | None":
        """Return the thread of channel_id with this name."""
        self._maybe_fail()
        for thread in self.threads.values():
            if thread.parent_id == channel_id and thread.name == name:
                return ThreadInfo(thread.thread_id, channel_id, name, thread.archived)
        return None

    async def add_member(self, thread_id: int, user_id: int) -> None:
        """Add a member."""
        self._maybe_fail()
        self.threads[thread_id].members.add(user_id)

    async def remove_member(self, thread_id: int, user_id: int) -> None:
        """Remove a member."""
        self._maybe_fail()
        self.threads[thread_id].members.discard(user_id)

    async def archive(self, thread_id: int, *, locked: bool = True) -> None:
        """Archive (and lock) a thread."""
        self._maybe_fail()
        self.threads[thread_id].archived = True
        self.threads[thread_id].locked = locked

    async def voice_room(self, guild_id: int, category_id: int, name: str) -> int:
        """Return the voice channel of this name in the category, creating it when there is none."""
        self._maybe_fail()
        for channel_id, (category, existing) in self.voice_channels.items():
            if category == category_id and existing == name:
                return channel_id
        channel_id = next(self._ids)
        self.voice_channels[channel_id] = (category_id, name)
        return channel_id

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel (one already gone is fine)."""
        self._maybe_fail()
        self.voice_channels.pop(channel_id, None)

    def in_channel(self, channel_id: int) -> list["FakeThread"]:
        """Return the threads made in a channel."""
        return [t for t in self.threads.values() if t.parent_id == channel_id]


@dataclass
class FakeThread:
    """One fake thread."""

    thread_id: int
    parent_id: int
    name: str
    members: set[int] = field(default_factory=set)
    archived: bool = False
    locked: bool = False


@dataclass
class FakeRoles:
    """Role members by role id."""

    members: dict[int, frozenset[int]] = field(default_factory=dict)

    async def role_members(self, guild_id: int, role_id: int) -> frozenset[int]:
        """Return who holds the role."""
        return self.members.get(role_id, frozenset())
