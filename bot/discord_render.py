"""Render the core's rich text and messages for Discord: escaping, markup, timestamps, mentions and limits.

The core writes no markup (bot.core.messages): a plain str span is literal text. Here, and only here, it is
cleaned (control, zero-width and bidi characters removed) and escaped (markdown, @everyone/@here and the
openers of <@…>, <#…>, <t:…> and emoji tokens), times become <t:UNIX:STYLE>, mentions <@id>/<@&id>/<#id>,
links masked links and emphasis markdown. Limits are enforced after escaping and only between units (an
escaped character, a token, a link, a marker), so a cut never splits an escape, a timestamp or a link, and
an opened ** or ` is always closed. Footers show no markdown on Discord, so they are written plain.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from bot.core.messages import (
    ELLIPSIS,
    Embed,
    Emphasis,
    Link,
    Mention,
    MentionKind,
    OutboundMessage,
    RichText,
    Span,
    Styled,
    Time,
    TimeStyle,
    as_text,
)
from bot.core.text import clean_text, is_hidden

log = logging.getLogger(__name__)

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
EMBED_COUNT_LIMIT = 10
BLANK = "\u200b"
"""Shown for a field name or value that renders empty (Discord refuses empty ones)."""

ZWSP = "\u200b"
# Markdown characters that Discord renders anywhere in a line; a backslash before ASCII punctuation shows it.
_ESCAPE_ANYWHERE = frozenset("\\*_~`|[]")
# A web address in literal text: Discord links it as typed, so it is written unescaped (a backslash would
# become part of the address). Sentence punctuation after it, and an unmatched ")", stay outside.
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\"”’»*_~|"
_MASS_MENTION = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
# "<" opening a mention, channel, role, timestamp, emoji or command token: <@1>, <#2>, <t:3>, <:e:4>, </c:5>.
_TOKEN_OPENER = re.compile(r"<(?=[@#:/]|[ta]:|id:)", re.IGNORECASE)
_URL_UNSAFE = {" ": "%20", "<": "%3C", ">": "%3E", "(": "%28", ")": "%29", '"': "%22"}
_MENTION_TOKENS = {MentionKind.USER: "<@{}>", MentionKind.ROLE: "<@&{}>", MentionKind.CHANNEL: "<#{}>"}
_MENTION_PLAIN = {MentionKind.USER: "@{}", MentionKind.ROLE: "@{}", MentionKind.CHANNEL: "#{}"}


class Mode(Enum):
    """Where text goes: markdown (content, descriptions, field values), one line (titles, field names), plain."""

    MARKDOWN = "markdown"
    INLINE = "inline"
    PLAIN = "plain"


class _Kind(Enum):
    CHAR = 1  # an escaped character; a cut may fall before or after it
    ATOM = 2  # a token, link or line marker: whole or not at all
    OPEN = 3  # an opening marker whose closer is added when the text is cut inside it
    CLOSE = 4


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    kind: _Kind = _Kind.CHAR
    closer: str = ""

    @property
    def is_space(self) -> bool:
        return self.kind is _Kind.CHAR and self.text in (" ", "\n")


def _strip_hidden(value: str) -> str:
    """Remove control, format and other invisible characters (keeping line breaks; tabs become spaces)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return "".join(" " if char == "\t" else char for char in value if char in "\n\t" or not is_hidden(char))


def _ascii_word(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def timestamp(when: datetime, style: TimeStyle | str = TimeStyle.FULL) -> str:
    """Return Discord's timestamp markup (<t:UNIX:STYLE>), shown in each reader's own time zone."""
    return f"<t:{int(when.timestamp())}:{TimeStyle(style).value}>"


def _plain_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _url_ends(value: str) -> dict[int, int]:
    """Return {start: end} of each web address in value (trailing punctuation excluded)."""
    found = {}
    for match in _URL.finditer(value):
        url = match.group(0)
        while url and (url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        if len(url) > len("https://"):
            found[match.start()] = match.start() + len(url)
    return found


def safe_url(url: str) -> str:
    """Return a link address that cannot break out of markup or spell a mass mention (same address)."""
    url = "".join(char for char in url if not is_hidden(char) and char != "\n")
    url = _MASS_MENTION.sub("%40", url)
    return "".join(_URL_UNSAFE.get(char, char) for char in url)


class _Writer:
    """Turn spans into units, tracking what escaping depends on (line starts, code, block prefixes)."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.units: list[_Unit] = []
        self.line_start = True
        self.prefixes: list[str] = []
        self.code = False
        self.code_inline = False

    # -- spans --------------------------------------------------------------------------------------

    def spans(self, spans: tuple[Span, ...]) -> None:
        merged: list[Span] = []
        for span in spans:
            if isinstance(span, str) and merged and isinstance(merged[-1], str):
                merged[-1] += span
            elif not (isinstance(span, str) and not span):
                merged.append(span)
        for index, span in enumerate(merged):
            following = merged[index + 1] if index + 1 < len(merged) else None
            self.span(span, following)

    def span(self, span: Span, following: Span | None) -> None:
        if isinstance(span, str):
            self.literal(span)
        elif isinstance(span, Time):
            self.time(span)
        elif isinstance(span, Mention):
            self.mention(span)
        elif isinstance(span, Link):
            self.link(span)
        else:
            self.styled(span, following)

    def atom(self, text: str) -> None:
        if text:
            self.units.append(_Unit(text, _Kind.ATOM))
            self.line_start = False

    def time(self, span: Time) -> None:
        if self.mode is Mode.MARKDOWN and not self.code:
            self.atom(timestamp(span.when, span.style))
        else:
            self.atom(_plain_time(span.when))

    def mention(self, span: Mention) -> None:
        table = _MENTION_PLAIN if self.mode is Mode.PLAIN or self.code else _MENTION_TOKENS
        self.atom(table[span.kind].format(span.id))

    def link(self, span: Link) -> None:
        url = safe_url(span.url)
        label = span.label.strip()
        if not label or label == span.url:
            self.atom(url)
        elif self.mode is Mode.MARKDOWN and not self.code:
            self.atom(f"[{escape_fragment(label)}]({url})")
        elif self.mode is Mode.INLINE and not self.code:
            self.atom(f"{escape_fragment(label)} ({url})")
        else:
            self.atom(f"{_strip_hidden(label)} ({url})")

    # -- literal text -------------------------------------------------------------------------------

    def newline(self) -> None:
        if self.mode is Mode.INLINE or self.code_inline:
            self.char(" ")
            return
        self.units.append(_Unit("\n"))
        self.line_start = True
        if self.prefixes and self.mode is Mode.MARKDOWN:
            self.units.append(_Unit("".join(self.prefixes), _Kind.ATOM))

    def char(self, text: str) -> None:
        self.units.append(_Unit(text))
        if text.strip():
            self.line_start = False

    def literal(self, value: str) -> None:
        value = _strip_hidden(value)
        mass = {m.start() for m in _MASS_MENTION.finditer(value)}  # defused everywhere, even where nothing pings
        if self.mode is Mode.PLAIN or self.code:
            for index, char in enumerate(value):
                if char == "\n":
                    self.units.append(_Unit("\n")) if self.mode is Mode.PLAIN else self.newline()
                elif index in mass:
                    self.char(char + ZWSP)
                else:
                    self.char("ˋ" if self.code and char == "`" else char)
            return
        openers = {m.start() for m in _TOKEN_OPENER.finditer(value)}
        urls = _url_ends(value)
        index = 0
        while index < len(value):
            char = value[index]
            after = value[index + 1] if index + 1 < len(value) else ""
            if index in urls:
                # An address is written as typed, but "@here" cannot ping and a backslash cannot escape what follows.
                self.atom(_MASS_MENTION.sub("%40", value[index : urls[index]]).replace("\\", "%5C"))
                index = urls[index]
                continue
            if char == "\n":
                self.newline()
            elif index in mass or index in openers:
                self.char(char + ZWSP)  # "@\u200beveryone" and "<\u200b@123>" read as typed but never ping
            elif char in _ESCAPE_ANYWHERE or (self.line_start and self._starts_block(char, after)):
                self.char("\\" + char)
            else:
                self.char(char)
            index += 1

    @staticmethod
    def _starts_block(char: str, after: str) -> bool:
        """Tell whether char at a line start would begin a quote, heading, subtext or list item."""
        if char == ">":
            return True
        if char == "#":
            return after in ("", "#", " ")
        if char in "-+":
            return after in ("", " ", "#")
        return False

    # -- emphasis -----------------------------------------------------------------------------------

    def styled(self, span: Styled, following: Span | None) -> None:
        if not span.content:
            return
        emphasis = span.emphasis
        if self.mode is Mode.PLAIN or (self.code and emphasis is not Emphasis.CODE_BLOCK):
            self.spans(span.content.spans)
            return
        if emphasis in (Emphasis.QUOTE, Emphasis.SMALL, Emphasis.CODE_BLOCK) and self.mode is Mode.INLINE:
            self.spans(span.content.spans)
            return
        if emphasis is Emphasis.QUOTE or emphasis is Emphasis.SMALL:
            self.block(span, "> " if emphasis is Emphasis.QUOTE else "-# ", following)
        elif emphasis is Emphasis.CODE_BLOCK:
            self.code_block(span, following)
        elif emphasis is Emphasis.CODE:
            self.inline_code(span)
        else:
            self.inline(span, following)

    def inline(self, span: Styled, following: Span | None) -> None:
        if span.emphasis is Emphasis.STRONG:
            marker = "**"
        elif span.emphasis is Emphasis.STRIKE:
            marker = "~~"
        else:
            # "_" closes emphasis only before a non-word character; before a letter use "*".
            marker = "*" if _ascii_word(_first_char(following)) else "_"
        self.units.append(_Unit(marker, _Kind.OPEN, marker))
        self.spans(span.content.spans)
        self._close()
        self.line_start = False

    def _close(self) -> None:
        depth = 0
        for unit in reversed(self.units):
            if unit.kind is _Kind.CLOSE:
                depth += 1
            elif unit.kind is _Kind.OPEN:
                if depth == 0:
                    if self.units[-1] is unit:  # nothing inside: drop the marker
                        self.units.pop()
                    else:
                        self.units.append(_Unit(unit.closer, _Kind.CLOSE))
                    return
                depth -= 1

    def inline_code(self, span: Styled) -> None:
        self.units.append(_Unit("`", _Kind.OPEN, "`"))
        was_code, was_inline = self.code, self.code_inline
        self.code, self.code_inline = True, True
        self.spans(span.content.spans)
        self.code, self.code_inline = was_code, was_inline
        self._close()
        self.line_start = False

    def _own_line(self) -> None:
        while self.units and self.units[-1].text == " ":
            self.units.pop()
        if self.units and not (self.units[-1].text == "\n" or self.line_start):
            self.units.append(_Unit("\n"))
        self.line_start = True

    def _end_line(self, following: Span | None) -> None:
        if following is not None and _first_char(following) != "\n":
            self.units.append(_Unit("\n"))
            self.line_start = True

    def block(self, span: Styled, prefix: str, following: Span | None) -> None:
        self._own_line()
        self.prefixes.append(prefix)
        self.units.append(_Unit("".join(self.prefixes), _Kind.ATOM))
        self.line_start = True
        self.spans(span.content.spans)
        self.prefixes.pop()
        self._end_line(following)

    def code_block(self, span: Styled, following: Span | None) -> None:
        self._own_line()
        self.units.append(_Unit("```\n", _Kind.OPEN, "\n```"))
        was_code, was_inline = self.code, self.code_inline
        self.code, self.code_inline = True, False
        self.spans(span.content.spans)
        self.code, self.code_inline = was_code, was_inline
        self._close()
        self._end_line(following)


def _first_char(span: Span | None) -> str:
    if span is None:
        return ""
    if isinstance(span, str):
        return span[:1]
    if isinstance(span, Styled):
        return _first_char(span.content.spans[0]) if span.content.spans else ""
    return "<"  # a token or link


def _fit(units: list[_Unit], limit: int) -> str:
    """Join units; when longer than limit, cut between units (at a word when possible), close markers, add "…"."""
    if sum(len(u.text) for u in units) <= limit:
        return "".join(u.text for u in units)
    budget = limit - len(ELLIPSIS)
    if budget <= 0:
        return ELLIPSIS[:limit]
    costs = [0]  # costs[end]: the length of units[:end] with the closers of the markers still open there
    used = 0
    closers: list[str] = []
    for unit in units:
        if unit.kind is _Kind.OPEN:
            closers.append(unit.closer)
        elif unit.kind is _Kind.CLOSE and closers:
            closers.pop()
        used += len(unit.text)
        if used > budget:
            break
        costs.append(used + sum(len(c) for c in closers))
    best = max(end for end, cost in enumerate(costs) if cost <= budget)
    boundary = best
    while boundary > 0 and not (units[boundary - 1].is_space or units[boundary].is_space):
        boundary -= 1
    if boundary > best // 2:
        best = boundary
    kept = units[:best]
    while kept and (kept[-1].is_space or kept[-1].kind is _Kind.OPEN or kept[-1].text.endswith(" ")):
        kept.pop()  # trailing blanks, empty openers and bare line markers ("> ") go
    return "".join(u.text for u in kept) + ELLIPSIS + "".join(reversed(_open_closers(kept)))


def _open_closers(units: list[_Unit]) -> list[str]:
    stack: list[str] = []
    for unit in units:
        if unit.kind is _Kind.OPEN:
            stack.append(unit.closer)
        elif unit.kind is _Kind.CLOSE and stack:
            stack.pop()
    return stack


def render(value: RichText | None, limit: int = CONTENT_LIMIT, *, mode: Mode = Mode.MARKDOWN) -> str:
    """Return value written for Discord within limit characters (counted after escaping)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if value is None:
        return ""
    writer = _Writer(mode)
    writer.spans(as_text(value).spans)
    units = writer.units
    while units and units[-1].is_space:
        units.pop()
    while units and units[0].is_space:
        units.pop(0)
    return _fit(units, limit)


def escape_fragment(value: str) -> str:
    """Escape literal text that sits inside other markup (a link label): no line-start rules, no limit."""
    writer = _Writer(Mode.INLINE)
    writer.line_start = False
    writer.literal(value)
    return "".join(u.text for u in writer.units)


def sanitise_inline(value: str | None, limit: int) -> str:
    """Return user text for one line of a message: cleaned, whitespace collapsed, escaped, ≤ limit characters."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not value:
        return ""
    return render(clean_text(value, keep_newlines=False), limit, mode=Mode.INLINE)


def sanitise_block(value: str | None, limit: int) -> str:
    """Like sanitise_inline, but keep line breaks (at most one blank line in a row)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not value:
        return ""
    return render(clean_text(value, keep_newlines=True), limit)


# -- embeds and messages ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenderedField:
    """An embed field as Discord receives it."""

    name: str
    value: str
    inline: bool


@dataclass(frozen=True, slots=True)
class RenderedEmbed:
    """An embed as Discord receives it (every text within its limit and 6,000 characters in all)."""

    title: str | None
    description: str | None
    url: str | None
    colour: int | None
    fields: tuple[RenderedField, ...]
    footer: str | None
    timestamp: datetime | None

    def __len__(self) -> int:
        return (
            len(self.title or "")
            + len(self.description or "")
            + len(self.footer or "")
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def text(self) -> str:
        """Return every text of the embed, one per line (for logs and tests)."""
        parts = [self.title or "", self.description or ""]
        parts += [f"{f.name}\n{f.value}" for f in self.fields]
        parts.append(self.footer or "")
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A message as Discord receives it (content ≤ 2,000; ≤ 10 embeds with 6,000 characters in all)."""

    content: str | None
    embeds: tuple[RenderedEmbed, ...]

    def text(self) -> str:
        """Return the content and every embed text (for logs and tests)."""
        return "\n".join(p for p in [self.content or "", *(e.text() for e in self.embeds)] if p)


def _optional(value: RichText | None, limit: int, mode: Mode = Mode.MARKDOWN) -> str | None:
    return render(value, limit, mode=mode) or None if value is not None else None


def render_embed(embed: Embed, *, room: int = EMBED_TOTAL_LIMIT) -> RenderedEmbed:
    """Render an embed within Discord's limits; over room characters in all, drop last fields, then cut text."""
    title = _optional(embed.title, TITLE_LIMIT, Mode.INLINE)
    footer = _optional(embed.footer, FOOTER_LIMIT, Mode.PLAIN)
    if len(title or "") + len(footer or "") > room:
        footer = None
        title = _optional(embed.title, room, Mode.INLINE) if room > 0 else None
    fixed = len(title or "") + len(footer or "")
    fields = [
        RenderedField(
            render(f.name, FIELD_NAME_LIMIT, mode=Mode.INLINE) or BLANK,
            render(f.value, FIELD_VALUE_LIMIT) or BLANK,
            f.inline,
        )
        for f in embed.fields[:FIELD_COUNT_LIMIT]
    ]
    if len(embed.fields) > FIELD_COUNT_LIMIT:
        log.warning("Embed %r has %d fields; the last ones were left out", title, len(embed.fields))
    description = _optional(embed.description, DESCRIPTION_LIMIT)
    while fields and fixed + len(description or "") + sum(len(f.name) + len(f.value) for f in fields) > room:
        fields.pop()
        log.warning("Embed %r is over %d characters; a field was left out", title, room)
    left = room - fixed - sum(len(f.name) + len(f.value) for f in fields)
    if description is not None and len(description) > left:
        description = _optional(embed.description, left) if left > 0 else None
    return RenderedEmbed(
        title=title,
        description=description,
        url=safe_url(embed.url) if embed.url else None,
        colour=embed.colour,
        fields=tuple(fields),
        footer=footer,
        timestamp=embed.timestamp,
    )


def render_embeds(embeds: tuple[Embed, ...] | list[Embed]) -> tuple[RenderedEmbed, ...]:
    """Render up to 10 embeds sharing Discord's 6,000 characters per message (later ones give way)."""
    rendered: list[RenderedEmbed] = []
    used = 0
    for embed in list(embeds)[:EMBED_COUNT_LIMIT]:
        room = EMBED_TOTAL_LIMIT - used
        if room <= 0:
            log.warning("A message's embeds are over %d characters; the last ones were left out", EMBED_TOTAL_LIMIT)
            break
        result = render_embed(embed, room=room)
        if not (result.title or result.description or result.fields):
            continue
        rendered.append(result)
        used += len(result)
    return tuple(rendered)


def render_message(message: OutboundMessage) -> RenderedMessage:
    """Render a message's content and embeds for Discord."""
    return RenderedMessage(
        content=_optional(message.content, CONTENT_LIMIT),
        embeds=render_embeds(message.embeds),
    )


__all__ = [
    "CONTENT_LIMIT",
    "DESCRIPTION_LIMIT",
    "EMBED_TOTAL_LIMIT",
    "FIELD_NAME_LIMIT",
    "FIELD_VALUE_LIMIT",
    "FOOTER_LIMIT",
    "TITLE_LIMIT",
    "Mode",
    "RenderedEmbed",
    "RenderedMessage",
    "render",
    "render_embed",
    "render_embeds",
    "render_message",
    "sanitise_block",
    "sanitise_inline",
    "timestamp",
]
