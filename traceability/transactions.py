"""Where work is committed: once per request, per command, per step of a job — and nowhere else.

Services add and flush; they never commit. The request wrapper (``web.init_app``) commits when the
view returns a success or a redirect and rolls back otherwise; commands and job steps run inside
``unit_of_work()``. Work that must wait until the records are visible to other processes (handing a
job to a queue) is registered with ``after_commit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
