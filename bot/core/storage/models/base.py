"""The declarative base with a constraint naming convention shared with Alembic."""

from sqlalchemy import BigInteger, MetaData
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
