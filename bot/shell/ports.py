"""The shell's implementations of the core's ports: messages to the terminal, events kept in memory.

Every message Blether posts, sends by DM or edits is printed at once and kept in the Timeline, where
its buttons get numbers (unique in this run) that `press` uses. Channel messages are seen by everyone;
direct messages and private replies only by their person, who alone may press their buttons.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.core.errors import DomainError
from bot.core.files import write_private_file
from bot.core.messages import Button, FileAttachment, OutboundMessage, SentMessage, plain
from bot.core.ports import EventSpec, PermanentSendError, ThreadInfo
from bot.core.programme.domain import ChannelKind
from bot.shell.render import DIM, Renderer
from bot.shell.world import DM_CHANNEL_BASE, FACILITATOR_ROLE, PARTICIPANT_ROLE, Channel, World

log = logging.getLogger(__name__)

MARGIN = "  "


class ButtonError(DomainError):
    """A press the shell cannot route: no such button, not yours, or disabled."""


@dataclass
class Shown:
    """A message in this run's timeline."""

    message_id: int
    channel_id: int
    audience: int | None  # None: everyone in the channel; else the one person who sees it
    message: OutboundMessage
    at: datetime
    nonce: str | None = None
    buttons: list[tuple[int, Button]] = field(default_factory=list)
    author_id: int | None = None  # set for what a member said; None for Blether's own messages


def unchanged_text_elided(before: OutboundMessage, after: OutboundMessage) -> OutboundMessage:
    """Return an edited message with each embed description it did not change shown as "…" (shorter transcripts)."""
    embeds = tuple(
        replace(new, description="…")
        if index < len(before.embeds) and new.description and new.description == before.embeds[index].description
        else new
        for index, new in enumerate(after.embeds)
    )
    return replace(after, embeds=embeds)


class Console:
    """Where the transcript goes (standard output), line by line."""

    def __init__(self, stream: TextIO, renderer: Renderer) -> None:
        self.stream = stream
        self.renderer = renderer

    def write(self, lines: Sequence[str] | str = "") -> None:
        """Print lines."""
        if isinstance(lines, str):
            lines = [lines]
        for line in lines:
            self.stream.write(line + "\n")
        self.stream.flush()

    def rule(self, label: str) -> None:
        """Print a heading rule such as "── #announcements · Thu 4 Mar 2027 18:30 GMT ──"."""
        paint = self.renderer.palette.paint
        self.write(paint("── ", DIM) + label + paint(" " + "─" * max(4, 60 - len(label)), DIM))


class FileStore:
    """Write the files Blether attaches (calendars, exports, reports) into one folder, owner-only like the CLI's."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, attachment: FileAttachment) -> str:
        """Write one attachment (a later file of the same name replaces it) and return its path for people."""
        path = write_private_file(self.folder / (Path(attachment.filename).name or "file"), attachment.data)
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)


class Timeline:
    """The messages of this run, their numbered buttons, and printing them."""

    def __init__(self, world: World, console: Console, files: FileStore) -> None:
        self._world = world
        self._console = console
        self._files = files
        self.messages: list[Shown] = []
        self._next_button = 0

    def _number(self, shown: Shown, previous: list[tuple[int, Button]] | None = None) -> None:
        """Number the buttons of a message; an edit keeps the numbers of buttons it still has."""
        old = {(b.custom_id, b.url, b.label): n for n, b in previous or []}
        numbered = []
        for button in shown.message.buttons:
            number = old.get((button.custom_id, button.url, button.label))
            if number is None:
                self._next_button += 1
                number = self._next_button
            numbered.append((number, button))
        shown.buttons = numbered

    def _print(self, shown: Shown, heading: str | None, *, before: OutboundMessage | None = None) -> None:
        renderer = self._console.renderer
        written = [self._files.write(f) for f in shown.message.files]
        if heading is not None:
            self._console.rule(heading)
            margin = ""
        else:
            margin = MARGIN
        message = shown.message if before is None else unchanged_text_elided(before, shown.message)
        lines = renderer.message(message, buttons=shown.buttons, files=written, margin=margin)
        self._console.write(lines or [margin + "(an empty message)"])

    def _heading(self, shown: Shown, what: str = "", at: datetime | None = None) -> str:
        when = self._console.renderer.time(at or shown.at)
        if shown.channel_id > DM_CHANNEL_BASE:
            where = f"✉ DM to {self._world.user_name(shown.channel_id - DM_CHANNEL_BASE)}"
        else:
            where = "#" + self._world.channel_name(shown.channel_id)
        return " · ".join(p for p in (where, what, when) if p)

    def add(self, channel_id: int, message: OutboundMessage, *, audience: int | None, nonce: str | None) -> Shown:
        """Record and print a channel post or DM."""
        shown = Shown(self._world.new_id(), channel_id, audience, message, self._world.clock.now(), nonce)
        self._number(shown)
        self.messages.append(shown)
        self._print(shown, self._heading(shown))
        return shown

    def say(self, channel_id: int, author_id: int, content: str) -> Shown:
        """Record and print a chat message a member wrote (it can be nominated for the Flash Report)."""
        shown = Shown(self._world.new_id(), channel_id, None, OutboundMessage(content=content), self._world.clock.now())
        shown.author_id = author_id
        self.messages.append(shown)
        self._console.rule(self._heading(shown, f"message {shown.message_id}"))
        author = self._world.user_name(author_id)
        self._console.write(
            [f"@{author}: {line}" if n == 0 else f"  {line}" for n, line in enumerate(content.split("\n"))]
        )
        return shown

    def reply(self, user_id: int, message: OutboundMessage) -> Shown:
        """Record and print a private reply to a command or a button (only user_id sees it)."""
        shown = Shown(self._world.new_id(), 0, user_id, message, self._world.clock.now())
        self._number(shown)
        self.messages.append(shown)
        self._print(shown, None)
        return shown

    def edit(self, message_id: int, message: OutboundMessage, *, channel_id: int | None = None) -> Shown:
        """Replace a message and print its new look."""
        shown = self.get(message_id)
        if shown is None:  # posted by an earlier run of the shell: show the new version all the same
            shown = Shown(message_id, channel_id or 0, None, message, self._world.clock.now())
            self.messages.append(shown)
            previous: list[tuple[int, Button]] = []
            before = None
        else:
            previous = shown.buttons
            before = shown.message
            shown.message = message
        self._number(shown, previous)
        if shown.channel_id:
            self._print(shown, self._heading(shown, "✎ edited", self._world.clock.now()), before=before)
        else:
            self._console.write(MARGIN + "✎ (your message above was updated)")
            self._print(shown, None, before=before)
        return shown

    def get(self, message_id: int) -> Shown | None:
        """Return a message of this run by id."""
        return next((m for m in self.messages if m.message_id == message_id), None)

    def button(self, number: int, user_id: int) -> tuple[Shown, Button]:
        """Return the button with this number, if user_id may press it."""
        for shown in reversed(self.messages):
            for found, button in shown.buttons:
                if found == number:
                    return self._pressable(shown, button, user_id)
        raise ButtonError(f"There is no button [{number}] in this run.")

    def button_by_label(self, label: str, user_id: int) -> tuple[Shown, Button]:
        """Return the newest button labelled label (case-insensitive) that user_id can see."""
        wanted = label.strip().lower()
        for shown in reversed(self.messages):
            if shown.audience not in (None, user_id):
                continue
            for _, button in shown.buttons:
                if button.label.lower() == wanted and not button.disabled:
                    return self._pressable(shown, button, user_id)
        raise ButtonError(
            f"No button labelled {label!r} that you can press in this run; press one by its [number], or use the "
            "slash command instead (e.g. /reflect)."
        )

    @staticmethod
    def _pressable(shown: Shown, button: Button, user_id: int) -> tuple[Shown, Button]:
        if shown.audience not in (None, user_id):
            raise ButtonError("That button is on someone else's private message; only they can press it.")
        if button.disabled:
            raise ButtonError("That button is disabled.")
        return shown, button

    def find(self, channel_id: int, marker: str, limit: int) -> Shown | None:
        """Return the newest of the last limit messages in a channel that carries marker."""
        recent = [m for m in self.messages if m.channel_id == channel_id][-limit:]
        for shown in reversed(recent):
            texts = [plain(shown.message.content)] + [plain(e.footer) for e in shown.message.embeds]
            if any(marker in text for text in texts):
                return shown
        return None


class ShellSender:
    """Post, DM and edit by printing to the terminal (implements bot.core.ports.Sender).

    Like Discord with enforce_nonce, a repeated nonce in a channel returns the message already made.
    """

    def __init__(self, world: World, timeline: Timeline) -> None:
        self._world = world
        self._timeline = timeline

    def _existing(self, channel_id: int, nonce: str | None) -> SentMessage | None:
        if nonce is None:
            return None
        for shown in self._timeline.messages:
            if shown.channel_id == channel_id and shown.nonce == nonce:
                return SentMessage(shown.message_id, channel_id)
        return None

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post in a channel of the simulated server."""
        channel = self._world.channel_by_id(channel_id)
        if channel is None:
            raise PermanentSendError(f"Channel {channel_id} does not exist; choose another with /programme setup.")
        existing = self._existing(channel_id, nonce)
        if existing is not None:
            return existing
        shown = self._timeline.add(channel_id, message, audience=None, nonce=nonce)
        return SentMessage(shown.message_id, channel_id)

    async def send_dm(self, user_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Send a direct message to a simulated member."""
        if not any(m.id == user_id for m in self._world.members.values()):
            raise PermanentSendError("This person does not accept direct messages from Blether.")
        channel_id = DM_CHANNEL_BASE + user_id
        existing = self._existing(channel_id, nonce)
        if existing is not None:
            return existing
        shown = self._timeline.add(channel_id, message, audience=user_id, nonce=nonce)
        return SentMessage(shown.message_id, channel_id)

    async def edit(self, channel_id: int, message_id: int, message: OutboundMessage) -> None:
        """Replace one of Blether's messages."""
        self._timeline.edit(message_id, message, channel_id=channel_id)

    async def find_recent(self, channel_id: int, marker: str, *, limit: int = 50) -> SentMessage | None:
        """Find one of our recent messages in a channel that carries marker."""
        shown = self._timeline.find(channel_id, marker, limit)
        return None if shown is None else SentMessage(shown.message_id, channel_id)


@dataclass
class ShellEventMirror:
    """Keep the sessions' calendar events in memory (implements bot.core.ports.EventMirror)."""

    new_id: Callable[[], int]
    events: dict[int, EventSpec] = field(default_factory=dict)
    cancelled: set[int] = field(default_factory=set)

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        """Create an event and return its id."""
        event_id = self.new_id()
        self.events[event_id] = spec
        return event_id

    async def update(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        """Update an event."""
        self.events[event_id] = spec

    async def cancel(self, guild_id: int, event_id: int) -> None:
        """Cancel an event."""
        self.cancelled.add(event_id)


@dataclass
class ShellThreads:
    """Private threads and voice rooms as channels of the simulated server (implements bot.core.ports.Threads).

    A thread is a channel whose posts print under its name; who was added is kept in memory for this run.
    """

    world: World
    parents: dict[int, int] = field(default_factory=dict)  # thread id -> parent channel id
    members: dict[int, set[int]] = field(default_factory=dict)
    archived: set[int] = field(default_factory=set)

    def _add(self, name: str, kind: ChannelKind) -> Channel:
        channel = Channel(name, self.world.new_id(), kind)
        self.world.channels[name.lower()] = channel
        return channel

    async def create_private_thread(self, channel_id: int, name: str, *, auto_archive_minutes: int = 10080) -> int:
        """Create a thread under a channel of the simulated server; return its id."""
        if self.world.channel_by_id(channel_id) is None:
            raise PermanentSendError(f"Channel {channel_id} does not exist; choose another with /programme setup.")
        thread = self._add(name, ChannelKind.TEXT)
        self.parents[thread.id] = channel_id
        self.members[thread.id] = set()
        return thread.id

    async def find_thread(self, guild_id: int, channel_id: int, name: str) -> ThreadInfo | None:
        """Return the thread of channel_id with exactly this name, if any."""
        found = self.world.channels.get(name.lower())
        if found is None or found.name != name or self.parents.get(found.id, channel_id) != channel_id:
            return None
        return ThreadInfo(found.id, channel_id, found.name, archived=found.id in self.archived)

    async def add_member(self, thread_id: int, user_id: int) -> None:
        """Add someone to a thread."""
        self.members.setdefault(thread_id, set()).add(user_id)

    async def remove_member(self, thread_id: int, user_id: int) -> None:
        """Remove someone from a thread."""
        self.members.setdefault(thread_id, set()).discard(user_id)

    async def archive(self, thread_id: int, *, locked: bool = True) -> None:
        """Archive a thread (it stays listed, as on Discord)."""
        self.archived.add(thread_id)

    async def voice_room(self, guild_id: int, category_id: int, name: str) -> int:
        """Return the voice channel of this name, adding it when there is none."""
        found = self.world.channels.get(name.lower())
        return found.id if found is not None else self._add(name, ChannelKind.VOICE).id

    async def delete_channel(self, channel_id: int) -> None:
        """Remove a channel Blether made (one already gone is fine)."""
        for key, channel in list(self.world.channels.items()):
            if channel.id == channel_id:
                del self.world.channels[key]


@dataclass
class ShellRoleMembers:
    """Tell who holds a role in the simulated server (implements bot.core.ports.RoleMembers)."""

    world: World

    async def role_members(self, guild_id: int, role_id: int) -> frozenset[int]:
        """Return the members present who hold role_id (facilitators, or everyone else as participants)."""
        present = [m for m in self.world.members.values() if not m.left]
        if role_id == self.world.roles.get(FACILITATOR_ROLE):
            return frozenset(m.id for m in present if m.facilitator)
        if role_id == self.world.roles.get(PARTICIPANT_ROLE):
            return frozenset(m.id for m in present if not m.facilitator)
        return frozenset()
