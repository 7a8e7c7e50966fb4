"""Benchmark of ``backup`` and ``restore`` while the API keeps writing.

    python benchmarks/backup.py [--events 20000] [--writers 2] [--database-url URL]

A throwaway database (a temporary SQLite file, or ``--database-url``: a PostgreSQL database created
if missing, its ``public`` schema DROPPED and recreated, and a second one named ``<name>_restore``
likewise) gets one organisation with ``--events`` harvests on its chain. ``--writers`` threads then
post harvests to ``/api/v1/harvests`` without pause. The anchor: the writes acknowledged per second
in the 3 s before the backup. Then ``backup`` runs (in this process, so its window is exactly the command's)
and the writes acknowledged while it runs are counted; the ratio of the two rates says what the
backup costs the writers. Printed: the backup's time, writes during it and their rate against the anchor, events in its checkpoint, then the restore's time
into the second database (its chain verified against the checkpoint), and whether every write
acknowledged before the backup began is in the restored copy.

This is a script, not a test: it reports, it never fails on a figure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sqlalchemy as sa

from benchmarks._database import empty_postgresql
from traceability import create_app
from traceability.events import checkpoint
from traceability.events.models import Event
from traceability.extensions import db

CONFIG = {"SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TRACEABILITY_ENV": "development"}


def seed(app, events: int):
    from tests.factories import days_ago, make_org, make_planting, make_plot, make_user
    from traceability.accounts.models import Role
    from traceability.accounts.tokens import create_token
    from traceability.lots import services as lots

    with app.app_context():
        db.create_all()
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        planting = make_planting(org, manager, make_plot(org, code="A3", area="9000000"))
        _row, token = create_token(manager, org, "bench")
        db.session.commit()
        for n in range(events):
            lots.record_harvest(
                org, manager, planting_id=planting.id, harvested_on=days_ago(0), quantity_kg=Decimal("1.5")
            )
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
        return org.id, planting.id, token


def writer(app, planting_id, token, acked, refused, stop):
    client = app.test_client()
    while not stop.is_set():
        key = str(uuid.uuid4())
        response = client.post(
            "/api/v1/harvests",
            json={"uuid": key, "planting_id": planting_id, "quantity_kg": "1.5"},
            headers={"Authorization": f"Bearer {token}"},
        )
        (acked if response.status_code == 201 else refused).append((time.monotonic(), key, response.status_code))


def flask(app, args):
    """The command in this process (the copy's window is then exactly the command's), timed."""
    started = time.perf_counter()
    done = app.test_cli_runner().invoke(args=args)
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    if options.database_url:
        parsed = sa.make_url(options.database_url)
        url = empty_postgresql(parsed)
        target = empty_postgresql(parsed.set(database=f"{parsed.database}_restore"))
    else:
        url, target = f"sqlite:///{work / 'live.db'}", f"sqlite:///{work / 'restored.db'}"
    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    started = time.perf_counter()
    org_id, planting_id, token = seed(app, options.events)
    print(
        f"{sa.make_url(url).get_backend_name()}: seeded {options.events} events in {time.perf_counter() - started:.1f} s"
    )

    acked, refused, stop = [], [], threading.Event()
    threads = [
        threading.Thread(target=writer, args=(app, planting_id, token, acked, refused, stop), daemon=True)
        for _ in range(options.writers)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)  # warm
    anchor_from, anchor_n = time.monotonic(), len(acked)
    time.sleep(3)
    anchor_rate = (len(acked) - anchor_n) / (time.monotonic() - anchor_from)

    copy = work / "copy.backup"
    before = {key for _t, key, _s in acked}
    began = time.monotonic()
    seconds, done = flask(app, ["backup", "-o", str(copy)])
    ended = time.monotonic()
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join()
    during = sum(1 for t, _k, _s in acked if began <= t <= ended)
    marks = checkpoint.loads(done.stdout) if done.exit_code == 0 else []
    print(f"anchor: {anchor_rate:.0f} writes/s with {options.writers} writers and no backup")
    print(
        f"backup: exit {done.exit_code}, {seconds:.2f} s;"
        f" {during} writes during it ({during / seconds:.0f}/s, {during / seconds / anchor_rate:.2f}× the anchor);"
        f" {sum(m.count for m in marks)} events in its checkpoint; {len(refused)} writes refused"
        f" {sorted({s for _t, _k, s in refused})}"
    )
    if done.exit_code:
        print(done.output)
        return
    restored = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": target})
    seconds, done = flask(restored, ["restore", str(copy)])
    print(f"restore: exit {done.exit_code}, {seconds:.2f} s, its chain verified against the checkpoint")
    if done.exit_code:
        print(done.output)
        return
    with restored.app_context():
        found = set(db.session.scalars(sa.select(Event.uuid).where(Event.organisation_id == org_id)))
        db.engine.dispose()
    print(f"restored copy: {len(before - found)} of {len(before)} writes acknowledged before the backup missing")
    print(f"copy size: {copy.stat().st_size / 1e6:.1f} MB in {work}")


if __name__ == "__main__":
    main()
