"""Render the core's messages for a terminal: rich text, embeds as boxed text, buttons numbered.

Times show in the programme's zone ("Thu 4 Mar 2027 18:30 GMT"; relative ones against the simulated
clock), mentions as @name / #channel from the shell's world, links as "label <url>", emphasis plainly.
With colour off (scripts, pipes, NO_COLOR) the output is plain text and deterministic.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.messages import (
    Button,
    Embed,
    Link,
    Mention,
    MentionKind,
    OutboundMessage,
    RichText,
    Span,
    Styled,
    Text,
    Time,
    TimeStyle,
)

DEFAULT_WIDTH = 100
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
BLOCKS = frozenset({"quote", "small", "code_block"})
"""Emphases (by value) that take whole lines: a quotation, small print, a code block shown as typed."""

BOLD, DIM, ITALIC, STRIKE = "1", "2", "3", "9"
CYAN, GREEN, YELLOW, RED, MAGENTA = "36", "32", "33", "31", "35"


class Names(Protocol):
    """Tell the shell's names of users, roles and channels."""

    def user_name(self, user_id: int) -> str:
        """Return a user's name."""
        ...

    def role_name(self, role_id: int) -> str:
        """Return a role's name."""
        ...

    def channel_name(self, channel_id: int) -> str:
        """Return a channel's name."""
        ...


@dataclass(frozen=True, slots=True)
class Palette:
    """ANSI colours when on, nothing when off."""

    colour: bool = False

    def paint(self, value: str, *codes: str) -> str:
        """Wrap value in the given SGR codes (unchanged without colour)."""
        if not self.colour or not codes or not value:
            return value
        return f"\x1b[{';'.join(codes)}m{value}\x1b[0m"


def visible_len(value: str) -> int:
    """Return the length of value without ANSI codes."""
    return len(_ANSI.sub("", value))


def wrap(line: str, width: int) -> list[str]:
    """Wrap one line at spaces to width visible characters (words longer than width stay whole)."""
    if visible_len(line) <= width:
        return [line]
    lead = line[: len(line) - len(line.lstrip(" "))]
    words = line.strip(" ").split(" ")
    lines: list[str] = []
    current = lead
    for word in words:
        candidate = word if current == lead else f"{current[len(lead) :]} {word}"
        if current != lead and visible_len(lead + candidate) > width:
            lines.append(current)
            current = lead + word
        else:
            current = lead + candidate
    lines.append(current)
    return lines


def relative(when: datetime, now: datetime) -> str:
    """Say how far when is from now, like Discord's relative timestamps ("in 3 days", "2 hours ago")."""
    seconds = (when - now).total_seconds()
    future = seconds > 0  # the very moment (a simulated clock often stands on it) is already past
    seconds = abs(seconds)
    if seconds < 45:
        amount = "a few seconds"
    else:
        for unit, size, limit in (
            ("minute", 60, 45 * 60),
            ("hour", 3600, 22 * 3600),
            ("day", 86400, 26 * 86400),
            ("month", 30.44 * 86400, 320 * 86400),
            ("year", 365.25 * 86400, float("inf")),
        ):
            if seconds < limit:
                count = max(1, round(seconds / size))
                amount = f"{count} {unit}{'s' if count != 1 else ''}"
                break
    return f"in {amount}" if future else f"{amount} ago"


def format_time(when: datetime, style: TimeStyle, zone: ZoneInfo, now: datetime) -> str:
    """Format a moment in zone: FULL "Thu 4 Mar 2027 18:30 GMT", SHORT "4 Mar 2027 18:30 GMT", DATE, TIME, RELATIVE."""
    if style is TimeStyle.RELATIVE:
        return relative(when, now)
    local = when.astimezone(zone)
    date = f"{local.day} {local:%b %Y}"
    clock = f"{local:%H:%M} {local.tzname()}"
    if style is TimeStyle.FULL:
        return f"{local:%a} {date} {clock}"
    if style is TimeStyle.SHORT:
        return f"{date} {clock}"
    if style is TimeStyle.DATE:
        return f"{local:%a} {date}"
    return clock


def as_rich(value: RichText) -> Text:
    """Return value as Text (a plain str is literal text: the core writes no markup)."""
    return value if isinstance(value, Text) else Text((value,))


class Renderer:
    """Turn the core's rich text, embeds and messages into terminal lines."""

    def __init__(
        self,
        *,
        names: Names,
        zone: Callable[[], ZoneInfo],
        now: Callable[[], datetime],
        colour: bool = False,
        width: int = DEFAULT_WIDTH,
    ) -> None:
        self._names = names
        self._zone = zone
        self._now = now
        self.palette = Palette(colour)
        self.width = width

    # -- inline text -----------------------------------------------------------------------------

    def time(self, when: datetime, style: TimeStyle = TimeStyle.FULL) -> str:
        """Format a moment in the programme's zone."""
        return format_time(when, style, self._zone(), self._now())

    def inline(self, value: RichText | None) -> str:
        """Render rich or plain text as one string (newlines kept)."""
        if value is None:
            return ""
        return self._spans(as_rich(value).spans)

    def _spans(self, spans: tuple[Span, ...]) -> str:
        """Join rendered spans; a block (quote, small print, code block) takes whole lines of its own."""
        out = ""
        after_block = False
        for span in spans:
            block = isinstance(span, Styled) and span.emphasis.value in BLOCKS
            piece = self._span(span)
            if (block or after_block) and out and not out.endswith("\n") and not piece.startswith("\n"):
                out += "\n"
            out += piece
            after_block = block
        return out

    def _span(self, span: Span) -> str:
        paint = self.palette.paint
        if isinstance(span, str):
            return span
        if isinstance(span, Time):
            return paint(self.time(span.when, span.style), GREEN)
        if isinstance(span, Mention):
            if span.kind is MentionKind.USER:
                return paint("@" + self._names.user_name(span.id), CYAN)
            if span.kind is MentionKind.ROLE:
                return paint("@" + self._names.role_name(span.id), CYAN)
            return paint("#" + self._names.channel_name(span.id), CYAN)
        if isinstance(span, Link):
            label = span.label.strip()
            if not label or label == span.url:
                return paint(span.url, CYAN)
            return f"{label} {paint('<' + span.url + '>', CYAN)}"
        inner = self._spans(span.content.spans)
        kind = span.emphasis.value
        if kind == "quote":
            return "\n".join(f"> {part}" if part else ">" for part in inner.split("\n"))
        codes = {"strong": BOLD, "italic": ITALIC, "strike": STRIKE, "code": MAGENTA, "small": DIM}
        return "\n".join(paint(part, *((codes[kind],) if kind in codes else ())) for part in inner.split("\n"))

    def block(self, value: RichText | None, *, prefix: str = "", indent: str = "") -> list[str]:
        """Render text as wrapped lines, each starting with prefix (continuations also with indent)."""
        rendered = self.inline(value)
        if not rendered:
            return []
        lines: list[str] = []
        for raw in rendered.split("\n"):
            quoted = raw.startswith("> ")  # a quotation keeps its marker on every wrapped line
            body, lead = (raw[2:], "> ") if quoted else (raw, "")
            width = max(20, self.width - visible_len(prefix) - len(indent) - len(lead))
            for number, piece in enumerate(wrap(body, width)):
                lines.append((prefix + (indent if number else "") + lead + piece).rstrip())
        return lines

    # -- embeds and messages ---------------------------------------------------------------------

    def embed(self, embed: Embed, *, margin: str = "") -> list[str]:
        """Render an embed as a box open on the right (no widths to get wrong with emoji)."""
        paint = self.palette.paint
        bar = margin + paint("│", DIM) + " "
        title = self.inline(embed.title).replace("\n", " ")
        lines = [margin + paint("╭─", DIM) + (" " + paint(title, BOLD) if title else "")]
        if embed.url:
            lines.append(bar + paint(embed.url, CYAN))
        lines += self.block(embed.description, prefix=bar)
        for field in embed.fields:
            name = self.inline(field.name).replace("\n", " ")
            value = self.inline(field.value)
            if field.inline and "\n" not in value:
                lines += self.block(Text((f"{name}: ", value)), prefix=bar, indent="  ")
            else:
                lines.append(bar + paint(name, BOLD))
                lines += self.block(Text((value,)), prefix=bar + "  ")
        footer = self.inline(embed.footer)
        if embed.timestamp is not None:
            footer = " · ".join(p for p in (footer, self.time(embed.timestamp, TimeStyle.SHORT)) if p)
        if footer:
            lines += [paint(line, DIM) for line in self.block(Text((footer,)), prefix=bar)]
        lines.append(margin + paint("╰" + "─" * 40, DIM))
        return lines

    def buttons(self, numbered: Sequence[tuple[int, Button]], *, margin: str = "") -> list[str]:
        """Render buttons as "[1] 📅 Add to calendar" (disabled ones say so; links show their address)."""
        parts = []
        for number, button in numbered:
            label = f"{button.emoji} {button.label}" if button.emoji else button.label
            if button.url:
                label += f" <{button.url}>"
            if button.disabled:
                parts.append(self.palette.paint(f"[{number}] {label} (disabled)", DIM))
            else:
                parts.append(self.palette.paint(f"[{number}]", BOLD, YELLOW) + f" {label}")
        return [line.rstrip() for line in wrap(margin + "   ".join(parts), self.width)] if parts else []

    def message(
        self,
        message: OutboundMessage,
        *,
        buttons: Sequence[tuple[int, Button]] = (),
        files: Iterable[str] = (),
        margin: str = "",
    ) -> list[str]:
        """Render a whole message: content, embeds, numbered buttons and written files."""
        lines = self.block(message.content, prefix=margin)
        for embed in message.embeds:
            lines += self.embed(embed, margin=margin)
        lines += self.buttons(buttons, margin=margin)
        lines += [margin + f"📎 wrote {path}" for path in files]
        return lines
