"""Stories of change post nothing on a schedule; register is here for the one shape every feature has."""

from typing import Protocol

from bot.core.delivery.domain import DeliveryHandler

KINDS: tuple[str, ...] = ()


class DeliveryRegistry(Protocol):
    """What registering needs from the Dispatcher."""

    def register(self, kind: str, handler: DeliveryHandler, *, dm: bool = False) -> None: ...


def register(dispatcher: DeliveryRegistry) -> None:
    """Register the feature's delivery kinds (none)."""
    del dispatcher
