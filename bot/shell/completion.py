"""Tab completion for the interactive shell: commands, their options and values, people, channels, buttons."""

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from bot.shell.options import Kind, Option

if TYPE_CHECKING:
    from bot.shell.app import Shell

SHELL_VERBS = ("as", "press", "wait", "clock", "help", "people", "channels", "channel", "quit")
WAITS = ("1h", "1d", "next", "until")


class ShellCompleter(Completer):
    """Offer what may come next on a shell line."""

    def __init__(self, shell: "Shell") -> None:
        self._shell = shell

    def _values(self, option: Option) -> list[str]:
        world = self._shell.world
        if option.kind is Kind.CHOICE:
            return [c.value for c in option.choices]
        if option.kind is Kind.BOOLEAN:
            return ["true", "false"]
        if option.kind is Kind.CHANNEL:
            return ["#" + c.name for c in world.channels.values() if not option.channels or c.kind in option.channels]
        if option.kind is Kind.ROLE:
            return ["@" + name for name in world.roles]
        if option.kind is Kind.MEMBER:
            return ["@" + m.name for m in world.members.values()]
        return []

    def get_completions(self, document: Document, _complete_event: CompleteEvent) -> Iterator[Completion]:
        """Yield completions for the word before the cursor."""
        before = document.text_before_cursor.lstrip("! ")
        word = document.get_word_before_cursor(WORD=True)
        words = before.split()
        if word and words:
            words = words[:-1]
        if words and words[0] == "as":
            if len(words) == 1:
                yield from _matching(word, [m.name for m in self._shell.world.members.values()])
                return
            words = words[2:]
        registry = self._shell.registry
        if not words:
            firsts = sorted({"/" + path.split(" ")[0] for path in registry.commands})
            yield from _matching(word, [*firsts, *SHELL_VERBS])
            return
        if words[0] == "wait" and len(words) == 1:
            yield from _matching(word, WAITS)
            return
        if words[0] == "press":
            labels = {b.label for m in self._shell.timeline.messages[-10:] for _, b in m.buttons if not b.disabled}
            yield from _matching(word, sorted(labels))
            return
        group = words[0].lstrip("/")
        if len(words) == 1 and group in registry.groups():
            subs = sorted(p.split(" ", 1)[1] for p in registry.commands if p.startswith(group + " "))
            yield from _matching(word, subs)
            return
        found = registry.find(words)
        if found is None:
            return
        command, _ = found
        if ":" in word:
            name, _, typed = word.partition(":")
            option = next((o for o in command.options if o.name == name), None)
            if option is not None:
                for value in self._values(option):
                    if value.lower().startswith(typed.lower()):
                        yield Completion(f"{name}:{value}", start_position=-len(word))
            return
        given = {w.split(":", 1)[0] for w in words if ":" in w}
        yield from _matching(word, [f"{o.name}:" for o in command.options if o.name not in given])


def _matching(word: str, candidates: Iterable[str]) -> Iterator[Completion]:
    for candidate in candidates:
        if candidate.lower().startswith(word.lower()):
            yield Completion(candidate, start_position=-len(word))
