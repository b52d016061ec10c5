"""Platform-free outbound messages as data (rich text, cards, buttons); each adapter renders them."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

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
    """How a styled run looks."""

    STRONG = "strong"
    ITALIC = "italic"
    STRIKE = "strike"
    CODE = "code"


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
        spans.extend(as_text(part).spans)
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
