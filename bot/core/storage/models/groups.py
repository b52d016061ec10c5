"""Small-group tables: proposals awaiting "Create", the groups of each session and their members."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake
from bot.core.storage.types import UTCDateTime


class GroupProposalRow(Base):
    """Groups proposed for a session and shown to a facilitator with Create / Shuffle / Cancel.

    groups holds the member user ids of each group and coaches the coach of each (or null); the buttons
    carry the proposal id, so they work after a restart. status: open -> created | cancelled.
    """

    __tablename__ = "group_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(Snowflake)
    size: Mapped[int] = mapped_column(Integer)
    mix: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(Integer)
    groups: Mapped[list[list[int]]] = mapped_column(JSON)
    coaches: Mapped[list[int | None]] = mapped_column(JSON)
    cost: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupRow(Base):
    """One small group of a session; thread_id is its private thread once created. status: active | dissolved."""

    __tablename__ = "groups"
    __table_args__ = (Index("ix_groups_session_id_number", "session_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    coach_id: Mapped[int | None] = mapped_column(Snowflake)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    status: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupMemberRow(Base):
    """Someone placed in a group (one group per person per session; dissolving removes the groups).

    how: proposal (made by the assignment), late (pressed "Join a group"), moved (a facilitator moved them).
    """

    __tablename__ = "group_members"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_group_members_guild_id_user_id", "guild_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    session_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Snowflake)
    how: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConnectPreferenceRow(Base):
    """Whether someone takes part in connections between sessions; paused after two ignored introductions."""

    __tablename__ = "connect_preferences"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    opted_in: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    ignored_in_row: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConnectionRow(Base):
    """One introduction of a round: two (or three) people from different communities, and their thread."""

    __tablename__ = "connections"
    __table_args__ = (Index("ix_connections_guild_id_round_at", "guild_id", "round_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    round_at: Mapped[datetime] = mapped_column(UTCDateTime)
    members: Mapped[list[int]] = mapped_column(JSON)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConnectionAnswerRow(Base):
    """Someone's answer to "Did you meet?" (yes, not_yet, skip); the latest answer counts."""

    __tablename__ = "connection_answers"
    __table_args__ = (UniqueConstraint("connection_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    answer: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
