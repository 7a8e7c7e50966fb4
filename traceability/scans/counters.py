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
GROUPS_READ = 1_000  # (province, address) groups of one unit read at once; more: read in two statements

# A unit's scans grouped by province and address: joined to the unit's own lookup by the resolver
# (``provenance.identifiers``), so a buyer's first scan of a unit costs one statement.
GROUP_BY = (UnitScan.province, UnitScan.client)
GROUP_COLUMNS = (
    UnitScan.province,
    UnitScan.client,
    sa.func.count(UnitScan.id),
    sa.func.min(UnitScan.scanned_at),
    sa.func.max(UnitScan.scanned_at),
    sa.func.count(UnitScan.id).filter(UnitScan.scanned_at > sa.bindparam("hour_ago")),
)

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


def parameters() -> dict:
    """The moments the statements above count from: an hour ago, and the start of the repeat window."""
    now = utcnow()
    hour_ago = now - dt.timedelta(hours=1)
    return {
        "hour_ago": hour_ago,
        "since": min(hour_ago, now - dt.timedelta(minutes=current_app.config["SCAN_REPEAT_MINUTES"])),
    }


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
    read: dict[int, _Unit] = {}
    for start in range(0, len(unit_ids), CHUNK):
        ids = unit_ids[start : start + CHUNK]
        read.update({uid: _Unit(summary, {}, 0) for uid, summary in summaries(ids).items()})
        for uid, client, latest, this_hour in db.session.connection().execute(_RECENT, {"ids": ids, **parameters()}):
            read[uid].last_counted[client] = latest
            read[uid].stored_this_hour += this_hour
    return read


def _from_groups(groups: list) -> _Unit:
    """A unit's counters from its scans grouped as ``GROUP_COLUMNS`` (a unit never scanned: one
    group of nothing, from the outer join)."""
    groups = [g for g in groups if g[1] is not None]
    summary = ScanSummary(
        count=sum(n for _p, _c, n, _f, _l, _h in groups),
        first_at=min((f for _p, _c, _n, f, _l, _h in groups), default=None),
        provinces=list(dict.fromkeys(p for p, _c, _n, _f, _l, _h in groups if p is not None)),
    )
    last_counted: dict[str, dt.datetime] = {}
    for _p, client, _n, _f, latest, _h in groups:
        last_counted[client] = max(latest, last_counted.get(client, latest))
    return _Unit(judge(summary), last_counted, sum(h for *_rest, h in groups))


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


def shown(unit_id: int, visitor: Scan | None = None, *, groups: list | None = None) -> ScanSummary:
    """The unit's counters, counting ``visitor``'s scan (just spooled) as the writer will; from
    ``groups`` (its scans as ``GROUP_COLUMNS``, just read) when given and complete."""
    recheck = current_app.config["PUBLIC_PAGE_RECHECK_SECONDS"]
    state = _state()
    if recheck > 0:
        _refresh(state, recheck)
    unit = state.units.get(unit_id) if recheck > 0 else None
    if unit is None and groups is not None and len(groups) < GROUPS_READ:
        unit = _from_groups(groups)
    if unit is None:
        unit = _read([unit_id])[unit_id]
    with state.lock:
        if recheck > 0:
            unit = state.units.setdefault(unit_id, unit)  # another thread may have read it meanwhile
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
