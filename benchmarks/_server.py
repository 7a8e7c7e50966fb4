"""The server's side of ``benchmarks/offline_sync.py``: the demo data and the records a member would queue on
it, gunicorn with an access log that counts bytes, and the rows written."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import _browser
import sqlalchemy as sa
from public_page import describe_server

from traceability import create_app, demo
from traceability.accounts.models import Organisation, User
from traceability.cli import upgrade_database
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.services.field import field_lists
from traceability.farm.services.seasons import harvest_blocks
from traceability.offline.views import ASSETS, OFFLINE_PAGES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MEMBER = "0900000003"
ORG = "tay-hoang"


def load_demo_and_plan(n_records: int) -> dict:
    """Schema and demo data; the member's seasons and the records to queue (as field.js would build them)."""
    app = create_app({"EMBEDDED_WORKER": False})
    with app.app_context():
        upgrade_database()
        demo.load()
        db.session.commit()
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == ORG))
        member = db.session.scalar(sa.select(User).where(User.phone == MEMBER))
        lists = field_lists(org, member)
        today = local_today()
        sprays = [p for p in lists.products if p.phi_days]
        fertilisers = [p for p in lists.products if p.kind.value == "fertiliser"]
        seasons = []
        for p in lists.plantings:
            days = [p.sown_on + dt.timedelta(days=n) for n in range((today - p.sown_on).days)]  # before today
            # A harvest on a day no interval blocks (the app's own rule); sprays after the last such day.
            open_days = [
                d for d in days if (b := harvest_blocks([p.id], on=d).get(p.id)) is None or d >= b.harvest_from
            ]
            open_days = _browser.last_run(open_days)  # the picks after the last interval ended, not days after sowing
            later = [d for d in days if open_days and d > open_days[-1]]
            seasons.append((p, open_days, later, days))
        records = []
        for n in range(n_records):
            p, open_days, later, days = seasons[n % len(seasons)]
            kind = ("harvest", "spray", "fertiliser")[n % 3]
            if kind == "harvest" and not open_days:
                kind = "fertiliser"
            if kind == "spray" and not later:
                kind = "fertiliser"
            records.append(_browser.field_record(n, kind, p, open_days, later or days, sprays, fertilisers))
        info = {
            "org_id": org.id,
            "server": describe_server(db.session.connection()),
            "plantings": [(p.plot_name, p.sown_on, len(o), len(s)) for p, o, s, _d in seasons],
            "products": len(lists.products),
            "assets": ["/static/" + a for a in ASSETS] + ["/offline"],
            "pages": list(OFFLINE_PAGES.values()),
            "records": records,
        }
        db.session.remove()
        db.engine.dispose()
    return info


def counts(url: str, uuids: list[str] = (), photo_uuids: list[str] = ()) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in ("events", "photos", "lots")}
        for name, table, keys in (("our_events", "events", uuids), ("our_photos", "photos", photo_uuids)):
            query = sa.text(f"SELECT count(*) FROM {table} WHERE uuid IN :keys").bindparams(
                sa.bindparam("keys", expanding=True)
            )
            found[name] = conn.scalar(query, {"keys": list(keys)}) if keys else 0
    engine.dispose()
    return found


class AccessLog:
    """gunicorn's access log, read in slices: (method, path, status, body bytes sent, request Content-Length)."""

    FORMAT = "%(m)s %(U)s %(s)s %(B)s %({content-length}i)s"

    def __init__(self, path: Path):
        self.path, self.offset = path, 0

    def since(self) -> list[tuple[str, str, int, int, int]]:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        lines = [line.split(" ") for line in text.decode().splitlines() if line.count(" ") == 4]
        return [(m, p, int(s), int(b), 0 if n == "-" else int(n)) for m, p, s, b, n in lines]


def start_gunicorn(port: int, workers: int, log_path: Path, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(PROJECT_ROOT), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--worker-class", "sync", "--error-logfile", str(log_path / "error.log")]
    command += ["--access-logfile", str(log_path / "access.log"), "--access-logformat", AccessLog.FORMAT]
    command += ["--no-sendfile", "wsgi:app"]  # with sendfile gunicorn logs 0 bytes for static files
    print("$ gunicorn " + " ".join(command[4:]), flush=True)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
