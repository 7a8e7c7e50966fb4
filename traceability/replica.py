"""Reads from a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``), for the pages crowds read: a label's
public page, its linkset, a photo, the EPCIS query, exports. Optional: without the setting everything reads
from the one database, as it always did.

A view marked ``@replica.reads`` sends its reads to the replica while three things hold: the request only
reads (GET or HEAD), the visitor has not just written (a manager who records a recall and opens the public
page sees the recall: for ``REPLICA_STICKY_SECONDS`` after a write their pages read from the primary), and the
replica is well (reachable, at most ``REPLICA_MAX_LAG_SECONDS`` behind, checked every ``REPLICA_CHECK_SECONDS``
by each process). Otherwise it reads from the primary and says why in the log, once per change. A replica that
fails during a request has the request read again from the primary: never a 500 for a replica's trouble.
"""

from __future__ import annotations

import functools
import threading
import time

import sqlalchemy as sa
from flask import current_app, request, session

from traceability.database import READ_METHODS, REPLICA
from traceability.extensions import db

ENGINE = "replica_engine"  # app.extensions key
_STICKY = "_primary_until"  # the session's: until when this visitor's pages read from the primary


def init_app(app) -> None:
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    options = {k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "connect_args"}
    connect_args = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}), "connect_timeout": 3}
    app.extensions[ENGINE] = sa.create_engine(url, **options, connect_args=connect_args)
    app.extensions[_Health.KEY] = _Health()
    app.after_request(_remember_writes)


def _remember_writes(response):
    """A signed-in visitor who just wrote reads their next pages from the primary (see the module's note)."""
    if request.method not in READ_METHODS and response.status_code < 400 and session.get("_user_id"):
        session[_STICKY] = int(time.time()) + current_app.config["REPLICA_STICKY_SECONDS"]
    return response


class _Health:
    """Each process's view of the replica, measured at most every REPLICA_CHECK_SECONDS."""

    KEY = "replica_health"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked = 0.0
        self.state: dict = {"ok": None}  # not measured yet

    def get(self) -> dict:
        with self.lock:
            if time.monotonic() - self.checked >= current_app.config["REPLICA_CHECK_SECONDS"]:
                self._set(measure())
            return self.state

    def failed(self, error: Exception) -> None:
        with self.lock:
            self._set({"ok": False, "why": f"failed during a request ({type(error).__name__})"})

    def _set(self, state: dict) -> None:
        self.checked = time.monotonic()
        if not state["ok"] and self.state["ok"] is not False:
            current_app.logger.warning("replica: not used, pages read from the primary: %s", state["why"])
        elif state["ok"] and self.state["ok"] is False:
            current_app.logger.info("replica: in use again (%.1f s behind)", state["lag_seconds"])
        self.state = state


def measure() -> dict:
    """How far the replica is behind the primary: nothing if it has replayed all the primary has written;
    otherwise the age of the last transaction it replayed. Never raises: a failure is a state."""
    limit = current_app.config["REPLICA_MAX_LAG_SECONDS"]
    try:
        with current_app.extensions[ENGINE].connect() as conn:
            standby, replayed, age = conn.execute(
                sa.text(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                    " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
                )
            ).one()
        if not standby or replayed is None:
            return {"ok": False, "why": "DATABASE_REPLICA_URL is not a streaming replica"}
        with db.engine.connect() as conn:
            behind = conn.execute(
                sa.text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:lsn AS pg_lsn))"), {"lsn": replayed}
            ).scalar_one()
    except sa.exc.SQLAlchemyError as error:
        return {"ok": False, "why": f"unreachable ({type(error).__name__})"}
    lag = 0.0 if behind <= 0 else float(age or 0)
    if lag > limit:
        return {"ok": False, "why": f"{lag:.1f} s behind (more than {limit} s)", "lag_seconds": lag}
    return {"ok": True, "lag_seconds": lag, "bytes_behind": max(0, int(behind))}


def status() -> dict | None:
    """The replica's state for /readyz, or None when there is none."""
    health = current_app.extensions.get(_Health.KEY)
    return health.get() if health else None


def _usable() -> bool:
    if ENGINE not in current_app.extensions or request.method not in ("GET", "HEAD"):
        return False
    if session.get(_STICKY, 0) > time.time():
        return False
    return current_app.extensions[_Health.KEY].get()["ok"]


def reads(view):
    """Mark a view whose reads may come from the replica (see the module's note)."""

    @functools.wraps(view)
    def routed(*args, **kwargs):
        if not _usable():
            return view(*args, **kwargs)
        db.session.info[REPLICA] = current_app.extensions[ENGINE]
        try:
            return view(*args, **kwargs)
        except sa.exc.OperationalError as error:  # the replica went away since it was last checked
            current_app.extensions[_Health.KEY].failed(error)
            db.session.rollback()
            db.session.info.pop(REPLICA, None)
            return view(*args, **kwargs)

    return routed
