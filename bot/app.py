"""Composition root: build the database, the core services and the ports once, in one place."""

import logging
from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.clock import Clock, SystemClock
from bot.core.ports import EventMirror, Sender
from bot.core.storage.database import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the adapters call into; built once per process."""

    settings: Settings
    database: Database
    clock: Clock
    sender: Sender
    mirror: EventMirror
    started: bool = field(default=False)

    async def start(self) -> None:
        """Start background work (the delivery dispatcher)."""
        self.started = True

    async def stop(self) -> None:
        """Stop background work gracefully."""
        self.started = False


def build_services(
    settings: Settings,
    database: Database,
    *,
    sender: Sender,
    mirror: EventMirror,
    clock: Clock | None = None,
) -> Services:
    """Wire the core services to a database, a clock and a platform's ports."""
    return Services(settings=settings, database=database, clock=clock or SystemClock(), sender=sender, mirror=mirror)
