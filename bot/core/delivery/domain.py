"""Delivery domain types shared by the engine and the features that schedule deliveries."""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot.core.messages import RichText, Span, Text, Time, TimeStyle, as_text, clip, text_from_data, text_to_data


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
"""The kind of the notices the engine schedules for facilitators; payload see notice_payload."""
NOTICE_MAX_CHARS = 1900
"""A notice's length (plain) stays under the 2,000 characters of a Discord message, with room for markup."""
_LEGACY_TIME = re.compile(r"<t:(-?\d{1,12}):([FfDdTtR])>")


def notice_payload(message: RichText) -> dict[str, Any]:
    """Return a facilitator notice's payload: "text" (plain, for logs and tests) and "rich" (the rich text)."""
    clipped = clip(as_text(message), NOTICE_MAX_CHARS)
    return {"text": clipped.plain(), "rich": text_to_data(clipped)}


def notice_text(payload: Mapping[str, Any]) -> Text:
    """Return a notice's rich text (a row stored before notices were rich holds markup: its times are kept)."""
    if "rich" in payload:
        return text_from_data(payload["rich"])
    legacy = str(payload.get("text", ""))[:NOTICE_MAX_CHARS]
    spans: list[Span] = []
    position = 0
    for match in _LEGACY_TIME.finditer(legacy):
        spans += [
            legacy[position : match.start()],
            Time(datetime.fromtimestamp(int(match[1]), UTC), TimeStyle(match[2])),
        ]
        position = match.end()
    spans.append(legacy[position:])
    return Text(tuple(span for span in spans if span))


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
