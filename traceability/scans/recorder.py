"""Scans written beside the buyer's request, never inside it: spooled to a file, written in batches.

A unit's page must answer a crowd of buyers at once (a market stall, a shared post) on SQLite as on
PostgreSQL, and a scan is the only thing it writes. Written in the request, every scan queues for
the database's write lock and a busy moment turns into errors or long waits for the buyer. So the
page appends the scan to its process's spool (``instance/scan-spool/{pid}.jsonl``, one short line)
and answers; a thread of the same process writes the spool in one transaction a moment later
(``SCAN_FLUSH_SECONDS``), applying the counting limits of ``services`` to the whole batch.

Nothing is lost when the database cannot take the batch at that instant: the file stays and is
written on the next turn. A process killed before writing its spool leaves the file; whichever
process flushes next claims it (an atomic rename) and writes it. Each scan carries a receipt
that is unique in the table, so a spool written twice (killed between the commit and the removal
of the file) still stores each scan once.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import threading
import uuid
import weakref
from collections import defaultdict, deque
from dataclasses import dataclass, fields
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from traceability import transactions
from traceability.extensions import db
from traceability.metrics import SCANS
from traceability.scans.models import UnitScan

log = logging.getLogger(__name__)
BATCH = 500  # scans per statement: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Scan:
    organisation_id: int
    unit_serial_id: int
    scanned_at: dt.datetime  # UTC, naive, as the table keeps it
    agent: str
    client: str
    receipt: str

    @classmethod
    def new(cls, organisation_id: int, unit_serial_id: int, *, agent: str, client: str, at: dt.datetime) -> Scan:
        return cls(organisation_id, unit_serial_id, at, agent[:40], client, uuid.uuid4().hex)

    def row(self) -> dict:
        """The scan as the table's row (``dataclasses.asdict`` copies deeply: slow on every scan)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def line(self) -> str:
        return json.dumps({**self.row(), "scanned_at": self.scanned_at.isoformat()}) + "\n"

    @classmethod
    def parse(cls, line: str) -> Scan:
        data = json.loads(line)
        return cls(**{**data, "scanned_at": dt.datetime.fromisoformat(data["scanned_at"])})


class Recorder:
    """One per application in each process: ``submit`` from requests, ``flush`` from its thread."""

    def __init__(self, app: Flask):
        self.app = app
        self.directory = Path(app.config.get("SCAN_SPOOL_DIR") or Path(app.instance_path) / "scan-spool")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._append_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd: int | None = None  # this process's spool, kept open between appends
        self._fd_pid = 0
        self._closer = None

    def _spool(self) -> Path:
        return self.directory / f"{os.getpid()}.jsonl"  # the pid is read each time: workers are forked

    def submit(self, scan: Scan) -> None:
        """Keep ``scan`` for the next batch. An append of one line: no database, nothing to wait for."""
        with self._append_lock:
            if self._fd is None or self._fd_pid != os.getpid():
                self._fd = os.open(self._spool(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                self._fd_pid = os.getpid()
                self._closer = weakref.finalize(self, os.close, self._fd)
            # One write of one line: in the operating system's hands, a killed process loses nothing.
            os.write(self._fd, scan.line().encode())
        self._start_thread()

    def _close_spool(self) -> None:
        """Under ``_append_lock``: the next append opens a new spool file."""
        if self._fd is not None and self._fd_pid == os.getpid():
            self._closer()
        self._fd = None

    def _start_thread(self) -> None:
        interval = self.app.config.get("SCAN_FLUSH_SECONDS")
        if not interval or (self._thread is not None and self._thread.is_alive()):
            return
        with self._append_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, args=(interval,), name="scan-writer", daemon=True)
                self._thread.start()
                atexit.register(self._last_flush)

    def _last_flush(self) -> None:
        """A process stopping cleanly writes its spool on the way out (else the next process will)."""
        try:
            with self.app.app_context():
                self.flush()
        except Exception:
            log.warning("scans left in %s for the next process to write", self.directory, exc_info=True)

    def _run(self, interval: float) -> None:
        wait = interval
        while True:
            self._wake.wait(wait)
            self._wake.clear()
            try:
                with self.app.app_context():
                    self.flush()
                wait = interval
            except Exception:  # the database is away or busy: the spool stays, try again a little later
                log.warning("scans not written yet; they stay in %s", self.directory, exc_info=True)
                wait = min(wait * 2, 30.0)

    def flush(self) -> int:
        """Write every spooled scan now (this process's and any a dead process left); how many counted."""
        with self._flush_lock:
            claimed = self._claim()
            if not claimed:
                return 0
            scans = [scan for path in claimed for scan in _read(path)]
            with transactions.unit_of_work():
                counted = write(scans)
            for path in claimed:
                path.unlink(missing_ok=True)
            return counted

    def _claim(self) -> list[Path]:
        """Move the spools to write out of the way of new appends: ours, then those of dead processes."""
        claimed = []
        me = os.getpid()
        for path in sorted(self.directory.iterdir()):
            owner = path.name.split(".", 1)[0]
            if not owner.isdigit():
                continue
            if int(owner) == me and path.suffix == ".writing":
                claimed.append(path)  # a batch of ours that failed: written again, receipts keep it once
                continue
            if int(owner) != me and _alive(int(owner)):
                continue
            target = self.directory / f"{me}.{uuid.uuid4().hex[:12]}.writing"
            try:
                if int(owner) == me:
                    with self._append_lock:  # no append may land in a file being moved
                        self._close_spool()
                        path.rename(target)
                else:
                    path.rename(target)  # a dead process's file: only one claimant wins the rename
            except FileNotFoundError:
                continue
            claimed.append(target)
        return claimed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> list[Scan]:
    """The scans of a spool; a last line cut short (a process killed mid-append) is dropped."""
    scans = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:  # written and removed by another process meanwhile
        return []
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        try:
            scans.append(Scan.parse(line))
        except (ValueError, TypeError, KeyError):
            log.warning("unreadable scan line in %s dropped", path)
    return scans


_CREATING = threading.Lock()


def recorder(app: Flask | None = None) -> Recorder:
    """The application's one recorder in this process (two would write the same spool twice)."""
    app = app or current_app._get_current_object()
    found = app.extensions.get("scan_recorder")
    if found is None:
        with _CREATING:
            found = app.extensions.setdefault("scan_recorder", Recorder(app))
    return found


def allowed(scans: list[Scan]) -> list[Scan]:
    """The scans that count, in time order: the same address rescanning a unit within
    ``SCAN_REPEAT_MINUTES`` counts once, an address at most ``SCAN_CLIENT_PER_HOUR`` an hour, a unit
    at most ``SCAN_UNIT_PER_HOUR`` an hour. Judged against what is stored and what this batch keeps,
    with three aggregate queries whatever the batch's size and however many scans are stored.

    What is stored is counted from an hour before the batch's first scan (a batch spans a fraction of
    a second, and at most the time the database was away): a stored scan that leaves the hour while
    the batch runs still counts against it. Any difference errs towards not counting."""
    if not scans:
        return []
    config = current_app.config
    hour, repeat = dt.timedelta(hours=1), dt.timedelta(minutes=config["SCAN_REPEAT_MINUTES"])
    scans = sorted(scans, key=lambda s: s.scanned_at)
    first = scans[0].scanned_at
    clients = sorted({s.client for s in scans})
    units = sorted({s.unit_serial_id for s in scans})
    stored_by_client = _counted_since(UnitScan.client, clients, first - hour)
    stored_by_unit = _counted_since(UnitScan.unit_serial_id, units, first - hour)
    latest = {
        (client, unit): at
        for client, unit, at in db.session.execute(
            sa.select(UnitScan.client, UnitScan.unit_serial_id, sa.func.max(UnitScan.scanned_at))
            .where(
                UnitScan.client.in_(clients),
                UnitScan.unit_serial_id.in_(units),
                UnitScan.scanned_at > first - repeat,
            )
            .group_by(UnitScan.client, UnitScan.unit_serial_id)
        )
    }
    kept_by_client: dict[str, deque[dt.datetime]] = defaultdict(deque)  # this batch's, within the hour
    kept_by_unit: dict[int, deque[dt.datetime]] = defaultdict(deque)
    kept = []
    for s in scans:
        t = s.scanned_at
        last = latest.get((s.client, s.unit_serial_id))
        if repeat and last is not None and last > t - repeat:  # counted meanwhile, or just before
            continue
        mine, its = _within(kept_by_client[s.client], t - hour), _within(kept_by_unit[s.unit_serial_id], t - hour)
        if stored_by_client.get(s.client, 0) + len(mine) >= config["SCAN_CLIENT_PER_HOUR"]:
            continue
        if stored_by_unit.get(s.unit_serial_id, 0) + len(its) >= config["SCAN_UNIT_PER_HOUR"]:
            continue
        kept.append(s)
        latest[(s.client, s.unit_serial_id)] = t
        mine.append(t)
        its.append(t)
    return kept


def _counted_since(column, values: list, since: dt.datetime) -> dict:
    """Stored scans after ``since`` per value of ``column`` (an address, a unit): one statement."""
    query = sa.select(column, sa.func.count()).where(column.in_(values), UnitScan.scanned_at > since)
    return dict(db.session.execute(query.group_by(column)).all())


def _within(times: deque[dt.datetime], start: dt.datetime) -> deque[dt.datetime]:
    """``times`` (in order) without those at or before ``start``: the batch's scans still in the hour."""
    while times and times[0] <= start:
        times.popleft()
    return times


def write(scans: list[Scan]) -> int:
    """Store the scans that the counting limits allow, in the caller's transaction; how many."""
    counted = 0
    for start in range(0, len(scans), BATCH):
        batch = scans[start : start + BATCH]
        transactions.one_at_a_time("scan-writer")  # batches of all processes take turns (SQLite: IMMEDIATE)
        known = set(
            db.session.scalars(sa.select(UnitScan.receipt).where(UnitScan.receipt.in_([s.receipt for s in batch])))
        )
        fresh = [s for s in batch if s.receipt not in known]
        rows = [s.row() for s in allowed(fresh)]
        if rows:
            db.session.execute(sa.insert(UnitScan), rows)
            SCANS.inc(len(rows))
        counted += len(rows)
    return counted
