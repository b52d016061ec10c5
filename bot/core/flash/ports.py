"""What the Flash Report needs from other features; the composition root wires their services in.

Each Protocol is small on purpose: an adapter of a few lines over the programme, reflections and
participants services satisfies it, and tests use fakes.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from bot.core.delivery.domain import NewDelivery
from bot.core.flash.content import Recap
from bot.core.programme.domain import Programme, Session
from bot.core.storage.database import UnitOfWork

QUOTE_PURPOSE = "quote"
"""The consent purpose that lets someone's words appear in a digest."""


class ProgrammeSource(Protocol):
    """The server's programme settings and sessions."""

    async def programme(self, guild_id: int) -> Programme | None:
        """Return the server's programme (time zone, channels, facilitator role), or None before setup."""
        ...

    async def last_session(self, guild_id: int, before: datetime) -> Session | None:
        """Return the latest session that is not cancelled and ended at or before before, or None."""
        ...

    async def next_session(self, guild_id: int, after: datetime) -> Session | None:
        """Return the earliest session that is not cancelled and starts after after, or None."""
        ...


class RecapSource(Protocol):
    """Figures about a session from the reflections feature."""

    async def session_recap(self, guild_id: int, session_id: int) -> Recap | None:
        """Return attendance, reflection counts, the average rating with its count, and ≤ 3 consented quotes."""
        ...


class ConsentSource(Protocol):
    """Who agreed to what, from the participants feature."""

    async def consenting_users(self, guild_id: int, purpose: str) -> Collection[int]:
        """Return the ids of the people in the server who currently consent to purpose (e.g. "quote")."""
        ...


class ParticipantSource(Protocol):
    """Participant counts, from the participants feature."""

    async def count_joined(self, guild_id: int, since: datetime | None, until: datetime) -> int:
        """Count participants who joined after since (from the start when None) and at or before until."""
        ...


class MembershipSource(Protocol):
    """Who has left the server, from the participants feature (participants are marked inactive when they leave)."""

    async def has_left(self, guild_id: int, user_id: int) -> bool:
        """Tell whether user_id is known to have left the server (False when unknown)."""
        ...


class DeliveryScheduler(Protocol):
    """The delivery dispatcher's scheduling side (bot.core.delivery.dispatcher.Dispatcher fits)."""

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> object:
        """Add or update (idempotently on its dedupe key) a delivery inside the caller's unit of work."""
        ...

    def wake(self, at: datetime | None = None) -> None:
        """Make sure the dispatcher runs at (or soon after) at; called after the commit."""
        ...
