"""Flash Report tables: collected items, issues with their frozen snapshots, the tag vocabulary, the cadence."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake
from bot.core.storage.types import UTCDateTime


class FlashIssueRow(Base):
    """One Flash Report issue: a draft while collecting, then frozen (snapshot) and published.

    status: draft -> publishing (snapshot frozen, parts being posted) -> published.
    publisher_key is the dedupe key of the delivery that froze the issue; only that delivery posts it.
    message_ids holds the posted message of each part, in order, as each one is recorded.
    """

    __tablename__ = "flash_issues"
    __table_args__ = (UniqueConstraint("guild_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    intro: Mapped[str | None] = mapped_column(String(1000))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    publisher_key: Mapped[str | None] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlashItemRow(Base):
    """Something collected for a Flash Report: a shared resource, a nominated message or a story of change.

    body is a resource's or nomination's note, or a story's words; excerpt is a nominated message's start.
    author_id is whose words these are (sharer, message author, storyteller), which erasure relies on.
    restricted marks a nomination from a channel that neither @everyone nor the participant role can see: it is
    published only once its author agrees to be quoted. dedupe_key makes a second share of one URL
    ("url:<normalised>") or a second nomination of one message ("message:<id>") clash per server; stories have
    none. state is included, excluded or held (the author left the server: not published until a facilitator
    decides). issue_id is set when an issue is frozen with the item (or consumed it while excluded); until then
    the item waits for the next issue.
    """

    __tablename__ = "flash_items"
    __table_args__ = (
        UniqueConstraint("guild_id", "dedupe_key"),
        Index("ix_flash_items_guild_id_issue_id", "guild_id", "issue_id"),
        Index("ix_flash_items_guild_id_author_id", "guild_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str | None] = mapped_column(String(520))
    url: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(150), default="")
    body: Mapped[str] = mapped_column(String(1000), default="")
    excerpt: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    author_id: Mapped[int | None] = mapped_column(Snowflake)
    author_name: Mapped[str] = mapped_column(String(100), default="")
    nominated_by_id: Mapped[int | None] = mapped_column(Snowflake)
    source_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    source_message_id: Mapped[int | None] = mapped_column(Snowflake)
    jump_url: Mapped[str | None] = mapped_column(String(300))
    credit_by_name: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("flash_issues.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlashTagRow(Base):
    """A tag someone used in a server, and how often (the seed vocabulary needs no rows)."""

    __tablename__ = "flash_tags"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    name: Mapped[str] = mapped_column(String(24), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlashScheduleRow(Base):
    """A server's publication cadence (canonical rule text) and how long before it the draft goes out."""

    __tablename__ = "flash_schedules"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100))
    lead_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlashSettingsRow(Base):
    """A server's flood limits for the Flash Report; NULL keeps Blether's default (see bot.core.flash.domain).

    per_person_per_day caps what one person adds per day in the programme's time zone (shares, stories and
    nominations together; facilitators are not limited); issue_size caps how many items a posted issue shows.
    Adding an item locks this row first, so two adds by one person at the same moment are counted in turn.
    """

    __tablename__ = "flash_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    per_person_per_day: Mapped[int | None] = mapped_column(Integer)
    issue_size: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
