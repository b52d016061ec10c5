"""What a shell command or button handler gets (Context), and how commands and buttons are declared."""

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.actors import Actor
from bot.core.messages import Button, Embed, FileAttachment, OutboundMessage, RichText
from bot.shell.forms import Form, FormValue
from bot.shell.options import Option
from bot.shell.ports import Shown
from bot.shell.world import Member

if TYPE_CHECKING:
    from bot.app import Services
    from bot.shell.app import Shell


@dataclass
class Context:
    """Who acts, and the shell's ways to answer them (privately, like an ephemeral reply)."""

    shell: "Shell"
    member: Member
    actor: Actor

    @property
    def services(self) -> "Services":
        """Return the core services."""
        return self.shell.services

    async def reply(
        self,
        content: RichText | None = None,
        *,
        embeds: Sequence[Embed] = (),
        buttons: Sequence[Button] = (),
        files: Sequence[FileAttachment] = (),
    ) -> Shown:
        """Answer the person privately (files are written to the shell's folder and named)."""
        message = OutboundMessage(content=content, embeds=tuple(embeds), buttons=tuple(buttons), files=tuple(files))
        return self.shell.timeline.reply(self.member.id, message)

    async def send(self, message: OutboundMessage) -> Shown:
        """Answer privately with a message the core built."""
        return self.shell.timeline.reply(self.member.id, message)

    async def form(self, form: Form) -> dict[str, FormValue]:
        """Ask the person a form's questions one by one; return {field id: value}."""
        return await self.shell.ask(form)


Handler = Callable[[Context, dict[str, Any]], Awaitable[None]]
ButtonHandler = Callable[[Context, re.Match[str], Shown], Awaitable[None]]
MessageHandler = Callable[[Context, Shown], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command: its path ("session add"), options in Discord's order, and who may see it in help."""

    path: str
    description: str
    handler: Handler
    options: tuple[Option, ...] = ()
    facilitator: bool = False

    def usage(self) -> str:
        """Return "/path name:<kind> [name:<kind>]"."""
        return " ".join([f"/{self.path}", *(o.usage() for o in self.options)])


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    """A button custom_id pattern (full match) and its handler."""

    pattern: re.Pattern[str]
    handler: ButtonHandler
    name: str


@dataclass(frozen=True, slots=True)
class MessageAction:
    """Something done to a chat message (Discord's message menu or a reaction): `nominate 1043`."""

    verb: str
    description: str
    handler: MessageHandler


@dataclass
class Registry:
    """The shell's commands, button routes and message actions, gathered from each feature module."""

    commands: dict[str, Command] = field(default_factory=dict)
    buttons: list[ButtonRoute] = field(default_factory=list)
    actions: dict[str, MessageAction] = field(default_factory=dict)

    def command(
        self, path: str, description: str, *options: Option, facilitator: bool = False
    ) -> Callable[[Handler], Handler]:
        """Declare a command (decorator)."""

        def add(handler: Handler) -> Handler:
            if path in self.commands:
                raise ValueError(f"/{path} is declared twice")
            self.commands[path] = Command(path, description, handler, tuple(options), facilitator)
            return handler

        return add

    def button(self, pattern: str, name: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """Declare a button route (decorator)."""

        def add(handler: ButtonHandler) -> ButtonHandler:
            self.buttons.append(ButtonRoute(re.compile(pattern), handler, name))
            return handler

        return add

    def message_action(self, verb: str, description: str) -> Callable[[MessageHandler], MessageHandler]:
        """Declare a message action (decorator): `VERB MESSAGE_ID` as the acting person."""

        def add(handler: MessageHandler) -> MessageHandler:
            self.actions[verb] = MessageAction(verb, description, handler)
            return handler

        return add

    def find(self, words: Sequence[str]) -> tuple[Command, int] | None:
        """Return the command whose path is the longest prefix of words (without the "/"), and its length."""
        if not words or not words[0].startswith("/"):
            return None
        path = [words[0][1:].lower(), *(w.lower() for w in words[1:3])]
        for size in (3, 2, 1):
            command = self.commands.get(" ".join(path[:size]))
            if command is not None and size <= len(path):
                return command, size
        return None

    def groups(self) -> set[str]:
        """Return the names of command groups (e.g. "session")."""
        return {path.split(" ")[0] for path in self.commands if " " in path}
