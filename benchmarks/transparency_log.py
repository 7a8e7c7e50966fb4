"""The Merkle-tree log's costs, each against an anchor measured in the same run.

1. Appending: ``--append`` events recorded through ``events.services.record_event`` (the hash chain:
   the anchor), then the tree extended over them (``transparency.tree.extend``, as a checkpoint
   does). Printed: the cost per event of each, and (chain + tree) ÷ chain. Target ≤ 1.5.
2. At ``--events`` already in the log (synthetic rows, loaded in bulk with their tree first), the
   same append is measured again, so the ratio is read at 10k and at 1M.
3. A lot page's proofs: 50 events, their inclusion proofs to the newest checkpoint
   (``transparency.proofs.for_events``), median and p95 time of ``--repeat`` runs, the most hashes
   in one proof (target ≤ 25), and the size of that JSON (target ≤ 30 KB for 50 events); once for
   events picked across the whole log (the worst case), once for events within the last 5,000 (a
   season, as a real lot's are).

    python benchmarks/transparency_log.py --events 10000
    python benchmarks/transparency_log.py --events 1000000 --database-url postgresql+psycopg://…/benchdb

Misses are printed, never raised. The database is a temporary SQLite file unless one is named; a
PostgreSQL one has its public schema dropped first.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sqlalchemy as sa

from benchmarks._database import describe_server, prepare_database
from traceability import create_app
from traceability.clock import local_today
from traceability.database import utcnow
from traceability.events.models import Event, EventKind
from traceability.events.services import record_event
from traceability.extensions import db
from traceability.transparency import checkpoints, tree
from traceability.transparency.proofs import for_events

CONFIG = {"SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TRACEABILITY_ENV": "development"}
LOT_EVENTS = 50
SEASON = 5_000  # a lot's events as a cooperative logs them: one season among its other records


def _load(org_id: int, user_id: int, count: int) -> None:
    """``count`` synthetic events in bulk (their hashes random: the tree does not read content)."""
    today, now = local_today(), utcnow()
    for start in range(0, count, 20_000):
        rows = [
            {
                "organisation_id": org_id,
                "kind": EventKind.CERTIFICATE,
                "occurred_on": today,
                "recorded_at": now,
                "recorded_by_id": user_id,
                "payload": {"n": n},
                "hash": hashlib.sha256(str(n).encode()).hexdigest(),
                "prev_hash": None,
            }
            for n in range(start, min(count, start + 20_000))
        ]
        db.session.execute(sa.insert(Event), rows)
        db.session.commit()


def _append(org, user, count: int) -> tuple[float, float]:
    """Seconds to record ``count`` events on the chain, then to extend the tree over them."""
    started = time.perf_counter()
    for n in range(count):
        record_event(org, EventKind.CERTIFICATE, occurred_on=local_today(), recorded_by=user, payload={"bench": n})
        if n % 200 == 199:
            db.session.commit()
    db.session.commit()
    chained = time.perf_counter()
    tree.extend(org.id)
    db.session.commit()
    return chained - started, time.perf_counter() - chained


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000, help="events in the log before the measured append")
    parser.add_argument("--append", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tlog-bench-"))
    url = prepare_database(args.database_url, workdir, filename="tlog.db")
    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url, "LOG_KEYS_DIR": str(workdir / "keys")})
    from tests.factories import make_org, make_user
    from traceability.accounts.models import Role

    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            print(describe_server(conn))
        org = make_org("tay-hoang")
        user = make_user(org, Role.MANAGER, login="0911111111")
        db.session.commit()
        started = time.perf_counter()
        _load(org.id, user.id, args.events)
        tree.extend(org.id)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # the planner's statistics, as a live server has them
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        print(f"loaded {args.events:,} events and their tree in {time.perf_counter() - started:.1f} s")
        chain_s, tree_s = _append(org, user, args.append)
        per_chain, per_tree = 1e3 * chain_s / args.append, 1e3 * tree_s / args.append
        ratio = (chain_s + tree_s) / chain_s
        print(
            f"append at {args.events:,}: chain {per_chain:.3f} ms/event (anchor), tree {per_tree:.3f} ms/event, "
            f"(chain + tree) / chain = {ratio:.2f}  [target <= 1.5]{'' if ratio <= 1.5 else '  MISS'}"
        )
        checkpoints.make(org, now=True)
        db.session.commit()
        size = tree.size(org.id)
        ids = db.session.scalars(sa.select(Event.id).where(Event.organisation_id == org.id)).all()
        spread = random.Random(1).sample(ids, LOT_EVENTS)
        season = sorted(random.Random(2).sample(ids[-SEASON:], LOT_EVENTS))
        for label, lot in (("spread over the whole log", spread), (f"within its last {SEASON:,} events", season)):
            _proofs(org.id, lot, label, size, args.repeat)


def _proofs(org_id: int, lot: list[int], label: str, size: int, repeat: int) -> None:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        found = for_events(org_id, lot)
        times.append(1e3 * (time.perf_counter() - began))
    longest = max(len(e["proof"]) for e in found["events"])
    body = len(json.dumps(found, separators=(",", ":")).encode())
    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
    print(
        f"proofs of {LOT_EVENTS} events {label}, tree of {size:,}: median {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms [target <= 20]{'' if p95 <= 20 else '  MISS'}; at most {longest} hashes per event "
        f"[target <= 25]; JSON {body / 1024:.1f} KB [target <= 30]{'' if body <= 30 * 1024 else '  MISS'}"
    )


if __name__ == "__main__":
    main()
