"""Platform-free outbound messages: what Blether wants to say, rendered by each adapter."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


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

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Embed:
    """A card of text (description ≤ 4,096; ≤ 25 fields; 6,000 characters in all on Discord)."""

    title: str | None = None
    description: str | None = None
    url: str | None = None
    colour: int | None = None
    fields: tuple[EmbedField, ...] = ()
    footer: str | None = None
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

    content: str | None = None
    embeds: tuple[Embed, ...] = ()
    buttons: tuple[Button, ...] = ()
    files: tuple[FileAttachment, ...] = ()
    mention_role_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SentMessage:
    """What the platform answered when a message was posted."""

    message_id: int
    channel_id: int
