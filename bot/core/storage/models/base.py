"""The declarative base with a constraint naming convention shared with Alembic."""

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import BigInteger, MetaData, Table
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Discord snowflakes exceed 32 bits: BIGINT on PostgreSQL (SQLite integers are 64-bit anyway).
# Surrogate primary keys stay Integer so SQLite keeps its rowid alias.
Snowflake = BigInteger


class Base(AsyncAttrs, DeclarativeBase):
    """Base class of every Blether table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # DeclarativeBase types __table__ as any FromClause (a class may map a join or subquery); every
        # Blether class names a __tablename__, so its __table__ is a Table: update(), delete() and
        # .insert() accept it without a cast at each use.
        __table__: ClassVar[Table]
