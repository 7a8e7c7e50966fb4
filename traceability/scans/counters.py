"""A unit's counters as its page shows them, read from the table once every few seconds per process.

Every scan of a unit's page shows how often the unit was scanned, which the copied-code warning rests
on. Asking the table on every scan makes a crowd of buyers a crowd of queries, so each process keeps
the counters of the units it showed lately, read in one go (two queries for all of them) at most
every ``PUBLIC_PAGE_RECHECK_SECONDS``: the staleness a lot's kept page accepts for a recall. Scans
made through other processes show after that; a visitor's own scan shows at once, counted as the
writer will count it (``recorder.allowed``): once within ``SCAN_REPEAT_MINUTES`` however often they
reload, and not past ``SCAN_UNIT_PER_HOUR``. (The per-address hourly limit spans all units and is
left to the writer.) A buyer telling where they bought the unit (``forget``) makes the next look
read the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from traceability import memory
from traceability.database import utcnow
from traceability.extensions import db
from traceability.scans.models import UnitScan
from traceability.scans.recorder import Scan
from traceability.scans.services import ScanSummary, judge, summaries

CHUNK = 500  # units per statement when reading many

# Built once: who scanned each unit lately, and how often in the last hour (the writer's limits).
_RECENT = (
    sa.select(
        UnitScan.unit_serial_id,
        UnitScan.client,
        sa.func.max(UnitScan.scanned_at),
        sa.func.count().filter(UnitScan.scanned_at > sa.bindparam("hour_ago")),
    )
    .where(
        UnitScan.unit_serial_id.in_(sa.bindparam("ids", expanding=True)),
        UnitScan.scanned_at > sa.bindparam("since"),
    )
    .group_by(UnitScan.unit_serial_id, UnitScan.client)
)


@dataclass
class _Unit:
    summary: ScanSummary  # as stored, judged
    last_counted: dict[str, dt.datetime]  # client → its latest counted scan of the unit (stored or made here)
    stored_this_hour: int  # counted scans of the last hour in the table when read
    added: dict[str, dt.datetime] = field(default_factory=dict)  # counted here since the read: client → when


@dataclass
class _State:
    """One application's counters in this process."""

    units: dict[int, _Unit] = field(default_factory=dict)  # shown since the read before last
    shown: set[int] = field(default_factory=set)  # shown since the last read: the next read's units
    read_at: float = 0.0
    reading: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _state() -> _State:
    return current_app.extensions.setdefault("unit_counters", _State())


def _read(unit_ids: list[int]) -> dict[int, _Unit]:
    """The units' counters as stored: two statements per ``CHUNK`` units."""
    config = current_app.config
    now = utcnow()
    hour_ago = now - dt.timedelta(hours=1)
    since = min(hour_ago, now - dt.timedelta(minutes=config["SCAN_REPEAT_MINUTES"]))
    read: dict[int, _Unit] = {}
    for start in range(0, len(unit_ids), CHUNK):
        ids = unit_ids[start : start + CHUNK]
        read.update({uid: _Unit(summary, {}, 0) for uid, summary in summaries(ids).items()})
        parameters = {"ids": ids, "hour_ago": hour_ago, "since": since}
        for uid, client, latest, this_hour in db.session.connection().execute(_RECENT, parameters):
            read[uid].last_counted[client] = latest
            read[uid].stored_this_hour += this_hour
    return read


def _refresh(state: _State, recheck: float) -> None:
    """Read again every unit shown since the last read, if that was ``recheck`` seconds ago; one
    request does it while the others go on with what is kept."""
    with state.lock:
        if state.reading or memory.now() - state.read_at < recheck:
            return
        state.reading, ids = True, sorted(state.shown)
    try:
        units = _read(ids)
    finally:
        with state.lock:
            state.reading = False
    with state.lock:
        state.units, state.shown, state.read_at = units, set(), memory.now()


def shown(unit_id: int, visitor: Scan | None = None) -> ScanSummary:
    """The unit's counters, counting ``visitor``'s scan (just spooled) as the writer will."""
    recheck = current_app.config["PUBLIC_PAGE_RECHECK_SECONDS"]
    state = _state()
    if recheck > 0:
        _refresh(state, recheck)
    unit = state.units.get(unit_id) if recheck > 0 else None
    if unit is None:
        unit = _read([unit_id])[unit_id]
    with state.lock:
        if recheck > 0:
            state.units.setdefault(unit_id, unit)
            state.shown.add(unit_id)
        if visitor is not None and _counts(unit, visitor):
            unit.added[visitor.client] = unit.last_counted[visitor.client] = visitor.scanned_at
        added, first_added = len(unit.added), min(unit.added.values(), default=None)
    if not added:
        return unit.summary
    summary = unit.summary
    return judge(dataclasses.replace(summary, count=summary.count + added, first_at=summary.first_at or first_added))


def _counts(unit: _Unit, visitor: Scan) -> bool:
    config = current_app.config
    last = unit.last_counted.get(visitor.client)
    if last is not None and visitor.scanned_at - last < dt.timedelta(minutes=config["SCAN_REPEAT_MINUTES"]):
        return False
    return unit.stored_this_hour + len(unit.added) < config["SCAN_UNIT_PER_HOUR"]


def forget(unit_id: int) -> None:
    """What this process kept of the unit is out of date (a buyer told where they bought it)."""
    state = _state()
    with state.lock:
        state.units.pop(unit_id, None)
