"""Benchmark of the public pages a label's QR code opens, served by gunicorn, measured with wrk.

    python benchmarks/public_page.py [--duration 10] [--rounds 2] [--configs sync,gthread]
                                     [--pages unit,lot,linkset] [--serials 500] [--addresses 1]
                                     [--database-url URL]

Builds a throwaway instance folder and database (a temporary SQLite file unless ``--database-url``
names one; a PostgreSQL database is created if missing and its ``public`` schema DROPPED and
recreated), creates the schema with the migrations and loads the demo data, as
``flask --app traceability demo`` does. It then serves ``benchmarks/public_page_app.py`` with
gunicorn on 127.0.0.1: the app ``create_app()`` builds from the environment (production mode, a
SECRET_KEY, the same DATABASE_URL and INSTANCE_PATH) plus a bare ``/hello`` route returning "hello".

Three answers are measured, each against ``/hello`` on the same server in the same run:

- ``unit``: a unit's page, ``<lot page>/21/<serial>``, which counts a scan on every GET. wrk cycles
  through ``--serials`` (500) different units, packing more units with serials first when the demo
  data has fewer. The scan limits (``SCAN_REPEAT_MINUTES``, ``SCAN_CLIENT_PER_HOUR``,
  ``SCAN_UNIT_PER_HOUR``) are lifted, so that every GET from this one address writes a scan row: the
  worst case. After each run the rows written are counted against wrk's requests, then deleted, so
  that every run starts from the same table. All from one client, whose scans take turns on
  PostgreSQL; ``--addresses N`` sends them from N addresses (``X-Forwarded-For``, one proxy
  trusted). Target: ≥ 0.5 of ``/hello`` and no answer but 2xx.
- ``lot``: the lot page of the first sale lot of turmeric starch (product ``TBN``, which has a GTIN),
  ``/01/<gtin14>/10/<lot>``: the same for every buyer, served from the page cache. Target: ≥ 0.6.
- ``linkset``: the lot page URL with ``?linkType=linkset``, the JSON (``application/linkset+json``)
  a GS1 resolver lists. Target: ≥ 0.6.

Every request, ``/hello`` included, carries the headers of a phone's in-app browser opening a link
(``User-Agent`` of Zalo on Android, ``Accept: text/html…``, ``Sec-Fetch-Mode: navigate``) and no
``If-None-Match``, so every answer is a full one. Each server configuration (``sync``: 2 sync
workers; ``gthread``: 4 workers × 4 threads) is started in turn; in each, wrk (``-t2 -c8``) runs
``/hello`` then each page, for ``--rounds`` rounds. A Lua script counts wrk's answers by status: any
but 2xx is a miss. Before wrk each page is fetched once (status, size, headers) and, in-process with
Flask's test client, its SQL statements are counted and a few renders timed. Gunicorn's error log is
read after each configuration. Absolute figures depend on the machine, the ratios much less.

This is a script, not a test: it prints the misses, it never fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))  # run from anywhere, installed or not
sys.path.insert(0, str(BENCH_DIR))
from _database import describe_server, prepare_database
from _server import (
    WRK_SCRIPT,
    check_answers,
    describe_run,
    free_port,
    run_wrk,
    scan_log,
    serve_bench_app,
    stop_gunicorn,
    wait_ready,
)

PRODUCT_CODE = "TBN"  # Tinh bột nghệ Lai Hà: a product with a GTIN and a full journey in the demo data
IN_PROCESS_RENDERS = 20
TARGETS = {"unit": 0.5, "lot": 0.6, "linkset": 0.6}
CONFIGS = {"sync": (2, 0), "gthread": (4, 4)}  # workers, threads (0: sync workers)
HEADERS = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 12; SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 Zalo android/12",
    "Accept": "text/html,application/xhtml+xml",
    "Sec-Fetch-Mode": "navigate",
}
# Not settable from the environment: given to create_app, in-process and in gunicorn (BENCH_APP_CONFIG).
UNLIMITED_SCANS = {"SCAN_REPEAT_MINUTES": 0, "SCAN_CLIENT_PER_HOUR": 10**9, "SCAN_UNIT_PER_HOUR": 10**9}


def say(*args) -> None:
    print(*args, flush=True)


def config_name(name: str) -> str:
    workers, threads = CONFIGS[name]
    return f"{workers}×{threads} gthread" if threads else f"{workers} sync"


# ---------------------------------------------------------------------------------------------
# The demo data, the paths, the in-process figures
# ---------------------------------------------------------------------------------------------


def unit_serials(lot, wanted: int) -> list:
    """``wanted`` units of sale lots, the measured lot's first; units packed from its source if too few."""
    from traceability.accounts.models import Organisation
    from traceability.clock import local_today
    from traceability.events.models import Event
    from traceability.extensions import db
    from traceability.lots.models import Lot, LotKind, LotLink, UnitSerial
    from traceability.lots.processing import pack

    def found():
        query = sa.select(UnitSerial).join(Lot, Lot.id == UnitSerial.lot_id).where(Lot.kind == LotKind.SALE)
        first = sa.case((UnitSerial.lot_id == lot.id, 0), else_=1)
        return db.session.scalars(query.order_by(first, UnitSerial.id).limit(wanted)).all()

    units = found()
    if len(units) < wanted:
        source = db.session.scalar(
            sa.select(Lot).join(LotLink, LotLink.input_lot_id == Lot.id).where(LotLink.output_lot_id == lot.id)
        )
        packer = db.session.get(Event, lot.event_id).recorded_by
        say(f"the demo data has {len(units)} unit serials: packing {wanted - len(units)} more from {source.code}")
        pack(
            db.session.get(Organisation, lot.organisation_id),
            packer,
            source_lot_code=source.code,
            product_code=lot.product.code,
            units=wanted - len(units),
            net_content=Decimal(1),  # 1 g or 1 ml: the source lot has enough left
            net_unit=lot.net_unit,
            packed_on=local_today(),
            serials=True,
        )
        db.session.commit()
        units = found()
    return units


def in_process(app, paths: list[str]) -> tuple[int, int, float]:
    """Status and SQL statements of the first path's answer, median ms over renders cycling through them."""
    from traceability.extensions import db

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client = app.test_client()
    client.get(paths[-1], headers=HEADERS)  # warm-up: templates compiled, catalogues loaded
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        status = client.get(paths[0], headers=HEADERS).status_code
        n_statements = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    timings = []
    for n in range(IN_PROCESS_RENDERS):
        started = time.perf_counter()
        client.get(paths[(n + 1) % len(paths)], headers=HEADERS)
        timings.append((time.perf_counter() - started) * 1000)
    return status, n_statements, statistics.median(timings)


def load_demo(serials: int) -> dict:
    """Schema and demo data in the database the environment names; the pages' paths and in-process figures."""
    from traceability import create_app, demo
    from traceability.accounts.models import Organisation
    from traceability.cli import upgrade_database
    from traceability.extensions import db
    from traceability.labels.digital_link import label_uri
    from traceability.lots.models import Lot, LotKind
    from traceability.products.models import Product

    # No job thread in this process: it only loads data and renders the pages a few times.
    app = create_app({"EMBEDDED_WORKER": False, **UNLIMITED_SCANS})
    info: dict = {}
    with app.app_context():
        started = time.perf_counter()
        upgrade_database()
        demo.load()
        db.session.commit()
        info["load_s"] = time.perf_counter() - started
        info["server"] = describe_server(db.session.connection())
        lot = db.session.scalar(
            sa.select(Lot)
            .join(Product, Product.id == Lot.product_id)
            .where(Lot.kind == LotKind.SALE, Product.code == PRODUCT_CODE)
            .order_by(Lot.id)
        )
        if lot is None or not lot.product.gtin:
            raise SystemExit(f"the demo data has no sale lot of {PRODUCT_CODE} with a GTIN")
        units = unit_serials(lot, serials)
        base = app.config["PUBLIC_BASE_URL"]

        def path(lot_id: int, serial: str | None = None) -> str:
            some_lot = db.session.get(Lot, lot_id)
            uri = label_uri(db.session.get(Organisation, some_lot.organisation_id), some_lot, serial)
            if not uri.startswith(base + "/"):
                raise SystemExit(f"{uri} is not under PUBLIC_BASE_URL {base}")
            return uri[len(base) :]

        info["lot_code"], info["gtin"] = lot.code, lot.product.gtin
        lot_path = path(lot.id)
        info["paths"] = {
            "hello": ["/hello"],
            "unit": [path(u.lot_id, u.serial) for u in units],
            "lot": [lot_path],
            "linkset": [lot_path + ("&" if "?" in lot_path else "?") + "linkType=linkset"],
        }
        info["unit_lots"] = len({u.lot_id for u in units})
        info["lots"] = db.session.scalar(sa.select(sa.func.count(Lot.id)))
        db.session.remove()
        info["in_process"] = {name: in_process(app, info["paths"][name]) for name in TARGETS}
        db.session.remove()
        db.engine.dispose()  # nothing of this process holds the database while gunicorn runs
    return info


def scan_rows(url: str, since: int = 0, delete: bool = False) -> tuple[int, int, int]:
    """Scan rows after id ``since`` (deleted with ``delete``), the clients they name, the last id."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        if delete:
            conn.execute(sa.text("DELETE FROM unit_scans WHERE id > :since"), {"since": since})
        query = "SELECT count(*), count(DISTINCT client), coalesce(max(id), 0) FROM unit_scans WHERE id > :since"
        rows, clients, last = conn.execute(sa.text(query), {"since": since}).one()
    engine.dispose()
    return rows, clients, last


# ---------------------------------------------------------------------------------------------
# One server configuration
# ---------------------------------------------------------------------------------------------


def run_config(name: str, args, info: dict, db_url: str, env: dict, workdir: Path) -> dict[str, list[dict]]:
    workers, threads = CONFIGS[name]
    base = env["PUBLIC_BASE_URL"]
    port = int(base.rsplit(":", 1)[1])
    log_path = workdir / f"gunicorn-{name}.log"
    pages = ["hello", *args.pages]
    results: dict[str, list[dict]] = {page: [] for page in pages}
    say(f"\n=== gunicorn {config_name(name)} ===")
    # Every configuration on the same port: the pages' URIs (PUBLIC_BASE_URL) name this server.
    server = serve_bench_app(port, log_path, env, workers=workers, threads=threads)
    try:
        wait_ready(server, base + "/hello")
        check_answers(base, {page: info["paths"][page][0] for page in args.pages}, HEADERS)
        say(
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} round(s), "
            f"load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        if args.warmup:  # a server that has been serving: pages, codes and counters in memory
            before = scan_rows(db_url)[2]
            warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
            for page in pages:
                run_wrk(base, workdir / f"paths-{page}.txt", workdir / "paths.lua", warm, HEADERS)
            time.sleep(2)
            scan_rows(db_url, since=before, delete=True)
            say(f" warmed up: {args.warmup} s of wrk on each page, not measured; its scans deleted")
        for round_no in range(1, args.rounds + 1):
            say(f" round {round_no}")
            for page in pages:
                last = scan_rows(db_url)[2] if page == "unit" else None
                result = run_wrk(base, workdir / f"paths-{page}.txt", workdir / "paths.lua", args, HEADERS)
                results[page].append(result)
                say(describe_run(page, result))
                if last is not None:
                    time.sleep(2)  # the writer's last batch (SCAN_FLUSH_SECONDS)
                    result["scans"], clients, _last = scan_rows(db_url, since=last)
                    ok = sum(n for s, n in result["statuses"].items() if 200 <= s < 300)
                    say(
                        f"          {result['scans']:,} scan rows written (from {clients:,} client(s)) for "
                        f"{result['requests']:,} requests ({ok:,} answered 2xx); deleted again"
                    )
                    scan_rows(db_url, since=last, delete=True)
        say("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        stop_gunicorn(server)
        errors = scan_log(log_path)
        if errors:
            locked = sum("database is locked" in line for line in errors)
            say(f"gunicorn's error log: {len(errors)} line(s) of errors ({locked} 'database is locked'); the first:")
            for line in errors[:6]:
                say("  " + line[:300])
        else:
            say("gunicorn's error log: no errors")
    return results


# ---------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="benchmark this database instead of a temporary SQLite file, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5433/benchdb — WARNING: a PostgreSQL "
        "database's public schema is DROPPED and recreated (all its data is lost), a SQLite "
        "file is deleted",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (default 10)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of wrk on each page before the rounds, not measured (default 3)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds of /hello then each page (default 2)")
    parser.add_argument(
        "--configs",
        default="sync,gthread",
        help="server configurations: sync (2 sync workers), gthread (4 workers × 4 threads); default both",
    )
    parser.add_argument("--pages", default="unit,lot,linkset", help="pages measured (default unit,lot,linkset)")
    parser.add_argument("--serials", type=int, default=500, help="distinct units wrk cycles through (default 500)")
    parser.add_argument(
        "--addresses",
        type=int,
        default=1,
        help="scan the units from this many client addresses, sent as X-Forwarded-For (the app trusts one proxy); "
        "default 1: wrk's own address, every scan from one client",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, gunicorn logs)")
    args = parser.parse_args(argv)
    args.configs, args.pages = args.configs.split(","), args.pages.split(",")
    for chosen, known in ((args.configs, CONFIGS), (args.pages, TARGETS)):
        if unknown := set(chosen) - set(known):
            parser.error(f"unknown: {', '.join(sorted(unknown))} (choose among {', '.join(known)})")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="bench-public-page-"))
    instance = workdir / "instance"
    instance.mkdir()
    try:
        db_url = prepare_database(args.database_url, workdir, say)
        settings = {
            "DATABASE_URL": db_url,
            "INSTANCE_PATH": str(instance),
            "TRACEABILITY_ENV": "production",
            "SECRET_KEY": "bench-public-page-not-a-secret",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{free_port()}",  # each configuration's server in turn
        }
        os.environ.update(settings)
        os.environ.pop("REDIS_URL", None)  # jobs by the embedded worker thread, as in the default deployment
        if args.addresses > 1:
            os.environ["PROXY_FIX_X_FOR"] = "1"
        env = dict(os.environ, BENCH_APP_CONFIG=json.dumps(UNLIMITED_SCANS))

        info = load_demo(args.serials)
        say(
            f"{info['server']}, demo data loaded in {info['load_s']:.1f} s ({info['lots']} lots); "
            f"CPUs: {os.cpu_count()}"
        )
        say(f"lot page: lot {info['lot_code']} of {PRODUCT_CODE} (GTIN {info['gtin']}): {info['paths']['lot'][0]}")
        say(
            f"unit pages: {len(info['paths']['unit'])} serials of {info['unit_lots']} lot(s), e.g. {info['paths']['unit'][0]}"
        )
        for name, (status, statements, ms) in info["in_process"].items():
            say(
                f"in-process {name} (Flask test client, one thread): status {status}, {statements} SQL statements, "
                f"median {ms:.1f} ms over {IN_PROCESS_RENDERS} renders"
            )
        (workdir / "paths.lua").write_text(WRK_SCRIPT)
        for name, paths in info["paths"].items():
            # With --addresses, the units are scanned from that many addresses in turn (10.0.x.y).
            ips = [f"10.0.{k // 250}.{k % 250 + 1}" for k in range(args.addresses)] if args.addresses > 1 else [""]
            lines = [f"{path} {ips[n % len(ips)]}".strip() for n, path in enumerate(paths)]
            (workdir / f"paths-{name}.txt").write_text("\n".join(lines) + "\n")

        results = {name: run_config(name, args, info, db_url, env, workdir) for name in args.configs}
        report(results, args)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(results: dict, args) -> None:
    say("\nmedians over the rounds (wrk and gunicorn share the machine; anything else running skews both):")
    say(
        f"  {'page':<8} {'config':<13} {'req/s':>8} {'hello req/s':>12} {'ratio':>6} {'target':>7} {'non-2xx':>8} {'socket errors':>14}"
    )
    misses = []
    for config, by_page in results.items():
        hello = statistics.median(r["rps"] for r in by_page["hello"])
        for page in args.pages:
            rps = statistics.median(r["rps"] for r in by_page[page])
            ratio = rps / hello if hello else float("nan")
            bad = sum(r["non_2xx"] for r in by_page[page])
            # connect, read, write, timeout: requests wrk got no answer to (a timeout is 2 s)
            lost = sum(int(n) for r in by_page[page] for n in re.findall(r"\d+", r["socket_errors"]))
            say(
                f"  {page:<8} {config_name(config):<13} {rps:>8,.0f} {hello:>12,.0f} {ratio:>6.2f} "
                f"{'≥ ' + str(TARGETS[page]):>7} {bad:>8,} {lost:>14,}"
            )
            if not ratio >= TARGETS[page]:
                misses.append(f"{page} on {config_name(config)}: ratio {ratio:.2f} < {TARGETS[page]}")
            if bad:
                misses.append(f"{page} on {config_name(config)}: {bad:,} answer(s) not 2xx")
            if lost:
                misses.append(f"{page} on {config_name(config)}: {lost:,} request(s) without an answer")
    for miss in misses:
        say(f"  MISSED: {miss}")
    if not misses:
        say("  every target met")


if __name__ == "__main__":
    sys.exit(main())
