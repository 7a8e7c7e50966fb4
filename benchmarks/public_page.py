"""Benchmark of the public provenance page a label's QR code opens, served by gunicorn, measured with wrk.

    python benchmarks/public_page.py [--duration 10] [--rounds 2] [--workers 2] [--database-url URL]

Builds a throwaway instance folder and database (a temporary SQLite file unless ``--database-url``
names one; a PostgreSQL database is created if missing and its ``public`` schema DROPPED and
recreated), creates the schema with the migrations and loads the demo data, as
``flask --app traceability demo`` does. It then starts gunicorn (sync workers) on 127.0.0.1 with
``benchmarks/public_page_app.py``: the app ``create_app()`` builds from the environment (production
mode, a SECRET_KEY, the same DATABASE_URL and INSTANCE_PATH) plus a bare ``/hello`` route returning
"hello". The same server answers both, and wrk (``-t2 -c8`` by default) alternates between them,
``/hello`` first, for ``--rounds`` rounds: absolute figures depend on the machine, their ratio much less.

The page measured is the lot page of the first sale lot of turmeric starch (product ``TBN``, which has a
GTIN): ``/01/<gtin14>/10/<lot>``, without a serial. Unit pages (``…/21/<serial>``) look the serial up
and will record scans, so they are not cacheable and not what this measures. The lot page says
``Cache-Control: public, max-age=60`` and, with an ``ETag``, may answer ``304`` to ``If-None-Match``;
wrk sends no such header, so every response measured is a full ``200`` with the whole page rendered.

Before wrk the script fetches the page once (it must answer 200; its HTML size is printed), once more
with ``If-None-Match`` when it has an ETag (printed, not measured) and, in-process with Flask's test
client, counts its SQL statements and times a few renders. Gunicorn's error log is scanned for errors
afterwards.

The project's target: the page serves at least 0.6 times the requests per second of ``/hello``
(medians over the rounds). This is a script, not a test: it says when the target is missed, it never fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run from anywhere, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import empty_postgresql, remove_sqlite_files

TARGET_RATIO = 0.6
PRODUCT_CODE = "TBN"  # Tinh bột nghệ Lai Hà: a product with a GTIN and a full journey in the demo data
IN_PROCESS_RENDERS = 20


def say(*args) -> None:
    print(*args, flush=True)


# ---------------------------------------------------------------------------------------------
# The database and the demo data
# ---------------------------------------------------------------------------------------------


def prepare_database(url: str | None, workdir: Path) -> str:
    """An empty database for one run; returns its SQLAlchemy URL (as benchmarks/lineage.py does)."""
    if not url:
        return f"sqlite:///{workdir / 'public-page.db'}"
    from traceability.config import normalise_database_url

    parsed = sa.engine.make_url(normalise_database_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            remove_sqlite_files(parsed.database)
            return parsed.render_as_string(hide_password=False)
        raise SystemExit("an in-memory SQLite database cannot be shared with gunicorn: name a file")
    if backend != "postgresql":
        raise SystemExit(f"unsupported database: {backend} (use SQLite or PostgreSQL)")
    return empty_postgresql(parsed, say)


def describe_server(conn) -> str:
    if conn.dialect.name == "postgresql":
        return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
    return "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar()


def load_demo() -> dict:
    """Schema and demo data in the database the environment names; the page's path and in-process figures."""
    from traceability import create_app, demo
    from traceability.cli import upgrade_database
    from traceability.extensions import db
    from traceability.lots.models import Lot, LotKind
    from traceability.products.models import Product

    # No job thread in this process: it only loads data and renders the page a few times.
    app = create_app({"EMBEDDED_WORKER": False})
    info: dict = {}
    with app.app_context():
        started = time.perf_counter()
        upgrade_database()
        demo.load()
        db.session.commit()
        info["load_s"] = time.perf_counter() - started
        with db.engine.connect() as conn:
            info["server"] = describe_server(conn)
        lot = db.session.scalar(
            sa.select(Lot)
            .join(Product, Product.id == Lot.product_id)
            .where(Lot.kind == LotKind.SALE, Product.code == PRODUCT_CODE)
            .order_by(Lot.id)
        )
        if lot is None or not lot.product.gtin:
            raise SystemExit(f"the demo data has no sale lot of {PRODUCT_CODE} with a GTIN")
        info["lot_code"], info["gtin"] = lot.code, lot.product.gtin
        info["path"] = f"/01/{lot.product.gtin}/10/{urllib.parse.quote(lot.code, safe='')}"
        info["lots"] = db.session.scalar(sa.select(sa.func.count(Lot.id)))
        db.session.remove()

        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        client = app.test_client()
        client.get(info["path"])  # warm-up: templates compiled, catalogues loaded
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get(info["path"])
            info["in_process_status"] = response.status_code
            info["sql_statements"] = len(statements)
            timings = []
            for _ in range(IN_PROCESS_RENDERS):
                started = time.perf_counter()
                client.get(info["path"])
                timings.append((time.perf_counter() - started) * 1000)
            info["render_ms"] = statistics.median(timings)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
        db.engine.dispose()  # nothing of this process holds the database while gunicorn runs
    return info


# ---------------------------------------------------------------------------------------------
# The server and the load
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, log_path: Path, env: dict) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--pythonpath",
        str(BENCH_DIR),
        "--chdir",
        str(PROJECT_ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_path),
        "public_page_app:app",
    ]
    say("$ " + " ".join(command[1:]))
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def fetch(url: str, timeout: float = 10.0) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_ready(server: subprocess.Popen, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode} before answering")
        try:
            if fetch(url, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout:.0f} s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # graceful: the master stops its workers and exits
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        say("gunicorn did not stop within 30 s: killing it")
        server.kill()
        server.wait()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def run_wrk(url: str, duration: int, threads: int, connections: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    text = out.stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if out.returncode != 0 or rps is None:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{text}{out.stderr}")
    result = {"rps": float(rps.group(1)), "non_2xx": 0, "socket_errors": ""}
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.MULTILINE)
    result["avg_ms"], result["max_ms"] = _ms(latency.group(1)), _ms(latency.group(3))
    for pct in ("50", "99"):
        found = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.MULTILINE)
        result[f"p{pct}_ms"] = _ms(found.group(1)) if found else float("nan")
    if found := re.search(r"^\s+(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", text, re.MULTILINE):
        result["requests"], result["read"] = int(found.group(1)), found.group(3)
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        result["non_2xx"] = int(found.group(1))
    if found := re.search(r"Socket errors: (.*)", text):
        result["socket_errors"] = found.group(1)
    return result


def describe(name: str, r: dict) -> str:
    line = (
        f"  {name:<5} {r['rps']:>9,.0f} req/s   latency avg {r['avg_ms']:6.2f} ms  p50 {r['p50_ms']:6.2f} ms  "
        f"p99 {r['p99_ms']:6.2f} ms  max {r['max_ms']:7.2f} ms   {r.get('requests', 0):,} requests"
    )
    if r["non_2xx"]:
        line += f"   NON-2xx/3xx: {r['non_2xx']}"
    if r["socket_errors"]:
        line += f"   socket errors: {r['socket_errors']}"
    return line


def scan_log(log_path: Path) -> list[str]:
    if not log_path.exists():
        return []
    lines = log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if re.search(r"Traceback|\[ERROR\]|\[CRITICAL\]|Error|Exception", line)]


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
    parser.add_argument("--rounds", type=int, default=2, help="rounds of /hello then the page (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, gunicorn log)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="bench-public-page-"))
    instance = workdir / "instance"
    instance.mkdir()
    log_path = workdir / "gunicorn.log"
    server = None
    try:
        url = prepare_database(args.database_url, workdir)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            DATABASE_URL=url,
            INSTANCE_PATH=str(instance),
            TRACEABILITY_ENV="production",
            SECRET_KEY="bench-public-page-not-a-secret",
            PUBLIC_BASE_URL=base,
        )
        env.pop("REDIS_URL", None)  # jobs by the embedded worker thread, as in the default deployment
        os.environ.update(
            {k: env[k] for k in ("DATABASE_URL", "INSTANCE_PATH", "TRACEABILITY_ENV", "SECRET_KEY", "PUBLIC_BASE_URL")}
        )
        os.environ.pop("REDIS_URL", None)

        info = load_demo()
        say(
            f"{info['server']}, demo data loaded in {info['load_s']:.1f} s ({info['lots']} lots); "
            f"CPUs: {os.cpu_count()}"
        )
        say(f"page: lot {info['lot_code']} of {PRODUCT_CODE} (GTIN {info['gtin']}): {info['path']}")
        say(
            f"in-process (Flask test client, one thread): status {info['in_process_status']}, "
            f"{info['sql_statements']} SQL statements, median {info['render_ms']:.1f} ms per page "
            f"over {IN_PROCESS_RENDERS} renders"
        )

        server = start_gunicorn(port, args.workers, log_path, env)
        wait_ready(server, base + "/hello")
        page_url = base + info["path"]
        status, headers, body = fetch(page_url)
        say(
            f"GET {info['path']}: {status}, {len(body):,} bytes of HTML, "
            f"Content-Type {headers.get('Content-Type')!r}, Cache-Control {headers.get('Cache-Control')!r}, "
            f"ETag {headers.get('ETag')!r}, Set-Cookie {'yes' if headers.get('Set-Cookie') else 'no'}"
        )
        if status != 200:
            say(f"the page did not answer 200: {body[:500]!r}")
            say("MISSED: the page must answer 200; nothing measured")
            return 0
        if headers.get("ETag"):  # not measured: wrk never sends If-None-Match
            request = urllib.request.Request(page_url, headers={"If-None-Match": headers["ETag"]})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    conditional = f"{response.status}, {len(response.read()):,} bytes"
            except urllib.error.HTTPError as error:
                conditional = f"{error.code}, {len(error.read()):,} bytes"
            say(f"GET {info['path']} with If-None-Match: {conditional} (not measured)")
        hello_status, _h, hello_body = fetch(base + "/hello")
        say(f"GET /hello: {hello_status}, {len(hello_body)} bytes")
        say("load average before wrk: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

        say(
            f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, gunicorn --workers {args.workers} "
            f"(sync), {args.rounds} round(s), /hello then the page:"
        )
        results: dict[str, list[dict]] = {"hello": [], "page": []}
        for round_no in range(1, args.rounds + 1):
            say(f" round {round_no}")
            for name, target in (("hello", base + "/hello"), ("page", page_url)):
                result = run_wrk(target, args.duration, args.threads, args.connections)
                results[name].append(result)
                say(describe(name, result))

        hello = statistics.median(r["rps"] for r in results["hello"])
        page = statistics.median(r["rps"] for r in results["page"])
        ratio = page / hello if hello else float("nan")
        say(
            "load average after wrk: "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
            + "  (wrk and gunicorn share the machine; anything else running skews both routes)"
        )
        say("\nmedians over the rounds:")
        say(
            f"  hello {hello:>9,.0f} req/s   p50 latency "
            f"{statistics.median(r['p50_ms'] for r in results['hello']):.2f} ms"
        )
        say(
            f"  page  {page:>9,.0f} req/s   p50 latency "
            f"{statistics.median(r['p50_ms'] for r in results['page']):.2f} ms   "
            f"({len(body):,} bytes of HTML)"
        )
        per_round = [p["rps"] / h["rps"] for h, p in zip(results["hello"], results["page"], strict=True)]
        say("  ratio per round: " + ", ".join(f"{x:.2f}" for x in per_round))
        verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
        say(f"  ratio page/hello: {ratio:.2f}  — {verdict} the target ≥ {TARGET_RATIO}")
        bad = sum(r["non_2xx"] for rs in results.values() for r in rs)
        if bad:
            say(f"  WARNING: {bad} responses were not 2xx/3xx: the figures are not of the page")
    finally:
        if server is not None:
            stop_gunicorn(server)
            errors = scan_log(log_path)
            if errors:
                say(f"\ngunicorn's error log has {len(errors)} line(s) of errors; the first ones:")
                for line in errors[:10]:
                    say("  " + line)
            else:
                say("\ngunicorn's error log: no errors")
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
