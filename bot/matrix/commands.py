"""`!blether …` text commands: parse `name:value` options, check the caller at runtime, call one service.

Each handler parses, makes one service call and returns the reply as rich text; the services check
facilitators themselves (the Actor says whether the caller has the power level, looked up on every command).
"""

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.core.actors import Actor
from bot.core.errors import DomainError
from bot.core.messages import Span, Text, code, text
from bot.core.programme.domain import ProgrammeSettingsUpdate

PREFIX = "!blether"


class UsageError(DomainError):
    """The command was typed wrongly; the message carries its usage line."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """One typed command: who, where, the words and the name:value options."""

    actor: Actor
    room_id: str
    words: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Command:
    """A text command: its name, usage line, whether it is for facilitators, and its handler."""

    name: str
    usage: str
    summary: str
    facilitator: bool
    handler: Callable[[Invocation], Awaitable[Text]]
    options: frozenset[str] = frozenset()


def parse(body: str) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """Split `!blether words… name:value…` into words and options; None when it is not a command."""
    stripped = body.strip()
    if not stripped.lower().startswith(PREFIX):
        return None
    rest = stripped[len(PREFIX) :]
    if rest and not rest[0].isspace():
        return None
    try:
        tokens = shlex.split(rest)
    except ValueError:
        raise UsageError("A quotation mark is not closed: put the text in matching quotes.") from None
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        name, colon, value = token.partition(":")
        if colon and name.isidentifier() and not token.startswith(("!", "#", "@", "http")):
            if name in options:
                raise UsageError(f"{name}: is given twice.")
            options[name.lower()] = value
        else:
            words.append(token)
    return tuple(words), options


class Registry:
    """The commands by name (a name may be two words, e.g. `session add`)."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(self, command: Command) -> None:
        """Register a command."""
        self._commands[command.name] = command

    def find(self, words: tuple[str, ...]) -> tuple[Command, tuple[str, ...]] | None:
        """Return the command the first words name and the words after it."""
        for length in (2, 1):
            name = " ".join(words[:length]).lower()
            if len(words) >= length and name in self._commands:
                return self._commands[name], words[length:]
        return None

    def named(self, *words: str) -> Command:
        """Return the command these words name exactly (KeyError for a name the registry does not have)."""
        return self._commands[" ".join(words)]

    def visible_to(self, is_facilitator: bool) -> list[Command]:
        """Return the commands someone may use, in name order."""
        return sorted((c for c in self._commands.values() if is_facilitator or not c.facilitator), key=lambda c: c.name)


def usage(command: Command) -> str:
    """Return the usage line of a command."""
    return f"Usage: {PREFIX} {command.usage}"


def check_options(command: Command, invocation: Invocation) -> None:
    """Refuse options the command does not know, with its usage line."""
    unknown = sorted(set(invocation.options) - command.options)
    if unknown:
        raise UsageError(f"{command.name} has no option {unknown[0]}:. {usage(command)}")


def setup_update(options: dict[str, str], rooms: dict[str, int], participants_role: int) -> ProgrammeSettingsUpdate:
    """Build the programme settings a `!blether setup` sets (rooms already resolved to numbers)."""
    return ProgrammeSettingsUpdate(
        participant_role_id=participants_role,
        announcements_channel_id=rooms.get("announcements"),
        reflections_channel_id=rooms.get("reflections"),
        flash_reports_channel_id=rooms.get("reflections"),
        facilitator_channel_id=rooms.get("facilitators"),
        timezone=options.get("timezone") or None,
        reminder_offsets=options.get("reminders") or None,
    )


def help_text(commands: list[Command], is_facilitator: bool) -> Text:
    """List the commands the caller may use."""
    lines: list[Text | Span] = ["What you can use here:\n"]
    for command in commands:
        lines.extend([code(f"{PREFIX} {command.usage}"), f" — {command.summary}\n"])
    if not is_facilitator:
        lines.append("Facilitators (power level in the announcements room) see more commands.")
    return text(*lines)


_DURATION = re.compile(r"^(?:(?P<h>\d{1,2})h)?(?:(?P<m>\d{1,3})m?)?$")


def parse_duration(word: str) -> int | None:
    """Read a duration such as 90m, 1h30m, 2h or 90 (minutes); None when it is not one."""
    match = _DURATION.match(word.lower())
    if match is None or not (match["h"] or match["m"]):
        return None
    return int(match["h"] or 0) * 60 + int(match["m"] or 0)
