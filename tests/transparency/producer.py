"""A producer's server in a process of its own, for the witness tests: its own SQLite file and keys.

    python tests/transparency/producer.py DIR serve PORT WITNESS_VKEY
    python tests/transparency/producer.py DIR grow        # two more harvests
    python tests/transparency/producer.py DIR rewrite     # a spray moved back, the chain and tree rebuilt
    python tests/transparency/producer.py DIR truncate    # the newest events and the tree after them gone
    python tests/transparency/producer.py DIR rotate      # a new signing key, and one more harvest

Each command is a separate process on the same files, as an operator's tools would be.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import TEST_CONFIG  # noqa: E402
from tests.factories import make_harvest, make_logged_season  # noqa: E402
from traceability import create_app  # noqa: E402
from traceability.accounts.models import Organisation, User  # noqa: E402
from traceability.events import chain  # noqa: E402
from traceability.events.models import Event  # noqa: E402
from traceability.extensions import db  # noqa: E402
from traceability.farm.models import Planting  # noqa: E402
from traceability.transparency import checkpoints  # noqa: E402


def _app(folder: Path, **config):
    return create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'producer.db'}",
            "LOG_KEYS_DIR": str(folder / "keys"),
            "SCAN_SPOOL_DIR": str(folder / "spool"),
            "CHECKPOINT_SECONDS": 0,
            **config,
        }
    )


def _org():
    return db.session.scalar(db.select(Organisation).where(Organisation.code == "tay-hoang"))


def _grow(count: int) -> None:
    planting = db.session.scalars(db.select(Planting)).first()
    manager = db.session.scalars(db.select(User)).first()
    for _ in range(count):
        make_harvest(_org(), manager, planting, days_ago_=0, kg="10")


def _raw(folder: Path, statements: list[tuple[str, tuple]]) -> None:
    """Behind the application's back: no triggers, no foreign keys (the app's reads ended first)."""
    db.session.commit()
    connection = sqlite3.connect(folder / "producer.db", isolation_level=None, timeout=30)
    connection.execute("PRAGMA foreign_keys = OFF")
    for name in ("events_no_update", "events_no_delete"):
        connection.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement, values in statements:
        connection.execute(statement, values)
    connection.close()


def main(folder: Path, command: str, *args: str) -> None:
    if command == "serve":
        from werkzeug.serving import make_server

        app = _app(folder, LOG_WITNESSES=(args[1],))
        if not (folder / "producer.db").exists():
            with app.app_context():
                db.create_all()
                make_logged_season()
                db.session.commit()
        server = make_server("127.0.0.1", int(args[0]), app, threaded=True)
        print("ready", flush=True)
        server.serve_forever()
    app = _app(folder)
    with app.app_context():
        if command == "grow":
            _grow(2)
        elif command == "rewrite":
            org = _org()
            events = db.session.scalars(
                db.select(Event).where(Event.organisation_id == org.id).order_by(Event.id)
            ).all()
            spray = next(e for e in events if e.kind.value == "input_application")
            moved = (spray.occurred_on - dt.timedelta(days=5)).isoformat()
            _raw(folder, [("UPDATE events SET occurred_on = ? WHERE id = ?", (moved, spray.id))])
            db.session.expire_all()
            previous, changes = spray.prev_hash, []
            for event in db.session.scalars(db.select(Event).where(Event.id >= spray.id).order_by(Event.id)):
                digest = chain.digest(event, previous)
                changes.append(("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (previous, digest, event.id)))
                previous = digest
            # The whole derived log rebuilt to match, as an operator covering the tracks would.
            tables = ("log_cosignatures", "log_checkpoints", "log_nodes", "log_leaves")
            _raw(folder, changes + [(f"DELETE FROM {table}", ()) for table in tables])
        elif command == "rotate":  # a new key the witnesses were not told of
            from traceability.transparency import keys

            keys.rotate("tay-hoang")
            _grow(1)
        elif command == "truncate":
            org = _org()
            newest = db.session.scalars(
                db.select(Event.id).where(Event.organisation_id == org.id).order_by(Event.id.desc()).limit(2)
            ).all()
            marks = ", ".join(map(str, newest))
            tables = ("log_cosignatures", "log_checkpoints", "log_nodes", "log_leaves")
            _raw(
                folder,
                [
                    (f"DELETE FROM lots WHERE event_id IN ({marks})", ()),
                    (f"DELETE FROM events WHERE id IN ({marks})", ()),
                ]
                + [(f"DELETE FROM {table}", ()) for table in tables],
            )
        db.session.commit()
        db.session.remove()
        assert chain.verify(_org_id()).ok  # every rewrite leaves a chain that links
        checkpoints.make(db.session.get(Organisation, _org_id()), now=True)
        db.session.commit()


def _org_id() -> int:
    return db.session.scalar(db.select(Organisation.id).where(Organisation.code == "tay-hoang"))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], *sys.argv[3:])
