"""Slash-command options for the shell: the same types and limits as the Discord commands' options.

Discord checks an option's type, range and choices before the bot sees it; the shell checks them here,
with the same limits (taken from the core's constants), then the core validates as it always does.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.programme.domain import ChannelKind
from bot.shell.parser import Arguments, ShellInputError

if TYPE_CHECKING:
    from bot.shell.commands import Context

TRUE = ("true", "yes", "y", "on", "1")
FALSE = ("false", "no", "n", "off", "0")


class Kind(StrEnum):
    """What an option takes."""

    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "true/false"
    CHOICE = "choice"
    CHANNEL = "#channel"
    ROLE = "@role"
    MEMBER = "@member"
    SESSION = "session number"
    FILE = "file path"


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed value (label is what Discord shows; either may be typed)."""

    value: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a command, with Discord's limits: text length or number range, choices, channel kinds."""

    name: str
    description: str = ""
    kind: Kind = Kind.TEXT
    required: bool = False
    min: int | None = None
    max: int | None = None
    choices: tuple[Choice, ...] = ()
    channels: tuple[ChannelKind, ...] = ()
    default: Any = None

    def usage(self) -> str:
        """Return "name:<kind>" (in brackets when optional)."""
        shown = "|".join(c.value for c in self.choices) if self.choices else f"<{self.kind.value}>"
        text = f"{self.name}:{shown}"
        return text if self.required else f"[{text}]"


def _text(option: Option, raw: str) -> str:
    if option.min is not None and len(raw) < option.min:
        if option.min == 1:
            raise ShellInputError(f"{option.name} cannot be empty.")
        raise ShellInputError(f"{option.name} needs at least {option.min} characters.")
    if option.max is not None and len(raw) > option.max:
        raise ShellInputError(f"{option.name} takes at most {option.max} characters (that is {len(raw)}).")
    return raw


def _integer(option: Option, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ShellInputError(f"{option.name} takes a whole number, not {raw!r}.") from None
    if option.min is not None and value < option.min:
        raise ShellInputError(f"{option.name} must be at least {option.min}.")
    if option.max is not None and value > option.max:
        raise ShellInputError(f"{option.name} must be at most {option.max}.")
    return value


def _boolean(option: Option, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ShellInputError(f"{option.name} takes true or false, not {raw!r}.")


def _choice(option: Option, raw: str) -> str:
    word = raw.strip().lower()
    for choice in option.choices:
        if word in (choice.value.lower(), choice.label.lower()):
            return choice.value
    offered = ", ".join(c.value for c in option.choices)
    raise ShellInputError(f"{option.name} is one of: {offered}.")


def _file(context: "Context", option: Option, raw: str) -> tuple[str, bytes]:
    path = Path(raw).expanduser()
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, *(d / path for d in context.shell.search_dirs)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.name, candidate.read_bytes()
    raise ShellInputError(f"{option.name}: there is no file {raw!r}.")


async def convert(context: "Context", option: Option, raw: str, *, command: str, facilitator: bool) -> Any:
    """Turn one typed value into what the Discord command's parameter would receive."""
    world = context.shell.world
    if option.kind is Kind.TEXT:
        return _text(option, raw)
    if option.kind is Kind.INTEGER:
        return _integer(option, raw)
    if option.kind is Kind.BOOLEAN:
        return _boolean(option, raw)
    if option.kind is Kind.CHOICE:
        return _choice(option, raw)
    if option.kind is Kind.CHANNEL:
        return world.channel(raw, option.channels).id
    if option.kind is Kind.ROLE:
        return world.role(raw)
    if option.kind is Kind.MEMBER:
        return world.member(raw).id
    if option.kind is Kind.FILE:
        return _file(context, option, raw)
    # A session, typed by number; on a facilitator command the caller is checked first, as on Discord.
    number = _integer(Option(option.name, kind=Kind.INTEGER, min=1), raw)
    programme = context.services.programme
    if facilitator:
        await programme.authorise(context.actor, f"use /{command}")
    return (await programme.get_session_by_number(world.guild_id, number)).id


async def bind(
    context: "Context", options: Sequence[Option], arguments: Arguments, *, command: str, facilitator: bool
) -> dict[str, Any]:
    """Match the typed options to the command's, in Discord's order; positional values fill the rest in order."""
    raw: dict[str, str] = dict(arguments.named)
    waiting = [o for o in options if o.name not in raw]
    for value in arguments.positional:
        if not waiting:
            usage = " ".join(o.usage() for o in options) or "(no options)"
            raise ShellInputError(f"Too many values: {value!r} fits no option. Usage: /{command} {usage}")
        raw[waiting.pop(0).name] = value
    values: dict[str, Any] = {}
    for option in options:
        if option.name in raw:
            values[option.name] = await convert(
                context, option, raw[option.name], command=command, facilitator=facilitator
            )
        elif option.required:
            usage = " ".join(o.usage() for o in options)
            raise ShellInputError(f"/{command} needs {option.name}. Usage: /{command} {usage}")
        else:
            values[option.name] = option.default
    return values


def choices(pairs: Sequence[Any] | Mapping[str, str]) -> tuple[Choice, ...]:
    """Build choices from core Choice-like objects (value, label) or a mapping."""
    if isinstance(pairs, Mapping):
        return tuple(Choice(value, label) for value, label in pairs.items())
    return tuple(Choice(str(p.value), str(getattr(p, "label", p.value))) for p in pairs)
