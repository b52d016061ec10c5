"""Discover chat-input commands from the fake's synced definitions and build plausible option values."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
TEXT_CHANNEL_TYPES = (0, 5)
DEFAULT_STRING_MAX = 6000  # Discord's own cap on a string option's value

# Values a facilitator might really type, by option name; anything else gets a short word.
PLAUSIBLE_STRINGS: Mapping[str, str] = {
    "timezone": "Europe/London",
    "starts": "2026-10-01 18:30",
    "starting": "2026-10-01",
    "rule": "first Thursday of each month at 18:30",
    "titles": "Welcome, Listening",
    "reminder_offsets": "1d,1h",
    "location": "https://example.org/meet",
    "url": "https://example.org/article",
    "link": "https://example.org/article",
    "channel": "voice",
    "date": "2026-10-01",
    "month": "2026-10",
}
SMALL_CSV = ("sessions.csv", b"number,title,start,duration\n1,Welcome,2026-10-01 18:30,90\n", "text/csv")


@dataclass(frozen=True, slots=True)
class Leaf:
    """One invocable chat-input command: "/group sub" with its options and inherited permissions."""

    path: str
    options: tuple[dict[str, Any], ...]
    default_member_permissions: str | None

    @property
    def facilitator_only(self) -> bool:
        """Tell whether Discord's client hides it by default (how Blether marks facilitator commands)."""
        return self.default_member_permissions is not None

    def string_options(self) -> list[dict[str, Any]]:
        """Return the options a user types freely (strings without fixed choices)."""
        return [o for o in self.options if o.get("type") == STRING and not o.get("choices")]

    def __str__(self) -> str:
        return f"/{self.path}"


def leaves(definitions: list[dict[str, Any]]) -> list[Leaf]:
    """Flatten synced command definitions into their invocable subcommands (chat-input only)."""
    found: list[Leaf] = []
    for command in definitions:
        if command.get("type", 1) != 1:
            continue
        found.extend(_walk(command["name"], command.get("options") or [], command.get("default_member_permissions")))
    return sorted(found, key=lambda leaf: leaf.path)


def _walk(path: str, options: list[dict[str, Any]], perms: str | None) -> Iterator[Leaf]:
    subs = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not subs:
        yield Leaf(path, tuple(options), perms)
        return
    for sub in subs:
        yield from _walk(f"{path} {sub['name']}", sub.get("options") or [], perms)


def clip_to_option(option: Mapping[str, Any], text: str) -> str:
    """Fit text into what Discord would accept for this string option (min/max length)."""
    high = option.get("max_length") or DEFAULT_STRING_MAX
    low = option.get("min_length") or 0
    text = text[:high]
    if len(text) < low:
        text = text + "x" * (low - len(text))
    return text


def plausible_value(fake: Any, option: Mapping[str, Any]) -> Any:
    """Return a value a real user could plausibly send for this option."""
    otype = option.get("type")
    choices = option.get("choices") or []
    if choices:
        return choices[0]["value"]
    if otype == STRING:
        if option.get("autocomplete"):
            return "1"
        return clip_to_option(option, PLAUSIBLE_STRINGS.get(option["name"], "Hello"))
    if otype in (INTEGER, NUMBER):
        low, high = option.get("min_value"), option.get("max_value")
        value = 1 if low is None else low
        return value if high is None else min(value, high)
    if otype == BOOLEAN:
        return False
    if otype in (USER, MENTIONABLE):
        return fake.users.sam
    if otype == ROLE:
        return fake.roles.participant
    if otype == CHANNEL:
        wanted = option.get("channel_types") or TEXT_CHANNEL_TYPES
        for channel in fake.channels:
            if channel.type in wanted:
                return channel
        return fake.channels.general
    if otype == ATTACHMENT:
        return SMALL_CSV
    raise ValueError(f"no plausible value for option type {otype} ({option.get('name')})")


def plausible_options(fake: Any, leaf: Leaf, *, everything: bool = False) -> dict[str, Any]:
    """Return values for the required options (or every option when everything=True)."""
    return {o["name"]: plausible_value(fake, o) for o in leaf.options if everything or o.get("required")}
