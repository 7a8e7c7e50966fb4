"""WSGI module for ``benchmarks/public_page.py``: the real app plus a bare ``/hello`` route.

    gunicorn --pythonpath benchmarks public_page_app:app

The app is built by ``create_app()`` from the environment (DATABASE_URL, INSTANCE_PATH, SECRET_KEY,
TRACEABILITY_ENV, PUBLIC_BASE_URL), exactly as in production, plus the settings given as a JSON
object in ``BENCH_APP_CONFIG`` (``public_page.py`` lifts the scan-counting limits there, settings
the environment cannot set). ``/hello`` goes through the same request hooks (language, current
organisation, security headers) as every other page: it measures the server and Flask, not the
database or the templates.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run from anywhere, installed or not

from traceability import create_app

app = create_app(json.loads(os.environ.get("BENCH_APP_CONFIG") or "{}") or None)


@app.get("/hello")
def hello():
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}
