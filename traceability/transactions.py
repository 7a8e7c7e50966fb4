"""Where work is committed: once per request, per command, per step of a job — and nowhere else.

Services add and flush; they never commit. The request wrapper (``web.init_app``) commits when the
view returns a success or a redirect and rolls back otherwise; commands and job steps run inside
``unit_of_work()``. Work that must wait until the records are visible to other processes (handing a
job to a queue) is registered with ``after_commit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import g, has_request_context, request

from traceability.database import READ_METHODS, REPLICA, WILL_WRITE
from traceability.extensions import db

_CALLBACKS = "after_commit"


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current unit of work has committed (never if it rolls back)."""
    db.session.info.setdefault(_CALLBACKS, []).append(callback)


def pending() -> int:
    """How many callbacks wait for the commit: a mark to undo back to (``forget_since``)."""
    return len(db.session.info.get(_CALLBACKS, ()))


def forget_since(mark: int) -> None:
    """Drop the callbacks registered after ``mark``: the work that registered them was rolled back."""
    del db.session.info.get(_CALLBACKS, [])[mark:]


def commit() -> None:
    """Commit the session, then run what waited for it."""
    db.session.commit()
    for callback in db.session.info.pop(_CALLBACKS, []):
        callback()


def will_write() -> None:
    """Say that this request, though a GET, is about to write: call it before the first change.

    On SQLite the request's transaction then takes the write lock (BEGIN IMMEDIATE) as a POST's
    does, so parallel GETs that write wait their turn instead of failing with "database is
    locked" (see ``database._sqlite_begin``). If a deferred transaction has already begun (the
    request read what told it to write), it is ended and the next statement begins an IMMEDIATE
    one: nothing was written, and the objects read are expired, so they are read again under the
    lock, never trusted from the older snapshot. Check again after calling: another request may
    have done the write meanwhile. PostgreSQL locks rows, not the database: nothing to do there.
    """
    session = db.session()
    session.info.pop(REPLICA, None)  # what it reads before writing must be what the primary holds
    if not has_request_context() or request.method not in READ_METHODS or g.get(WILL_WRITE):
        return
    g.setdefault(WILL_WRITE, True)
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return
    if session.in_nested_transaction() or session.new or session.dirty or session.deleted:
        raise RuntimeError("will_write() must come before the request's first change, outside a savepoint")
    session.rollback()


def one_at_a_time(*keys: str) -> None:
    """Until this transaction ends, other requests naming any of ``keys`` wait here: for a check
    followed by a write (count the failed logins, then record one) that must not interleave.

    SQLite already runs write transactions one at a time (BEGIN IMMEDIATE, or ``will_write`` for
    a GET). On PostgreSQL each key is a transaction-level advisory lock, released at commit or
    rollback, so the next request counts what this one wrote. Taken in sorted order, so two
    requests can never each hold a key the other waits for; a hash collision only makes two keys
    share a queue."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key))))


def rollback() -> None:
    db.session.info.pop(_CALLBACKS, None)
    db.session.rollback()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One commit for a command or a job step; any exception rolls the whole of it back."""
    try:
        yield
    except BaseException:
        rollback()
        raise
    commit()
