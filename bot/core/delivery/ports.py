"""The one port features use to reach the delivery engine (bot.core.delivery.dispatcher.Dispatcher implements it)."""

from datetime import datetime
from typing import Protocol

from bot.core.delivery.domain import Delivery, DeliveryHandler, NewDelivery
from bot.core.storage.database import UnitOfWork


class DeliveryScheduler(Protocol):
    """Schedule deliveries inside a unit of work, wake the dispatcher after committing, and register handlers.

    A feature's service schedules (``schedule`` then, after its commit, ``wake``); its deliveries module
    registers one handler per kind at start-up (``register``).
    """

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> Delivery:
        """Add (or update, idempotently on its dedupe key) a delivery inside the caller's unit of work."""
        ...

    def wake(self, at: datetime | None = None) -> None:
        """Make sure the dispatcher runs at (or soon after) at; call it after the commit."""
        ...

    def register(self, kind: str, handler: DeliveryHandler, *, dm: bool = False) -> None:
        """Use handler for every delivery of kind (dm=True: one direct message per row, paced)."""
        ...
