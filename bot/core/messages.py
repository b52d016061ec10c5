"""Platform-free outbound messages as data (rich text, cards, buttons); each adapter renders them."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import overload

# --- Rich text: what the core says, as data -------------------------------------------------------------
# The core never writes platform markup (no markdown, no "<t:…>", no "<@…>", no escaping). It builds Text
# from spans; each adapter renders them: Discord escapes plain spans and writes its own markup, the shell
# prints times in the programme's zone, Matrix writes sanitised HTML.


class TimeStyle(StrEnum):
    """How a moment is shown (Discord's timestamp styles; other adapters format alike)."""

    FULL = "F"  # Thursday, 4 March 2027 18:30
    SHORT = "f"  # 4 March 2027 18:30
    DATE = "D"  # 4 March 2027
    TIME = "t"  # 18:30
    RELATIVE = "R"  # in 3 days


class MentionKind(StrEnum):
    """What a mention points at."""

    USER = "user"
    ROLE = "role"
    CHANNEL = "channel"


class Emphasis(StrEnum):
    """How a styled run looks: inline emphasis, or a block (quote, small print, code block) on its own lines."""

    STRONG = "strong"
    ITALIC = "italic"
    STRIKE = "strike"
    CODE = "code"
    QUOTE = "quote"  # block: every line quoted
    SMALL = "small"  # block: small print (Discord's "-# " subtext)
    CODE_BLOCK = "code_block"  # block: monospaced lines (bar charts), shown as typed


@dataclass(frozen=True, slots=True)
class Time:
    """A moment in time (aware datetime), shown in each reader's or the programme's zone."""

    when: datetime
    style: TimeStyle = TimeStyle.FULL


@dataclass(frozen=True, slots=True)
class Mention:
    """A user, role or channel by platform id; rendering a mention never pings by itself."""

    kind: MentionKind
    id: int


@dataclass(frozen=True, slots=True)
class Link:
    """A link with a label (the label is plain text, escaped by the adapter)."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Styled:
    """A run of text with an emphasis (bold, italic, struck through, code)."""

    emphasis: Emphasis
    content: "Text"


Span = str | Time | Mention | Link | Styled


@dataclass(frozen=True, slots=True)
class Text:
    """Rich text as a sequence of spans; plain str spans are literal text (adapters escape them)."""

    spans: tuple[Span, ...] = ()

    def __add__(self, other: "Text | Span") -> "Text":
        return Text(self.spans + as_text(other).spans)

    def __radd__(self, other: Span) -> "Text":
        return Text(as_text(other).spans + self.spans)

    def __bool__(self) -> bool:
        return any(span for span in self.spans if not isinstance(span, str) or span)

    def plain(self) -> str:
        """Return the text without formatting (times as ISO 8601 UTC): for logs, tests and length checks."""
        return "".join(_plain_span(span) for span in self.spans)

    def join(self, items: "Iterable[Text | Span]") -> "Text":
        """Join items with this text between them (like str.join)."""
        spans: list[Span] = []
        for index, item in enumerate(items):
            if index:
                spans.extend(self.spans)
            spans.extend(as_text(item).spans)
        return Text(tuple(spans))


RichText = Text | str


def text(*parts: "Text | Span") -> Text:
    """Build rich text from strings, times, mentions, links and styled runs."""
    spans: list[Span] = []
    for part in parts:
        spans.extend(span for span in as_text(part).spans if span != "")
    return Text(tuple(spans))


def as_text(value: "Text | Span") -> Text:
    """Return value as Text (a lone str or span becomes a one-span Text)."""
    return value if isinstance(value, Text) else Text((value,))


def strong(*parts: "Text | Span") -> Styled:
    """Return bold text."""
    return Styled(Emphasis.STRONG, text(*parts))


def italic(*parts: "Text | Span") -> Styled:
    """Return italic text."""
    return Styled(Emphasis.ITALIC, text(*parts))


def struck(*parts: "Text | Span") -> Styled:
    """Return struck-through text."""
    return Styled(Emphasis.STRIKE, text(*parts))


def code(value: str) -> Styled:
    """Return inline code (command names, ids)."""
    return Styled(Emphasis.CODE, Text((value,)))


def quote(*parts: "Text | Span") -> Styled:
    """Return a quotation block (every line quoted; starts on a new line)."""
    return Styled(Emphasis.QUOTE, text(*parts))


def small(*parts: "Text | Span") -> Styled:
    """Return small print on its own line(s), such as a reference or a note on why someone gets a message."""
    return Styled(Emphasis.SMALL, text(*parts))


def code_block(value: str) -> Styled:
    """Return lines shown monospaced and exactly as written (e.g. a bar chart of ratings)."""
    return Styled(Emphasis.CODE_BLOCK, Text((value,)))


def user(user_id: int) -> Mention:
    """Mention a user by id."""
    return Mention(MentionKind.USER, user_id)


def role(role_id: int) -> Mention:
    """Mention a role by id."""
    return Mention(MentionKind.ROLE, role_id)


def channel(channel_id: int) -> Mention:
    """Mention a channel by id."""
    return Mention(MentionKind.CHANNEL, channel_id)


def _plain_span(span: Span) -> str:
    if isinstance(span, str):
        return span
    if isinstance(span, Time):
        return span.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(span, Mention):
        return {"user": "@", "role": "@&", "channel": "#"}[span.kind.value] + str(span.id)
    if isinstance(span, Link):
        return f"{span.label} ({span.url})" if span.label and span.label != span.url else span.url
    return span.content.plain()


def plain(value: RichText | None) -> str:
    """Return rich or plain text as a plain string ("" for None)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else value.plain()


def lines(*items: "Text | Span | None") -> Text:
    """Join the non-empty items with line breaks."""
    return Text(("\n",)).join(item for item in items if item)


# --- Length: clipping raw text, and what an adapter's markup may add ---------------------------------------

ELLIPSIS = "…"


def _clip_str(value: str, limit: int) -> str:
    """Cut value to limit characters (ellipsis included) at a word boundary when one is in the second half."""
    budget = limit - len(ELLIPSIS)
    if budget <= 0:
        return ELLIPSIS[:limit]
    head = value[:budget]
    if value[budget] not in " \n":
        space = max(head.rfind(" "), head.rfind("\n"))
        if space > budget // 2:
            head = head[:space]
    return head.rstrip() + ELLIPSIS


def _clip_spans(spans: tuple[Span, ...], room: int) -> tuple[list[Span], bool]:
    """Keep spans within room plain characters; cut the first that does not fit (links, times whole or not at all)."""
    kept: list[Span] = []
    for span in spans:
        size = len(_plain_span(span))
        if size <= room:
            kept.append(span)
            room -= size
            continue
        if isinstance(span, str) and room > 0:
            cut = _clip_str(span, room + len(ELLIPSIS))[: -len(ELLIPSIS)]
            kept.append(cut.rstrip())
        elif isinstance(span, Styled) and room > 0:
            inner, _ = _clip_spans(span.content.spans, room)
            if any(inner):
                kept.append(Styled(span.emphasis, Text(tuple(inner))))
        return kept, True
    return kept, False


@overload
def clip(value: str, limit: int) -> str: ...
@overload
def clip(value: Text | None, limit: int) -> Text: ...
def clip(value: RichText | None, limit: int) -> RichText:
    """Return value cut to limit plain characters with "…" (at a word boundary; nothing escaped).

    Plain str is cut between words when a boundary is in the second half; times, mentions and links are
    kept whole or left out, never cut. Adapters enforce their own limits again after their markup.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if isinstance(value, str):
        return value if len(value) <= limit else _clip_str(value, limit)
    if value is None:
        return Text()
    rich = value
    if len(rich.plain()) <= limit:
        return rich
    if all(isinstance(span, str) for span in rich.spans):
        return Text((_clip_str(rich.plain(), limit),))
    kept, _ = _clip_spans(rich.spans, limit - len(ELLIPSIS))
    while kept and isinstance(kept[-1], str) and not kept[-1].strip():
        kept.pop()
    if kept and isinstance(kept[-1], str):
        kept[-1] = kept[-1].rstrip()
    return Text((*kept, ELLIPSIS))


_TOKEN_ALLOWANCE = 24  # the longest time or mention token: "<@&" + 20 digits + ">"
_BLOCK_ALLOWANCE = 9  # markers around a styled run ("**…**", "```\n…\n```") and a line break before a block
_LINE_ALLOWANCE = 3  # a per-line marker ("> ", "-# ")
_URL_ESCAPED = frozenset('@ <>()"')  # characters an adapter may percent-encode in an address ("%40")


def _escapable(value: str) -> int:
    """Count what escaping may add: one per ASCII punctuation character, two more per "@" or "\\" ("%40", "%5C"
    in an address)."""
    punctuation = sum(1 for char in value if char.isascii() and not char.isalnum() and not char.isspace())
    return punctuation + 2 * (value.count("@") + value.count("\\"))


def markup_size(value: RichText | None) -> int:
    """Return an upper bound of value's length once an adapter has written it with markup.

    Every ASCII punctuation character may need an escape (it counts twice; "@" three times, as "%40" in an
    address), a time or a mention becomes a
    token of at most 24 characters, a link its label and address (each character that may need
    percent-encoding counted three times) with brackets, and emphasis adds its
    markers (3 per line for quotes and small print). The Discord renderer never exceeds it (a test checks),
    so the core can lay long messages out within a platform's limits without knowing its markup.
    """
    if value is None:
        return 0
    total = 0
    for span in as_text(value).spans:
        if isinstance(span, str):
            total += len(span) + _escapable(span)
        elif isinstance(span, Time | Mention):
            total += _TOKEN_ALLOWANCE
        elif isinstance(span, Link):
            address = len(span.url) + 2 * sum(char in _URL_ESCAPED for char in span.url)
            label = span.label.strip()
            total += address if label in ("", span.url) else address + len(label) + _escapable(label) + 4
        else:
            lines = span.content.plain().count("\n") + 1 + 2 * _blocks_within(span.content)
            total += markup_size(span.content) + _BLOCK_ALLOWANCE + _LINE_ALLOWANCE * lines
    return total


_BLOCKS = frozenset({Emphasis.QUOTE, Emphasis.SMALL, Emphasis.CODE_BLOCK})


def _blocks_within(value: Text) -> int:
    """Count the block runs nested in value: each may start and end a line of its own."""
    return sum(
        (span.emphasis in _BLOCKS) + _blocks_within(span.content) for span in value.spans if isinstance(span, Styled)
    )


@overload
def fit(value: str, size: int) -> str: ...
@overload
def fit(value: Text, size: int) -> Text: ...
def fit(value: RichText, size: int) -> RichText:
    """Return value clipped (as clip does) so that its markup_size is at most size: it fits any adapter's limit."""
    if markup_size(value) <= size:
        return value
    low, high = 1, max(1, len(plain(value)))
    while low < high:  # the longest clip that fits
        middle = (low + high + 1) // 2
        if markup_size(clip(value, middle)) <= size:
            low = middle
        else:
            high = middle - 1
    return clip(value, low)


# --- Storage: rich text as JSON (facilitator notices wait in the deliveries table) -------------------------


def text_to_data(value: RichText) -> list[object]:
    """Return rich text as JSON-ready data (see text_from_data)."""
    data: list[object] = []
    for span in as_text(value).spans:
        if isinstance(span, str):
            data.append(span)
        elif isinstance(span, Time):
            data.append({"time": span.when.astimezone(UTC).isoformat(), "style": span.style.value})
        elif isinstance(span, Mention):
            data.append({"mention": span.kind.value, "id": span.id})
        elif isinstance(span, Link):
            data.append({"link": span.url, "label": span.label})
        else:
            data.append({"emphasis": span.emphasis.value, "content": text_to_data(span.content)})
    return data


def text_from_data(data: object) -> Text:
    """Return the rich text text_to_data stored (a plain string is literal text)."""
    if isinstance(data, str):
        return Text((data,))
    spans: list[Span] = []
    for item in data if isinstance(data, list) else ():
        if isinstance(item, str):
            spans.append(item)
        elif isinstance(item, dict) and "time" in item:
            spans.append(Time(datetime.fromisoformat(str(item["time"])), TimeStyle(item.get("style", "F"))))
        elif isinstance(item, dict) and "mention" in item:
            spans.append(Mention(MentionKind(item["mention"]), int(item["id"])))
        elif isinstance(item, dict) and "link" in item:
            spans.append(Link(str(item.get("label", "")), str(item["link"])))
        elif isinstance(item, dict) and "emphasis" in item:
            spans.append(Styled(Emphasis(item["emphasis"]), text_from_data(item.get("content", []))))
    return Text(tuple(spans))


# --- Messages ---------------------------------------------------------------------------------------------


class ButtonStyle(StrEnum):
    """How a button looks; adapters map these to their own styles."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class EmbedField:
    """A named block inside an embed (name ≤ 256, value ≤ 1,024 characters on Discord)."""

    name: RichText
    value: RichText
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Embed:
    """A card of text (description ≤ 4,096; ≤ 25 fields; 6,000 characters in all on Discord)."""

    title: RichText | None = None
    description: RichText | None = None
    url: str | None = None
    colour: int | None = None
    fields: tuple[EmbedField, ...] = ()
    footer: RichText | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button; custom_id for actions (≤ 100 characters), url for links."""

    label: str
    custom_id: str | None = None
    url: str | None = None
    style: ButtonStyle = ButtonStyle.SECONDARY
    disabled: bool = False
    emoji: str | None = None


@dataclass(frozen=True, slots=True)
class FileAttachment:
    """A file to attach (e.g. an .ics calendar, a CSV export or a chart)."""

    filename: str
    data: bytes
    description: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to post. Nobody is pinged except the roles named in mention_role_ids."""

    content: RichText | None = None
    embeds: tuple[Embed, ...] = ()
    buttons: tuple[Button, ...] = ()
    files: tuple[FileAttachment, ...] = ()
    mention_role_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SentMessage:
    """What the platform answered when a message was posted."""

    message_id: int
    channel_id: int
