"""The deliveries outbox: one row per thing Blether posts on a schedule."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake
from bot.core.storage.types import UTCDateTime


class DeliveryRow(Base):
    """A scheduled post or DM and where it is in its life (see bot.core.delivery)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The dispatcher's hot query: "status = 'pending' AND next_attempt_at <= now ORDER BY next_attempt_at".
        # It also serves "status = 'claimed'" scans for abandoned leases.
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deliver_before: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Start of the earliest attempt that may have posted without it being recorded (its lease ran out,
    # or it failed in a way that does not prove nothing was posted); a later claim beyond the nonce
    # window is then "recovered" and looks for the message before posting.
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
