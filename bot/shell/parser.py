"""Read a shell line: `[!] [as NAME] COMMAND …`, with slash commands written like Discord's (name:value).

Quotes group words (title:"Mapping our communities"); a leading `!` marks a line expected to fail (a
script goes on when it does, and stops when it does not); `#` starts a comment line; lines starting
with `>` answer the form the line before opened.
"""

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import DomainError

_OPTION = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_-]*):(?P<value>.*)$", re.DOTALL)
_NOT_OPTIONS = ("http", "https", "voice", "stage", "mailto")


class ShellInputError(DomainError):
    """A line the shell cannot read (unbalanced quotes, unknown command or option, a bad value)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One command line, split into words."""

    text: str
    words: tuple[str, ...]
    person: str | None = None
    expect_failure: bool = False


def is_answer(text: str) -> bool:
    """Tell whether a script line answers a form (starts with ">")."""
    return text.lstrip().startswith(">")


def answer_text(text: str) -> str:
    """Return the answer on a "> …" line (one space after ">" is dropped)."""
    rest = text.lstrip()[1:]
    return rest[1:] if rest.startswith(" ") else rest


def parse_line(text: str) -> Line | None:
    """Split a line into words; None for blank and comment lines."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    expect_failure = stripped.startswith("!")
    if expect_failure:
        stripped = stripped[1:].lstrip()
    try:
        words = shlex.split(stripped, posix=True)
    except ValueError as error:
        raise ShellInputError(f"Could not read that line ({error}): close every quote you open.") from None
    person = None
    if words and words[0].lower() == "as":
        if len(words) < 2:
            raise ShellInputError("Say who acts: `as NAME COMMAND`, e.g. `as morag /join community:Oban`.")
        person, words = words[1], words[2:]
    return Line(text=text.rstrip("\n"), words=tuple(words), person=person, expect_failure=expect_failure)


@dataclass(frozen=True, slots=True)
class Arguments:
    """A slash command's words split into named options and positional values."""

    named: dict[str, str]
    positional: tuple[str, ...]


def split_options(words: Sequence[str], option_names: Sequence[str]) -> Arguments:
    """Split words after the command path into name:value options (known names only) and positional values.

    A word that looks like an option but names none of the command's options is refused, so a typo is
    never taken as a value; links (https://…) and places (voice:…) stay values.
    """
    known = {name.lower(): name for name in option_names}
    named: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        match = _OPTION.match(word)
        if match is None or match["value"].startswith("//") or match["name"].lower() in _NOT_OPTIONS:
            positional.append(word)
            continue
        name = known.get(match["name"].lower().replace("-", "_")) or known.get(match["name"].lower())
        if name is None:
            offered = ", ".join(option_names) or "none"
            raise ShellInputError(f"This command has no option {match['name']!r} (its options: {offered}).")
        if name in named:
            raise ShellInputError(f"The option {name} is given twice.")
        named[name] = match["value"]
    return Arguments(named, tuple(positional))
