"""Declarative base, constraint naming, reusable column types, and SQLite connection settings."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so Alembic can alter them on every database (SQLite batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


intpk = Annotated[int, mapped_column(primary_key=True)]
# Timestamps are stored as naive UTC on both databases; the display layer converts to local time.
created_at = Annotated[dt.datetime, mapped_column(default=utcnow)]
str20 = Annotated[str, mapped_column(sa.String(20))]
str40 = Annotated[str, mapped_column(sa.String(40))]
str120 = Annotated[str, mapped_column(sa.String(120))]
str255 = Annotated[str, mapped_column(sa.String(255))]


def org_fk() -> sa.ForeignKey:
    return sa.ForeignKey("organisations.id", ondelete="RESTRICT")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless told, per connection; WAL lets readers and a writer overlap."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Archivable:
    """Registry records are archived, never deleted: later records (plantings, lots) refer to them."""

    archived_at: Mapped[Optional[dt.datetime]] = mapped_column(default=None)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None
