"""Scans never fail or slow the page: spooled by the request, written in batches beside it.

A crowd scanning hundreds of serials at once (every answer 200, every scan stored exactly once by
the rules), the database unable to take a scan at that instant (the page answers; the scan is
written moments later), and a serving process killed before writing its spool (the next process
writes it, once)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from tests.core.test_parallel_requests_that_write import all_at_once
from tests.factories import make_bagged_lot, scan, written_scans
from traceability.database import utcnow
from traceability.extensions import db
from traceability.lots.models import UnitSerial
from traceability.scans.models import UnitScan
from traceability.scans.recorder import Scan, recorder

CLIENTS = 64
SERIALS = 500


def test_64_clients_scanning_500_serials_at_once_all_answer_and_count_once(app):
    app.config["SCAN_FLUSH_SECONDS"] = 0.05  # the writer thread runs while the crowd scans
    with app.app_context():
        lot = make_bagged_lot(harvests=3, units=SERIALS)
    units = [f"{lot['url']}/21/{serial}" for serial in lot["serials"]]

    def buyer(i, _client):
        client = app.test_client()
        mine = units[i::CLIENTS]  # about 8 serials each, each scanned twice (a reload counts once)
        return [scan(client, url, f"10.64.{i}.1").status_code for url in mine + mine]

    results = all_at_once(CLIENTS, buyer)
    statuses = Counter(s for r in results for s in (r if isinstance(r, list) else [repr(r)]))
    assert statuses == {200: 2 * SERIALS}
    assert written_scans(app) == SERIALS
    with app.app_context():
        per_unit = Counter(db.session.scalars(sa.select(UnitScan.unit_serial_id)))
        assert set(per_unit.values()) == {1} and len(per_unit) == SERIALS
    assert not list(recorder(app).directory.iterdir())  # nothing left in the spool


def _hold_the_write_lock(app, release: threading.Event, held: threading.Event) -> None:
    """Another writer holds what the scan writer needs (SQLite: the write lock; PostgreSQL: its turn)."""
    with app.app_context():
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("SELECT 1")  # its transaction begins IMMEDIATE (database._sqlite_begin)
            else:
                conn.execute(sa.select(sa.func.pg_advisory_lock(sa.func.hashtext("scan-writer"))))
            held.set()
            release.wait(10)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("ROLLBACK")
            else:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(sa.func.hashtext("scan-writer"))))


def test_the_page_answers_while_the_database_cannot_take_the_scan(app):
    app.config["SCAN_FLUSH_SECONDS"] = 0.05
    with app.app_context():
        lot = make_bagged_lot()
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_the_write_lock, args=(app, release, held))
    holder.start()
    held.wait(5)
    try:
        started = time.monotonic()
        response = scan(app.test_client(), f"{lot['url']}/21/{lot['serials'][0]}")
        assert response.status_code == 200 and time.monotonic() - started < 2
        assert "Số lần quét: 1" in response.get_data(as_text=True)
        time.sleep(0.5)  # the writer has tried meanwhile, and waits
        with app.test_request_context("/"):  # a GET's read: it does not wait for the write lock
            assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitScan)) == 0
    finally:
        release.set()
        holder.join()
    deadline = time.monotonic() + 10
    stored = 0
    while stored == 0 and time.monotonic() < deadline:  # written moments later by the thread, not by a flush here
        time.sleep(0.05)
        with app.test_request_context("/"):  # a read that never holds the write lock the writer waits for
            stored = db.session.scalar(sa.select(sa.func.count()).select_from(UnitScan))
            db.session.rollback()
    assert stored == 1


KILLED_WRITER = """
import os, sys
sys.path.insert(0, {root!r})
from traceability import create_app
from traceability.scans.recorder import Scan, recorder
from traceability.database import utcnow
app = create_app({config!r})
with app.app_context():
    spool = recorder(app)
    for n, unit_id in enumerate({unit_ids!r}):
        spool.submit(Scan.new({org_id}, unit_id, agent="Zalo · Android", client=f"killed{{n}}", at=utcnow()))
    with spool._spool().open("a") as f:
        f.write('{{"organisation_id": {org_id}, "unit_ser')  # killed in the middle of an append
    os.kill(os.getpid(), 9)
"""


def test_a_spool_left_by_a_killed_process_is_written_once(app, tmp_path):
    with app.app_context():
        lot = make_bagged_lot()
        unit_ids = list(db.session.scalars(sa.select(UnitSerial.id).where(UnitSerial.lot_id == lot["lot_id"])))
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SCAN_SPOOL_DIR": app.config["SCAN_SPOOL_DIR"],
        "SCAN_FLUSH_SECONDS": 0,
    }
    script = KILLED_WRITER.format(
        root=str(Path(__file__).resolve().parents[2]), config=config, unit_ids=unit_ids, org_id=lot["org_id"]
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9, killed.stderr
    left = list(Path(app.config["SCAN_SPOOL_DIR"]).iterdir())
    assert len(left) == 1 and left[0].suffix == ".jsonl" and left[0].stat().st_size > 0
    assert written_scans(app) == len(unit_ids)  # the torn last line is dropped, the rest written
    assert written_scans(app) == len(unit_ids) and not list(Path(app.config["SCAN_SPOOL_DIR"]).iterdir())


def test_a_spool_written_twice_stores_each_scan_once(app):
    """Killed between the commit and removing the file: the next flush finds the same scans again."""
    with app.app_context():
        lot = make_bagged_lot()
        unit_id = db.session.scalar(sa.select(UnitSerial.id).where(UnitSerial.lot_id == lot["lot_id"]))
        spool = recorder(app)
        scans = [Scan.new(lot["org_id"], unit_id, agent="Safari · iOS", client=f"c{n}", at=utcnow()) for n in range(3)]
        for s in scans:
            spool.submit(s)
        copy = spool.directory / f"{os.getpid()}.jsonl"
        kept = copy.read_text()
        spool.flush()
        copy.write_text(kept)  # as if the file had not been removed
    assert written_scans(app) == 3
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(UnitScan.receipt)))) == 3


def test_a_server_stopping_cleanly_writes_its_spool_on_the_way_out(app, tmp_path):
    """gunicorn told to stop (SIGTERM) before its writer's turn: the scan is written as it exits."""
    import signal
    import socket
    import urllib.request

    from tests.factories import BROWSER

    with app.app_context():
        lot = make_bagged_lot()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SCAN_FLUSH_SECONDS": "600",  # the writer's turn never comes while it runs
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "traceability:create_app()"],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        url = f"http://127.0.0.1:{port}{lot['url']}/21/{lot['serials'][0]}"
        status = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=BROWSER), timeout=5) as page:
                    status = page.status
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200, (tmp_path / "gunicorn.log").read_text()
        time.sleep(0.2)
        assert written_scans(app) == 0  # still in the server's spool
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        log.close()
    assert not list((tmp_path / "instance" / "scan-spool").iterdir())
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitScan)) == 1
