"""Schemathesis, every check on, against the API's own published document and a live server on the
database the suite runs on: what the document declares is what the server enforces and answers.

The server counts what reaches it, so the figures printed are the server's own: requests answered and
how many of them were 5xx. The run is bounded (examples per operation) and derandomised (a fixed
seed), so CI sees the same requests every time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.factories import days_ago, make_harvest, make_org, make_plot, make_product, make_user, make_village
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.events.services import Capture
from traceability.extensions import db
from traceability.farm.services import seasons

MAX_EXAMPLES = 25  # per operation and phase: the whole run stays near a minute on either database
SEED = 20261202
PLANTING_UUID = "5b1f3c1e-7a52-4d4e-9a53-2f0d8c6b1a90"  # the seeded planting, as a phone would name it


class Counted:
    """The app as the server runs it, counting the requests it answers and the 5xx among them."""

    def __init__(self, app):
        self.app, self.requests, self.server_errors = app, 0, []

    def __call__(self, environ, start_response):
        def counting(status, headers, exc_info=None):
            self.requests += 1
            if status.startswith("5"):
                self.server_errors.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')} {status}")
            return start_response(status, headers, exc_info)

        return self.app(environ, counting)


class Quiet(WSGIRequestHandler):
    def log_request(self, *args) -> None:  # thousands of lines the counts below say better
        pass


@pytest.fixture
def live(app):
    """A manager's token in an organisation with plots, a planting, a lot and a product, and the app
    served on a free local port (one request at a time, as Schemathesis sends them with one worker)."""
    with app.app_context():
        org = make_org("fuzz")
        manager = make_user(org, Role.MANAGER)
        plot = make_plot(org, make_village(org, "Lai Hà"), code="N1", area="3000")
        make_plot(org, code="N2")
        planting = seasons.start_planting(
            org, manager, plot_id=plot.id, sown_on=days_ago(100), crop="Nghệ", capture=Capture(PLANTING_UUID, None)
        )
        make_harvest(org, manager, planting, kg="500")
        make_product(org, code="TBN")
        _row, token = create_token(manager, org, "fuzz")
        db.session.commit()
    counted = Counted(app.wsgi_app)
    app.wsgi_app = counted
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", token, counted
    server.shutdown()
    thread.join()


def run_schemathesis(
    schema: str, options: list[str], token: str, tmp_path: Path, *, config: Path | None = None, env: dict | None = None
):
    """Schemathesis bounded and derandomised (``MAX_EXAMPLES``, ``SEED``, one worker), in a directory of its own:
    it keeps a cache of past failures in its working directory and replays them, which would make one run
    depend on the last. Returns the finished process and its seconds; its output is kept in the directory."""
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    command = [
        st,
        *([f"--config-file={config}"] if config else []),
        "--no-color",
        "run",
        schema,
        *options,
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={SEED}",
        "--generation-deterministic",
        "--workers=1",
        "--suppress-health-check=all",
        f"--header=Authorization: Bearer {token}",
        "--request-timeout=30",
        f"--report-dir={tmp_path}",
    ]
    started = time.monotonic()
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )
    (tmp_path / "schemathesis.txt").write_text(run.stdout + run.stderr)
    return run, time.monotonic() - started


def test_schemathesis_finds_nothing_with_every_check(live, tmp_path: Path):
    base, token, counted = live
    run, seconds = run_schemathesis(
        f"{base}/api/v1/openapi.json",
        ["--checks=all"],
        token,
        tmp_path,
        config=Path(__file__).with_name("schemathesis.toml"),
        env={"FUZZ_PLANTING": PLANTING_UUID, "FUZZ_RECORD": PLANTING_UUID},
    )
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    print(
        f"\nschemathesis on {database}: {counted.requests} requests, {len(counted.server_errors)} answered 5xx, "
        f"{seconds:.1f} s"
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert counted.server_errors == []
    assert counted.requests >= 1000  # it sent enough to matter: it cannot pass by sending nothing
