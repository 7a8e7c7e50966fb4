"""Declarative base, constraint naming, reusable column types, and SQLite connection settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.dml import UpdateBase

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


# Ids are 32-bit integers on PostgreSQL (SQLite's are 64-bit): one range for both, so a number past it
# names no record anywhere instead of reaching a database that refuses it.
MAX_ID = 2**31 - 1

intpk = Annotated[int, mapped_column(primary_key=True)]
# Timestamps are stored as naive UTC on both databases; the display layer converts to local time.
created_at = Annotated[dt.datetime, mapped_column(default=utcnow)]
str20 = Annotated[str, mapped_column(sa.String(20))]
str40 = Annotated[str, mapped_column(sa.String(40))]
str120 = Annotated[str, mapped_column(sa.String(120))]
str255 = Annotated[str, mapped_column(sa.String(255))]


def org_fk() -> sa.ForeignKey:
    return sa.ForeignKey("organisations.id", ondelete="RESTRICT")


def insert_unless_there(model, dialect: str, keys: list[str]):
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` on either database: the one insert that parallel writers of
    the same row cannot break. PostgreSQL makes the second wait for the first to commit and then skips it."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return insert(model).on_conflict_do_nothing(index_elements=keys)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless told, per connection; WAL lets readers and a writer overlap."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # We issue BEGIN ourselves (below), so the driver must not open transactions on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # A writer waits its turn this long (the slowest write, a large photo decoded under the lock,
    # takes a few seconds; four at once must not fail the last one).
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# Set in a session's ``info`` by ``replica.route``: the engine its reads go to for this request.
REPLICA = "replica_engine"


class RoutedSession(FlaskSession):
    """``db.session``: reads go to the read replica while the request allows it (``replica.route``), and
    everything else to the primary. A session that writes reads from the primary from then on (a flush, an
    INSERT or UPDATE statement, ``transactions.will_write``): what it wrote is not on the replica yet."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        replica = self.info.get(REPLICA)
        if replica is not None and bind is None:
            if self._flushing or isinstance(clause, UpdateBase):
                self.info.pop(REPLICA)
            else:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set in ``g`` by ``transactions.will_write``: this read request's next transaction takes the write lock.
WILL_WRITE = "_will_write"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """On SQLite a transaction that may write starts IMMEDIATE: it takes the write lock before it
    reads, so two requests cannot both read a lot's remaining quantity (or the last event hash)
    and then both write. Pages that only read (GET) start a plain deferred transaction and run
    alongside writers, as WAL allows.

    A deferred transaction cannot safely become a writer later: in WAL mode the upgrade fails at
    once with "database is locked" whenever another connection has written since it began
    (busy_timeout does not apply: waiting cannot make its snapshot current again). So a read
    request that is going to write says so first (``transactions.will_write``) and gets an
    IMMEDIATE transaction like a POST; ``_no_write_in_a_read`` below catches one that forgets."""
    if connection.dialect.name != "sqlite":
        return
    read_only = has_request_context() and request.method in READ_METHODS and not g.get(WILL_WRITE)
    connection.info["deferred"] = read_only
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "before_cursor_execute")
def _no_write_in_a_read(connection, cursor, statement, parameters, context, executemany) -> None:
    """A write inside a deferred transaction works while nobody else writes and answers 500 under
    load; so it is made to fail every time under test, where the suite finds it, instead of
    sometimes in production (where it is logged, and left to take its chance)."""
    if not connection.info.get("deferred") or connection.dialect.name != "sqlite":
        return
    if statement.lstrip()[:7].upper().startswith(_WRITES):
        message = f"{request.method} {request.path} writes without transactions.will_write(): {statement[:60]}"
        if current_app.testing:
            raise RuntimeError(message)
        current_app.logger.error(message)


class Archivable:
    """Registry records are archived, never deleted: later records (plantings, lots) refer to them."""

    archived_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None
