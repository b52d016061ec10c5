"""Adapters from the other features' services to the Flash Report's ports, for the composition root.

The participants service already fits ConsentSource and ParticipantSource, and the delivery Dispatcher fits
DeliveryScheduler and HandlerRegistry, as they are. The programme and reflections services, and the
participants service as a MembershipSource, need the small wrappers below.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.errors import NotFoundError
from bot.core.flash.content import Recap, RecapQuote
from bot.core.programme.domain import Programme, Session

_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_QUOTE_MARKS = "“”\"'"


class ProgrammeService(Protocol):
    """The parts of bot.core.programme.service.ProgrammeService the Flash Report reads."""

    async def get_programme(self, guild_id: int) -> Programme | None:
        """Return the server's programme, or None."""
        ...

    async def list_sessions(self, guild_id: int, *, include_cancelled: bool = True) -> list[Session]:
        """Return the server's sessions in start order."""
        ...


class ProgrammeServiceSource:
    """ProgrammeSource over the programme service (a programme has a dozen sessions: filtering in memory is fine)."""

    def __init__(self, programmes: ProgrammeService) -> None:
        self._programmes = programmes

    async def programme(self, guild_id: int) -> Programme | None:
        """Return the server's programme, or None before setup."""
        return await self._programmes.get_programme(guild_id)

    async def _sessions(self, guild_id: int) -> Sequence[Session]:
        return [
            s for s in await self._programmes.list_sessions(guild_id, include_cancelled=False) if not s.is_cancelled
        ]

    async def last_session(self, guild_id: int, before: datetime) -> Session | None:
        """Return the latest session that ended at or before before."""
        done = [s for s in await self._sessions(guild_id) if s.ends_at <= before]
        return max(done, key=lambda s: s.ends_at, default=None)

    async def next_session(self, guild_id: int, after: datetime) -> Session | None:
        """Return the earliest session starting after after."""
        later = [s for s in await self._sessions(guild_id) if s.starts_at > after]
        return min(later, key=lambda s: s.starts_at, default=None)


class ParticipantLookup(Protocol):
    """The part of bot.core.participants.service.ParticipantService the Flash Report reads about departures."""

    async def get_participant(self, guild_id: int, user_id: int) -> "HasActive | None":
        """Return someone's participant record, or None."""
        ...


class HasActive(Protocol):
    """A participant record: active is False after they left the server."""

    @property
    def active(self) -> bool: ...


class ParticipantsMembership:
    """MembershipSource over the participants service: a participant marked inactive has left the server."""

    def __init__(self, participants: ParticipantLookup) -> None:
        self._participants = participants

    async def has_left(self, guild_id: int, user_id: int) -> bool:
        """Tell whether user_id is a participant marked inactive (they left the server)."""
        found = await self._participants.get_participant(guild_id, user_id)
        return found is not None and not found.active


class ReflectionsRecap(Protocol):
    """The shape of bot.core.reflections.domain.SessionRecap."""

    @property
    def attendance_count(self) -> int: ...
    @property
    def reflections_count(self) -> int: ...
    @property
    def average_rating(self) -> float | None: ...
    @property
    def rating_count(self) -> int: ...
    @property
    def quotes(self) -> tuple[str, ...]: ...
    @property
    def quoted_user_ids(self) -> tuple[int, ...]: ...
    @property
    def session_number(self) -> int: ...
    @property
    def session_title(self) -> str: ...


class ReflectionsService(Protocol):
    """The part of bot.core.reflections.service.ReflectionService the Flash Report reads."""

    async def session_recap(self, guild_id: int, session_id: int) -> ReflectionsRecap:
        """Return a session's recap; raise a NotFoundError for an unknown session."""
        ...


def unescape_quote(shown: str) -> str:
    """Undo bot.core.text.sanitise_inline and the quotation marks around a reflections quote.

    The reflections feature hands out quotes ready for Discord; the Flash Report keeps raw text and escapes it
    for each medium (Discord, Markdown, HTML). Escaping is a backslash before a character, or a zero-width
    space after "@"/"<" (the original text cannot contain one: cleaning removes them), so this is exact.
    """
    text = shown.strip()
    if len(text) >= 2 and text[0] in _QUOTE_MARKS and text[-1] in _QUOTE_MARKS:
        text = text[1:-1]
    return _ESCAPED.sub(r"\1", text.replace("\u200b", ""))


def recap_from_reflections(source: ReflectionsRecap) -> Recap:
    """Convert the reflections feature's session recap into the Flash Report's Recap."""
    authors = tuple(source.quoted_user_ids)
    quotes = tuple(
        RecapQuote(unescape_quote(text), authors[index] if index < len(authors) else None)
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


class ReflectionsRecapSource:
    """RecapSource over the reflections service (an unknown session has no recap)."""

    def __init__(self, reflections: ReflectionsService) -> None:
        self._reflections = reflections

    async def session_recap(self, guild_id: int, session_id: int) -> Recap | None:
        """Return the session's recap, or None when the reflections feature does not know the session."""
        try:
            found = await self._reflections.session_recap(guild_id, session_id)
        except NotFoundError:
            return None
        return recap_from_reflections(found)
