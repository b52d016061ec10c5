"""Render the core's messages as Matrix events: a plain body and sanitised org.matrix.custom.html, split to fit.

Every piece of text from the core (and so from users) is escaped here; the only tags in the HTML are the
ones written below, and links are written only for http(s) URLs. Times are shown in the programme's zone.
"""

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from bot.core.messages import (
    Button,
    Embed,
    Emphasis,
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
    as_text,
)

# Matrix caps a whole event at 65,536 bytes; keep each message's body + HTML well inside it.
EVENT_CONTENT_BUDGET = 24_000
_TAGS = {
    Emphasis.STRONG: "strong",
    Emphasis.ITALIC: "em",
    Emphasis.STRIKE: "del",
    Emphasis.CODE: "code",
    Emphasis.QUOTE: "blockquote",
    Emphasis.SMALL: "sub",  # small print; Element has no <small>
}


@dataclass(frozen=True, slots=True)
class Names:
    """What the renderer needs to know about ids: Matrix ids of users and rooms, the zone, and now."""

    zone: ZoneInfo
    users: Mapping[int, str]
    rooms: Mapping[int, str]
    now: datetime | None = None


def show_time(when: datetime, style: TimeStyle, names: Names) -> str:
    """Format a moment in the programme's zone (relative times say how far off, then the date)."""
    local = when.astimezone(names.zone)
    zone = local.tzname() or str(names.zone)
    if style is TimeStyle.TIME:
        return f"{local:%H:%M} {zone}"
    if style is TimeStyle.DATE:
        return f"{local.day} {local:%B %Y}"
    if style is TimeStyle.SHORT:
        return f"{local.day} {local:%B %Y %H:%M} {zone}"
    full = f"{local:%A}, {local.day} {local:%B %Y %H:%M} {zone}"
    if style is TimeStyle.RELATIVE and names.now is not None:
        return f"{_relative(when - names.now)} ({full})"
    return full


def _relative(delta) -> str:
    seconds = int(delta.total_seconds())
    future, seconds = seconds >= 0, abs(seconds)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "now"


def _safe_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _span(span: object, names: Names, *, as_html: bool) -> str:
    esc = html.escape if as_html else (lambda s: s)
    if isinstance(span, str):
        return esc(span).replace("\n", "<br>") if as_html else span
    if isinstance(span, Time):
        return esc(show_time(span.when, span.style, names))
    if isinstance(span, Mention):
        if span.kind is MentionKind.USER and span.id in names.users:
            mxid = names.users[span.id]
            if as_html:
                return f'<a href="https://matrix.to/#/{quote(mxid, safe="@:")}">{esc(mxid)}</a>'
            return mxid
        if span.kind is MentionKind.CHANNEL and span.id in names.rooms:
            room = names.rooms[span.id]
            return f'<a href="https://matrix.to/#/{quote(room, safe="!:")}">{esc(room)}</a>' if as_html else room
        if span.kind is MentionKind.ROLE:
            return esc("everyone who asked for reminders")
        return esc("someone")
    if isinstance(span, Link):
        label = span.label or span.url
        if not _safe_url(span.url):
            return esc(label)
        if not as_html:
            return span.url if label == span.url else f"{label} ({span.url})"
        return f'<a href="{html.escape(span.url, quote=True)}">{esc(label)}</a>'
    if isinstance(span, Styled):
        inner = render_text(span.content, names, as_html=as_html)
        if not as_html:
            if span.emphasis is Emphasis.CODE:
                return f"`{inner}`"
            if span.emphasis is Emphasis.QUOTE:
                return "\n".join(f"> {line}" for line in inner.split("\n"))
            return inner
        if span.emphasis is Emphasis.CODE_BLOCK:  # shown as typed: escaped, line breaks kept by <pre>
            return f"<pre><code>{html.escape(span.content.plain())}</code></pre>"
        tag = _TAGS[span.emphasis]
        return f"<{tag}>{inner}</{tag}>"
    raise TypeError(f"unknown span {type(span).__name__}")


def render_text(value: RichText | None, names: Names, *, as_html: bool) -> str:
    """Render rich text as plain text or as escaped HTML."""
    if value is None:
        return ""
    return "".join(_span(span, names, as_html=as_html) for span in as_text(value).spans)


def _embed_blocks(embed: Embed, names: Names) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    if embed.title:
        title_plain = render_text(embed.title, names, as_html=False)
        title_html = render_text(embed.title, names, as_html=True)
        if embed.url and _safe_url(embed.url):
            title_html = f'<a href="{html.escape(embed.url, quote=True)}">{title_html}</a>'
        blocks.append((title_plain, f"<h4>{title_html}</h4>"))
    if embed.description:
        blocks.extend(_paragraphs(embed.description, names))
    for item in embed.fields:
        name_plain = render_text(item.name, names, as_html=False)
        name_html = render_text(item.name, names, as_html=True)
        blocks.append(
            (
                f"{name_plain}\n{render_text(item.value, names, as_html=False)}",
                f"<p><strong>{name_html}</strong><br>{render_text(item.value, names, as_html=True)}</p>",
            )
        )
    if embed.footer:
        blocks.append(
            (
                render_text(embed.footer, names, as_html=False),
                f"<p><em>{render_text(embed.footer, names, as_html=True)}</em></p>",
            )
        )
    return blocks


def _paragraphs(value: RichText, names: Names) -> list[tuple[str, str]]:
    """Split rich text at blank lines so a long text can be cut between paragraphs."""
    blocks: list[tuple[str, str]] = []
    current: list[Span] = []

    def flush() -> None:
        if current:
            part = Text(tuple(current))
            blocks.append((render_text(part, names, as_html=False), f"<p>{render_text(part, names, as_html=True)}</p>"))
            current.clear()

    for span in as_text(value).spans:
        if isinstance(span, str) and "\n\n" in span:
            pieces = span.split("\n\n")
            for index, piece in enumerate(pieces):
                if index:
                    flush()
                if piece:
                    current.append(piece)
        else:
            current.append(span)
    flush()
    return blocks


def _button_blocks(buttons: Iterable[Button]) -> list[tuple[str, str]]:
    links = [b for b in buttons if b.url and _safe_url(b.url)]
    if not links:
        return []
    plain = " · ".join(f"{b.label}: {b.url}" for b in links)
    rich = " · ".join(f'<a href="{html.escape(b.url or "", quote=True)}">{html.escape(b.label)}</a>' for b in links)
    return [(plain, f"<p>{rich}</p>")]


def message_blocks(message: OutboundMessage, names: Names) -> list[tuple[str, str]]:
    """Return a message as (plain, html) blocks in reading order."""
    blocks: list[tuple[str, str]] = []
    if message.content:
        blocks.extend(_paragraphs(message.content, names))
    for embed in message.embeds:
        blocks.extend(_embed_blocks(embed, names))
    blocks.extend(_button_blocks(message.buttons))
    return blocks


def _size(plain: str, rich: str) -> int:
    return len(json.dumps(plain).encode()) + len(json.dumps(rich).encode())


def _cut(plain: str, rich: str, budget: int) -> list[tuple[str, str]]:
    """Cut one over-long block into plain-text pieces (HTML cannot be cut safely mid-tag)."""
    pieces, step = [], max(1, budget // 8)  # json may escape a character into up to 6 bytes (+ html's)
    for start in range(0, len(plain), step):
        chunk = plain[start : start + step]
        pieces.append((chunk, f"<p>{html.escape(chunk)}</p>"))
    return pieces


def split_events(blocks: list[tuple[str, str]], budget: int = EVENT_CONTENT_BUDGET) -> list[tuple[str, str]]:
    """Pack blocks into as few (body, formatted_body) pairs as fit the budget each, keeping their order."""
    events: list[tuple[str, str]] = []
    plain_parts: list[str] = []
    html_parts: list[str] = []
    for plain, rich in blocks:
        pieces = [(plain, rich)] if _size(plain, rich) <= budget else _cut(plain, rich, budget)
        for piece_plain, piece_html in pieces:
            if (
                plain_parts
                and _size("\n\n".join([*plain_parts, piece_plain]), "".join([*html_parts, piece_html])) > budget
            ):
                events.append(("\n\n".join(plain_parts), "".join(html_parts)))
                plain_parts, html_parts = [], []
            plain_parts.append(piece_plain)
            html_parts.append(piece_html)
    if plain_parts:
        events.append(("\n\n".join(plain_parts), "".join(html_parts)))
    return events


def mentioned_numbers(message: OutboundMessage) -> tuple[set[int], set[int]]:
    """Return the user and room numbers a message's text mentions (to look their Matrix ids up first)."""
    users: set[int] = set()
    rooms: set[int] = set()

    def walk(value: RichText | None) -> None:
        if value is None:
            return
        if isinstance(value, str):
            return
        for span in value.spans:
            if isinstance(span, Mention):
                (users if span.kind is MentionKind.USER else rooms).add(span.id)
            elif isinstance(span, Styled):
                walk(span.content)

    walk(message.content)
    for embed in message.embeds:
        for part in (embed.title, embed.description, embed.footer):
            walk(part)
        for item in embed.fields:
            walk(item.name)
            walk(item.value)
    return users, rooms
