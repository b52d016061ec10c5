"""Delivery domain types shared by the engine and the features that schedule deliveries."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol


class DeliveryStatus(StrEnum):
    """Where a delivery is in its life."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    EXPIRED = "expired"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)

FACILITATOR_NOTICE = "facilitator_notice"
"""The kind of the notices the engine schedules for facilitators (built by bot.core.delivery.notices)."""
NONCE_WINDOW = timedelta(minutes=4)
"""How long the platform is trusted to dedupe a create by its nonce (Discord: "a few minutes")."""


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to schedule.

    dedupe_key is unique for all time: scheduling the same key again updates a still-pending row
    and never resends one that was sent. target groups rows for cancelling (e.g. "session:12").
    """

    guild_id: int
    kind: str
    target: str
    dedupe_key: str
    due_at: datetime
    deliver_before: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A stored delivery."""

    id: int
    guild_id: int
    kind: str
    target: str
    dedupe_key: str
    payload: Mapping[str, Any]
    due_at: datetime
    deliver_before: datetime
    status: DeliveryStatus
    attempts: int
    lease_until: datetime | None
    message_id: int | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    recovered: bool = False
    """True when an earlier attempt may have posted beyond the nonce window: look for it before posting."""
    interrupted: bool = False
    """True when an earlier attempt was abandoned or failed after it began: it may have posted."""

    @property
    def nonce(self) -> str:
        """Return the platform nonce derived from the dedupe key (Discord allows 25 characters)."""
        return delivery_nonce(self.dedupe_key)

    @property
    def marker(self) -> str:
        """Return a short reference shown on the message so a later run can recognise it."""
        return "ref " + self.nonce[:10]


def delivery_nonce(dedupe_key: str) -> str:
    """Derive a stable 25-character nonce from a dedupe key."""
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:25]


class DeliverySkipped(Exception):
    """Raised by a handler when the delivery no longer makes sense (its target was deleted); it is cancelled."""


class DeliveryHandler(Protocol):
    """Deliver one row of a kind. Return the platform message id (or None when nothing was posted).

    Raise ports.TransientSendError to retry with backoff, ports.PermanentSendError to fail the row
    and tell the facilitators, DeliverySkipped to cancel it.
    """

    async def __call__(self, delivery: Delivery) -> int | None: ...
