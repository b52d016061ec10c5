"""What an issue contains, as structured data, and its JSON snapshot (content + rendered messages).

Text here is tidy user text, not escaped: each renderer (Discord, Markdown, HTML) escapes for its medium.
author_id is kept on every entry that carries someone's words, so erasure can find and drop them later.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.messages import (
    Button,
    ButtonStyle,
    Embed,
    EmbedField,
    OutboundMessage,
    RichText,
    Text,
    text_from_data,
    text_to_data,
)
from bot.core.reflections.domain import SessionRecap

STORY_REDACTED = "(This story was removed after the programme's data retention period.)"
"""What a published Flash Report shows instead of a story whose text passed the retention period."""
SNAPSHOT_VERSION = 2
"""2: messages hold rich text (spans as data). Version 1 held Discord markup; such messages are rendered again."""
MIN_RATINGS = 5
MAX_QUOTES = 3
_QUOTE_MARKS = "“”\"'"


@dataclass(frozen=True, slots=True)
class RecapQuote:
    """An anonymous quote from a reflection whose author agreed to be quoted."""

    text: str
    author_id: int | None = None


@dataclass(frozen=True, slots=True)
class Recap:
    """The last session in numbers. average_rating is shown only when rating_count ≥ MIN_RATINGS."""

    session_number: int | None
    session_title: str
    attendance: int
    reflections: int
    rating_count: int = 0
    average_rating: float | None = None
    quotes: tuple[RecapQuote, ...] = ()

    @property
    def shows_rating(self) -> bool:
        """Tell whether enough people rated the session for the average to be shown."""
        return self.average_rating is not None and self.rating_count >= MIN_RATINGS


def unquote(shown: str) -> str:
    """Return a reflections quote without its quotation marks (quotes are literal text, never escaped)."""
    text = shown.strip()
    if len(text) >= 2 and text[0] in _QUOTE_MARKS and text[-1] in _QUOTE_MARKS:
        text = text[1:-1]
    return text


def recap_from_reflections(source: SessionRecap) -> Recap:
    """Convert the reflections feature's session recap into the Flash Report's Recap."""
    authors = tuple(source.quoted_user_ids)
    quotes = tuple(
        RecapQuote(unquote(text), authors[index] if index < len(authors) else None)
        for index, text in enumerate(source.quotes)
    )
    return Recap(
        session_number=source.session_number or None,
        session_title=source.session_title,
        attendance=source.attendance_count,
        reflections=source.reflections_count,
        rating_count=source.rating_count,
        average_rating=source.average_rating,
        quotes=quotes,
    )


@dataclass(frozen=True, slots=True)
class NextSession:
    """The next session: when and where (location_kind is url, voice, stage or none)."""

    number: int | None
    title: str
    starts_at: datetime
    location_kind: str = "none"
    location_url: str | None = None
    location_channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class ResourceEntry:
    """A shared resource as published; credit is the sharer's display name at share time."""

    item_id: int
    url: str
    title: str
    note: str
    tags: tuple[str, ...]
    credit: str
    author_id: int | None


@dataclass(frozen=True, slots=True)
class NominationEntry:
    """A nominated message: its first link, an excerpt (empty without quote consent) and the way back to it."""

    item_id: int
    jump_url: str
    link: str | None
    title: str
    excerpt: str
    note: str
    tags: tuple[str, ...]
    author_id: int | None


@dataclass(frozen=True, slots=True)
class StoryEntry:
    """A story of change; credit is the author's name only when they asked to be credited."""

    item_id: int
    text: str
    credit: str | None
    author_id: int | None


@dataclass(frozen=True, slots=True)
class Removal:
    """A visible note that items were removed from a published issue at someone's request."""

    count: int
    on: datetime


@dataclass(frozen=True, slots=True)
class IssueContent:
    """Everything in one issue, in publication order."""

    guild_id: int
    number: int
    timezone: str
    compiled_at: datetime
    intro: str
    recap: Recap | None = None
    next_session: NextSession | None = None
    resources: tuple[ResourceEntry, ...] = ()
    nominations: tuple[NominationEntry, ...] = ()
    stories: tuple[StoryEntry, ...] = ()
    welcome_count: int = 0
    removals: tuple[Removal, ...] = ()
    posted_limit: int | None = None
    """How many entries the Discord messages show (None: all); the rest are in /flash archive issue:<number>."""

    @property
    def title(self) -> str:
        """Return the issue's name."""
        return f"Flash Report #{self.number}"

    @property
    def is_empty(self) -> bool:
        """Tell whether nobody shared anything for this issue."""
        return not (self.resources or self.nominations or self.stories)

    def authors(self) -> frozenset[int]:
        """Return everyone whose words or name an entry carries (sharers, message authors, storytellers, quoted)."""
        found = (
            {e.author_id for e in self.resources}
            | {e.author_id for e in self.nominations}
            | {e.author_id for e in self.stories}
        )
        if self.recap is not None:
            found |= {q.author_id for q in self.recap.quotes}
        return frozenset(a for a in found if a is not None)

    @property
    def has_free_text(self) -> bool:
        """Tell whether any entry still holds someone's free text or name (what retention removes)."""
        return (
            any(r.title or r.note or r.credit for r in self.resources)
            or any(n.title or n.excerpt or n.note for n in self.nominations)
            or any((s.text and s.text != STORY_REDACTED) or s.credit for s in self.stories)
            or (self.recap is not None and any(q.text.strip() for q in self.recap.quotes))
        )

    def _entries(self) -> list[ResourceEntry | NominationEntry | StoryEntry]:
        return [*self.resources, *self.nominations, *self.stories]

    def posted_ids(self) -> frozenset[int]:
        """Return the item ids the posted messages show: all, or posted_limit of them shared fairly.

        Fair means one entry from each person before anyone's second (oldest first within each round), so a
        flood from one person cannot push everyone else out of the posted issue.
        """
        entries = self._entries()
        if self.posted_limit is None or len(entries) <= self.posted_limit:
            return frozenset(e.item_id for e in entries)
        seen: dict[int, int] = {}
        ranked = []
        for entry in sorted(entries, key=lambda e: e.item_id):
            if entry.author_id is None:
                rank = 0
            else:
                rank = seen.get(entry.author_id, 0)
                seen[entry.author_id] = rank + 1
            ranked.append((rank, entry.item_id))
        return frozenset(item_id for _, item_id in sorted(ranked)[: max(0, self.posted_limit)])

    def posted(self) -> "IssueContent":
        """Return the content the Discord messages show (every entry when there is no cap or it is not reached)."""
        shown = self.posted_ids()
        if len(shown) == len(self._entries()):
            return self
        return dataclasses.replace(
            self,
            resources=tuple(r for r in self.resources if r.item_id in shown),
            nominations=tuple(n for n in self.nominations if n.item_id in shown),
            stories=tuple(s for s in self.stories if s.item_id in shown),
        )

    def archive_only(self) -> "IssueContent":
        """Return the entries the posted messages leave out, in the issue's order (none without a cap)."""
        shown = self.posted_ids()
        return dataclasses.replace(
            self,
            resources=tuple(r for r in self.resources if r.item_id not in shown),
            nominations=tuple(n for n in self.nominations if n.item_id not in shown),
            stories=tuple(s for s in self.stories if s.item_id not in shown),
        )

    @property
    def archive_only_count(self) -> int:
        """Count the entries listed only by /flash archive (beyond the posted messages)."""
        return len(self._entries()) - len(self.posted_ids())

    def without_text_of(self, item_ids: set[int], *, quotes_too: bool) -> "IssueContent":
        """Return this content without the free text of the items in item_ids — titles, notes, excerpts, stories
        and the names credited — (and its recap quotes if quotes_too)."""
        resources = tuple(
            dataclasses.replace(r, title="", note="", credit="") if r.item_id in item_ids else r for r in self.resources
        )
        nominations = tuple(
            dataclasses.replace(n, title="", note="", excerpt="") if n.item_id in item_ids else n
            for n in self.nominations
        )
        stories = tuple(
            dataclasses.replace(s, text=STORY_REDACTED, credit=None) if s.item_id in item_ids else s
            for s in self.stories
        )
        recap = self.recap
        if recap is not None and quotes_too and recap.quotes:
            recap = dataclasses.replace(recap, quotes=())
        return dataclasses.replace(self, resources=resources, nominations=nominations, stories=stories, recap=recap)

    def without_author(self, user_id: int, on: datetime) -> tuple["IssueContent", int]:
        """Return this content without user_id's words, plus how many entries went (a Removal records it)."""
        resources = tuple(r for r in self.resources if r.author_id != user_id)
        nominations = tuple(n for n in self.nominations if n.author_id != user_id)
        stories = tuple(s for s in self.stories if s.author_id != user_id)
        recap = self.recap
        quotes_removed = 0
        if recap is not None:
            quotes = tuple(q for q in recap.quotes if q.author_id != user_id)
            quotes_removed = len(recap.quotes) - len(quotes)
            recap = dataclasses.replace(recap, quotes=quotes)
        removed = (
            len(self.resources)
            - len(resources)
            + len(self.nominations)
            - len(nominations)
            + len(self.stories)
            - len(stories)
            + quotes_removed
        )
        if removed == 0:
            return self, 0
        changed = dataclasses.replace(
            self,
            recap=recap,
            resources=resources,
            nominations=nominations,
            stories=stories,
            removals=(*self.removals, Removal(removed, on)),
        )
        return changed, removed

    def to_json(self) -> dict[str, Any]:
        """Return the content as JSON-ready data."""
        return _encode(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "IssueContent":
        """Read content written by to_json."""
        recap = data.get("recap")
        nxt = data.get("next_session")
        return cls(
            guild_id=int(data["guild_id"]),
            number=int(data["number"]),
            timezone=str(data["timezone"]),
            compiled_at=_time(data["compiled_at"]),
            intro=str(data.get("intro", "")),
            recap=None
            if recap is None
            else Recap(
                session_number=recap.get("session_number"),
                session_title=recap.get("session_title", ""),
                attendance=int(recap.get("attendance", 0)),
                reflections=int(recap.get("reflections", 0)),
                rating_count=int(recap.get("rating_count", 0)),
                average_rating=recap.get("average_rating"),
                quotes=tuple(RecapQuote(q["text"], q.get("author_id")) for q in recap.get("quotes", ())),
            ),
            next_session=None
            if nxt is None
            else NextSession(
                number=nxt.get("number"),
                title=nxt.get("title", ""),
                starts_at=_time(nxt["starts_at"]),
                location_kind=nxt.get("location_kind", "none"),
                location_url=nxt.get("location_url"),
                location_channel_id=nxt.get("location_channel_id"),
            ),
            resources=tuple(
                ResourceEntry(**{**r, "tags": tuple(r.get("tags", ()))}) for r in data.get("resources", ())
            ),
            nominations=tuple(
                NominationEntry(**{**n, "tags": tuple(n.get("tags", ()))}) for n in data.get("nominations", ())
            ),
            stories=tuple(StoryEntry(**s) for s in data.get("stories", ())),
            welcome_count=int(data.get("welcome_count", 0)),
            removals=tuple(Removal(int(r["count"]), _time(r["on"])) for r in data.get("removals", ())),
            posted_limit=None if data.get("posted_limit") is None else int(data["posted_limit"]),
        )


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"snapshot time without a zone: {value!r}")
    return parsed


def _encode(value: Any) -> Any:
    if isinstance(value, Text):
        return {"rich": text_to_data(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, ButtonStyle):
        return value.value
    if isinstance(value, bytes):
        raise TypeError("files are not kept in snapshots")
    return value


def message_to_json(message: OutboundMessage) -> dict[str, Any]:
    """Return a rendered message as JSON-ready data (attachments are never part of an issue)."""
    return {
        "content": _encode(message.content),
        "embeds": [_encode(e) for e in message.embeds],
        "buttons": [_encode(b) for b in message.buttons],
    }


def _rich(value: Any) -> RichText | None:
    if isinstance(value, Mapping) and "rich" in value:
        return text_from_data(value["rich"])
    return None if value is None else str(value)


def message_from_json(data: Mapping[str, Any]) -> OutboundMessage:
    """Read a message written by message_to_json."""
    embeds = []
    for e in data.get("embeds", ()):
        fields = tuple(
            EmbedField(_rich(f["name"]) or "", _rich(f["value"]) or "", bool(f.get("inline", False)))
            for f in e.get("fields", ())
        )
        stamp = e.get("timestamp")
        embeds.append(
            Embed(
                title=_rich(e.get("title")),
                description=_rich(e.get("description")),
                url=e.get("url"),
                colour=e.get("colour"),
                fields=fields,
                footer=_rich(e.get("footer")),
                timestamp=_time(stamp) if stamp else None,
            )
        )
    buttons = tuple(
        Button(
            label=b["label"],
            custom_id=b.get("custom_id"),
            url=b.get("url"),
            style=ButtonStyle(b.get("style", ButtonStyle.SECONDARY.value)),
            disabled=bool(b.get("disabled", False)),
            emoji=b.get("emoji"),
        )
        for b in data.get("buttons", ())
    )
    return OutboundMessage(content=_rich(data.get("content")), embeds=tuple(embeds), buttons=buttons)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A published issue frozen: its structured content and the messages rendered from it."""

    content: IssueContent
    messages: tuple[OutboundMessage, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the snapshot as JSON-ready data."""
        return {
            "version": SNAPSHOT_VERSION,
            "content": self.content.to_json(),
            "messages": [message_to_json(m) for m in self.messages],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Snapshot":
        """Read a snapshot written by to_json (a version 1 snapshot's messages are rendered again from its content)."""
        content = IssueContent.from_json(data["content"])
        if int(data.get("version", 1)) < 2:
            from bot.core.flash.render import render_issue  # here: render imports this module

            return cls(content, tuple(render_issue(content)))
        return cls(content, tuple(message_from_json(m) for m in data.get("messages", ())))
