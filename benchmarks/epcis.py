"""The EPCIS interface at ``--events`` stored events (1M by default), each figure against an anchor measured in
the same run.

1. ``GET /epcis/events`` for one lot's history (``MATCH_anyEPCClass``: the lot's five events) and for a day's
   events (``GE_eventTime``/``LT_eventTime``: about 2,700), a first page and a later one (``nextPageToken``),
   ``perPage=100``, through the app (token, parsing, the query, the JSON document). Anchor: the same page's
   SQL alone. Target: ≤ 100 ms a page.
2. ``POST /epcis/capture`` of a 1,000-event supplier document (all new), then the same document again (all
   known). Anchor: GS1's JSON Schema checking that document alone, the least any conformant capture does.
   Target: ≥ 500 events/s.

    python benchmarks/epcis.py --events 10000
    python benchmarks/epcis.py --events 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5433/bench

The events are synthetic (a year of a province's lots, five events each: harvest, processing in and out,
packing, sale), loaded in bulk with their identifiers; the capture runs through the real service. Misses are
printed, never raised. The database is a temporary SQLite file unless one is named; a PostgreSQL one has its
public schema dropped first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sqlalchemy as sa
from flask import request

from benchmarks._database import describe_server, prepare_database
from traceability import create_app
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.epcis import query as epcis_query
from traceability.epcis import schema
from traceability.epcis.models import EpcisEvent, EpcisIdentifier, Origin
from traceability.extensions import db

CONFIG = {"SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TRACEABILITY_ENV": "development"}
GTIN = "09520123456788"  # GS1's example prefix 952
STEPS = ("commissioning", "creating_class_instance", "creating_class_instance", "packing", "shipping")
START = dt.datetime(2026, 1, 1, 1, 0)
CAPTURED = 1000


def _lot(n: int) -> str:
    return f"https://id.gs1.org/01/{GTIN}/10/L{n // 5}"


def _load(org_id: int, count: int, say) -> None:
    """``count`` events over a year, five to a lot, each with the identifier it names."""
    minutes = 365 * 24 * 60 / count
    batch = 20_000
    for start in range(0, count, batch):
        events, names = [], []
        for n in range(start, min(count, start + batch)):
            moment = START + dt.timedelta(minutes=n * minutes)
            hashed = f"ni:///sha-256;{n:064x}?ver=CBV2.0"
            document = {
                "type": "ObjectEvent",
                "eventTime": f"{moment.isoformat(timespec='seconds')}Z",
                "eventTimeZoneOffset": "+07:00",
                "eventID": hashed,
                "action": "OBSERVE",
                "bizStep": STEPS[n % 5],
                "quantityList": [{"epcClass": _lot(n), "quantity": 100, "uom": "KGM"}],
                "bizLocation": {"id": "https://id.gs1.org/414/9520123000011"},
            }
            events.append(
                {
                    "id": n + 1,
                    "organisation_id": org_id,
                    "origin": Origin.OWN,
                    "event_hash": hashed,
                    "event_type": "ObjectEvent",
                    "event_time": moment,
                    "record_time": moment,
                    "biz_step": STEPS[n % 5],
                    "biz_location": "https://id.gs1.org/414/9520123000011",
                    "public": False,
                    "document": document,
                }
            )
            names.append(
                {"organisation_id": org_id, "epcis_event_id": n + 1, "field": "quantityList", "value": _lot(n)}
            )
        db.session.execute(sa.insert(EpcisEvent), events)
        db.session.execute(sa.insert(EpcisIdentifier), names)
        db.session.commit()
        if start % 200_000 == 0:
            say(f"  loaded {start + len(events):,} events")
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('epcis_events', 'id'), :n)"), {"n": count})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE epcis_events")
            conn.exec_driver_sql("ANALYZE epcis_identifiers")


def _median_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def _timed(call, repeat: int) -> list[float]:
    call()
    call()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def _supplier_document(tag: str) -> dict:
    events = []
    for n in range(CAPTURED):
        lot = f"https://id.gs1.org/01/09520123450014/10/{tag}{n // 2}"
        events.append(
            {
                "type": "ObjectEvent",
                "eventTime": (START + dt.timedelta(minutes=n)).isoformat() + "+07:00",
                "eventTimeZoneOffset": "+07:00",
                "action": "ADD" if n % 2 == 0 else "OBSERVE",
                "bizStep": "commissioning" if n % 2 == 0 else "shipping",
                "quantityList": [{"epcClass": lot, "quantity": 50 + n % 7, "uom": "KGM"}],
                "readPoint": {"id": "https://id.gs1.org/414/9520123000028/254/VUON-2"},
            }
        )
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T08:00:00+07:00",
        "epcisBody": {"eventList": events},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-epcis-"))
    url = prepare_database(args.database_url, workdir, filename="epcis.db")
    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url, "LOG_KEYS_DIR": str(workdir / "keys")})
    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            print(f"{describe_server(conn)}, {args.events:,} stored events")
        from tests.factories import make_org, make_user

        org = make_org("bench")
        _row, token = create_token(make_user(org, Role.MANAGER, login="0911111111"), org, "bench")
        db.session.commit()
        started = time.perf_counter()
        _load(org.id, args.events, print)
        print(f"loaded in {time.perf_counter() - started:.0f} s")
        org_id = org.id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    probe = args.events // 2
    day = (START + dt.timedelta(minutes=probe * 365 * 24 * 60 / args.events)).date()
    queries = {
        "lot history": f"/epcis/events?perPage=100&MATCH_anyEPCClass={quote(_lot(probe), safe='')}",
        "day, page 1": f"/epcis/events?perPage=100&GE_eventTime={day}T00:00:00%2B07:00&LT_eventTime={day + dt.timedelta(days=1)}T00:00:00%2B07:00",
    }
    path = queries["day, page 1"]
    for _page in range(2):  # the third page of the day, when it has one (at 1M: about 2,700 events a day)
        link = client.get(path, headers=headers).headers.get("Link")
        if not link:
            break
        path = link[link.index("/epcis") : link.index(">")]
    else:
        queries["day, page 3"] = path
    print(f"\n{'query':<14} {'events':>6} {'app median':>10} {'p95':>7} {'SQL alone':>9} {'ratio':>6}  target ≤ 100 ms")
    for name, path in queries.items():
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        served = answer.json["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert schema.errors(answer.json) == []
        median, p95 = _median_p95(_timed(lambda p=path: client.get(p, headers=headers), args.repeat))
        with app.test_request_context(path, headers=headers):
            parsed = epcis_query.parse(request.args)
            scope = epcis_query.Scope(org_id)
            sql_median, _p = _median_p95(_timed(lambda s=scope, q=parsed: epcis_query.run(s, q), args.repeat))
            db.session.remove()
        miss = "" if p95 <= 100 else "  MISS"
        print(
            f"{name:<14} {len(served):>6} {median:>8.1f}ms {p95:>5.1f}ms {sql_median:>7.1f}ms {median / sql_median:>6.1f}{miss}"
        )

    document = _supplier_document("B")
    body = json.dumps(document).encode()
    started = time.perf_counter()
    assert schema.errors(json.loads(body)) == []
    validated = time.perf_counter() - started
    rounds = []
    for attempt in ("new", "known"):
        started = time.perf_counter()
        response = client.post("/epcis/capture", data=body, headers={**headers, "Content-Type": "application/json"})
        seconds = time.perf_counter() - started
        job = client.get(response.headers["Location"], headers=headers).json
        assert job["success"], job["errors"][:3]
        rounds.append((attempt, seconds, job["eventsStored"]))
    print(
        f"\ncapture of {CAPTURED:,} events ({len(body) / 1024:.0f} KB); anchor: the JSON Schema alone {validated * 1000:.0f} ms"
    )
    for attempt, seconds, stored in rounds:
        rate = CAPTURED / seconds
        miss = "" if rate >= 500 else "  MISS"
        print(
            f"  {attempt:<6} {seconds * 1000:>6.0f} ms  {rate:>6.0f} events/s  stored {stored:>5}  ÷ schema {seconds / validated:>4.1f}  target ≥ 500/s{miss}"
        )


if __name__ == "__main__":
    main()
