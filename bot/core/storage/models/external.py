"""Platform ids that are not numbers (Matrix room, user and event ids) and the numeric ids the core uses."""

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.storage.models.base import Base, Snowflake


class ExternalIdRow(Base):
    """One platform id (e.g. a Matrix room id) and the stable number the core knows it by."""

    __tablename__ = "external_ids"
    __table_args__ = (UniqueConstraint("platform", "kind", "external"),)

    id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    external: Mapped[str] = mapped_column(String(255))
