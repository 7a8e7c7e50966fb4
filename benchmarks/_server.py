"""The app served by gunicorn for the benchmarks, and wrk's load against it: a free port, gunicorn
started, awaited, stopped and its error log read, wrk run through a Lua script that cycles through
paths and counts answers by status. Then the server's side of ``benchmarks/offline_sync.py``: the
demo data and the records a member would queue on it, gunicorn with an access log that counts bytes,
and the rows written."""

from __future__ import annotations

import datetime as dt
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import _browser
import sqlalchemy as sa
from _database import describe_server

from traceability import create_app, demo
from traceability.accounts.models import Organisation, User
from traceability.cli import upgrade_database
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.services.field import field_lists
from traceability.farm.services.seasons import harvest_blocks
from traceability.offline.views import ASSETS, OFFLINE_PAGES

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent


# ---------------------------------------------------------------------------------------------
# gunicorn
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_bench_app(port: int, log_path: Path, env: dict, workers: int = 2, threads: int = 0) -> subprocess.Popen:
    """gunicorn serving ``benchmarks/public_page_app.py``: sync workers, or gthread ones with ``threads``."""
    command = [sys.executable, "-m", "gunicorn", "--pythonpath", str(BENCH_DIR), "--chdir", str(PROJECT_ROOT)]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--worker-class", "gthread", "--threads", str(threads)] if threads else ["--worker-class", "sync"]
    command += ["--log-level", "warning", "--error-logfile", str(log_path), "public_page_app:app"]
    print("$ " + " ".join(command[1:]), flush=True)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def fetch(url: str, timeout: float = 10.0, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
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


def check_answers(base: str, paths: dict[str, str], headers: dict) -> None:
    """Each named path once, before the load: what it answers (status, size, caching), not measured."""
    for name, path in paths.items():
        status, answer, body = fetch(base + path, headers=headers)
        print(
            f"GET {path}: {status}, {len(body):,} bytes, Content-Type {answer.get('Content-Type')!r}, "
            f"Cache-Control {answer.get('Cache-Control')!r}, ETag {answer.get('ETag')!r}, "
            f"Set-Cookie {'yes' if answer.get('Set-Cookie') else 'no'}",
            flush=True,
        )
        if status != 200:
            print(f"  MISSED: {name} answered {status}, not 200: {body[:300]!r}", flush=True)
        if answer.get("ETag"):  # not measured: wrk never sends If-None-Match
            again, _h, body = fetch(base + path, headers={**headers, "If-None-Match": answer["ETag"]})
            print(f"  with If-None-Match: {again}, {len(body):,} bytes (not measured)", flush=True)


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # graceful: the master stops its workers and exits
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        print("gunicorn did not stop within 30 s: killing it", flush=True)
        server.kill()
        server.wait()


def scan_log(log_path: Path) -> list[str]:
    if not log_path.exists():
        return []
    lines = log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if re.search(r"Traceback|\[ERROR\]|\[CRITICAL\]|Error|Exception", line)]


# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------

# Requests built once in init (formatting each one would cost wrk more than the server's answer to
# /hello) from lines "path [address]": an address is sent as X-Forwarded-For. Each thread starts at
# its own place in the list, so two threads rarely ask for the same path at once. ``response`` makes
# wrk read every answer: every route measured pays that alike.
WRK_SCRIPT = """
local requests, next_one, threads = {}, 1, {}
statuses = {}  -- a global: done() reads each thread's with thread:get

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, address = line:match("^(%S+)%s*(%S*)$")
    local headers = nil
    if address ~= "" then
      headers = {["X-Forwarded-For"] = address}
      for name, value in pairs(wrk.headers) do headers[name] = value end
    end
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
  next_one = (number * math.floor(#requests / tonumber(args[2]))) % #requests + 1
end

function request()
  local r = requests[next_one]
  next_one = next_one % #requests + 1
  return r
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d %d\\n", status, n))
  end
end
"""

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def run_wrk(base: str, paths_file: Path, script: Path, args, headers: dict) -> dict:
    """wrk against the paths listed in ``paths_file`` (one a line) with these request headers."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    command += ["-s", str(script)] + [f for name, value in headers.items() for f in ("-H", f"{name}: {value}")]
    first = paths_file.read_text().split()[0]
    command += [base + first, "--", str(paths_file), str(args.threads)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60, check=False)
    text = out.stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if out.returncode != 0 or rps is None:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{text}{out.stderr}")
    result = {"rps": float(rps.group(1)), "socket_errors": "", "requests": 0}
    result["statuses"] = {int(s): int(n) for s, n in re.findall(r"^status (\d+) (\d+)$", text, re.MULTILINE)}
    result["non_2xx"] = sum(n for s, n in result["statuses"].items() if not 200 <= s < 300)
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.MULTILINE)
    result["avg_ms"], result["max_ms"] = _ms(latency.group(1)), _ms(latency.group(3))
    for pct in ("50", "99"):
        found = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.MULTILINE)
        result[f"p{pct}_ms"] = _ms(found.group(1)) if found else float("nan")
    if found := re.search(r"^\s+(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", text, re.MULTILINE):
        result["requests"], result["read"] = int(found.group(1)), found.group(3)
    if found := re.search(r"Socket errors: (.*)", text):
        result["socket_errors"] = found.group(1)
    return result


def describe_run(name: str, r: dict) -> str:
    """One line for one wrk run: req/s, latency, requests, and the answers that were not 2xx."""
    line = (
        f"  {name:<7} {r['rps']:>8,.0f} req/s   latency avg {r['avg_ms']:6.2f} ms  p50 {r['p50_ms']:6.2f} ms  "
        f"p99 {r['p99_ms']:7.2f} ms  max {r['max_ms']:7.2f} ms   {r['requests']:,} requests"
    )
    if r["non_2xx"]:
        statuses = ", ".join(f"{n:,}× {s}" for s, n in sorted(r["statuses"].items()) if not 200 <= s < 300)
        line += f"   NON-2xx: {statuses}"
    if r["socket_errors"]:
        line += f"   socket errors: {r['socket_errors']}"
    return line


# ---------------------------------------------------------------------------------------------
# offline_sync.py
# ---------------------------------------------------------------------------------------------

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
