"""The deliveries outbox: one row per thing Blether posts on a schedule."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
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


class PostedMessageRow(Base):
    """Messages Blether already posted that carry people's words or names (see bot.core.delivery.posted).

    ref is unique per posting (the posting delivery's dedupe key); edit_kind is the delivery kind that
    re-renders it; subject_id is what it shows (an issue id, a session id); has_text tells whether it still
    holds free text; digest is a hash of what it shows now (an edit to the same content is skipped).
    """

    __tablename__ = "posted_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    edit_kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(200), unique=True)
    subject_id: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    has_text: Mapped[bool] = mapped_column(Boolean, default=True)
    digest: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostedAuthorRow(Base):
    """Someone whose words or name a posted message carries (erasure finds their messages through this)."""

    __tablename__ = "posted_message_authors"

    posted_id: Mapped[int] = mapped_column(ForeignKey("posted_messages.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, index=True)
