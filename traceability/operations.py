"""What a deployment's machinery asks of each process: ``/healthz`` (the process answers), ``/readyz`` (it can
serve: its database, and its job queue when it has one; its read replica's lag, when it has one), ``/metrics`` (Prometheus, behind ``METRICS_TOKEN``),
and a request id and one log line for every request.

None of these reads a session or an organisation, and none answers 500: a check that fails is reported.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import time
import uuid

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from traceability import replica
from traceability.extensions import db
from traceability.jobs.runner import queue_depth
from traceability.metrics import REQUESTS

bp = Blueprint("operations", __name__)
log = logging.getLogger("traceability.request")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a proxy's id is kept when it is one of these
QUIET = frozenset({"operations.healthz", "operations.readyz", "operations.metrics", "static"})


def init_app(app) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    if app.config["REQUEST_LOG"] and not log.handlers:
        handler = logging.StreamHandler()  # one JSON object a line, for the log collector
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def _start() -> None:
    g.started = time.perf_counter()
    sent = request.headers.get("X-Request-Id", "")
    g.request_id = sent if REQUEST_ID.match(sent) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "(none)"
    response.headers["X-Request-Id"] = g.get("request_id", "")
    if request.endpoint not in QUIET:
        REQUESTS.labels(request.method, route, f"{response.status_code // 100}xx").observe(seconds)
        if current_app.config["REQUEST_LOG"]:
            log.info(
                json.dumps(
                    {
                        "request_id": g.get("request_id"),
                        "method": request.method,
                        "route": route,  # the rule, not the path: a unit's serial or a lot code stays out
                        "status": response.status_code,
                        "ms": round(seconds * 1000, 1),
                    }
                )
            )
    return response


@bp.get("/healthz")
def healthz():
    return _json({"status": "ok"}, 200)


def _check(name: str, probe) -> tuple[str, dict]:
    try:
        return name, {"ok": True, **(probe() or {})}
    except Exception as error:  # noqa: BLE001 — any failure of a dependency is "not ready", said, never a 500
        current_app.logger.warning("readyz: %s failed: %s", name, error)
        db.session.rollback()
        return name, {"ok": False, "error": type(error).__name__}


def _database() -> dict:
    db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()
    return {}


def _queue() -> dict:
    return {"waiting": queue_depth()}


@bp.get("/readyz")
def readyz():
    checks = dict(_check(name, probe) for name, probe in (("database", _database), ("queue", _queue)))
    ready = all(c["ok"] for c in checks.values())
    lagging = replica.status()
    if lagging is not None:  # said, but not a reason to stop serving: the primary answers in its place
        checks["replica"] = lagging
    return _json({"ready": ready, "checks": checks}, 200 if ready else 503)


class _QueueDepth:
    """Read when scraped, in the answering process: how many long jobs wait."""

    def collect(self):
        family = GaugeMetricFamily("traceability_jobs_waiting", "Long jobs queued and not yet started")
        try:
            family.add_metric([], queue_depth())
        except Exception:  # noqa: BLE001 — a scrape during an outage still answers, without this figure
            db.session.rollback()
            return []
        return [family]


@bp.get("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return _json({"error": "metrics are off: set METRICS_TOKEN"}, 404)
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return _json({"error": "send Authorization: Bearer <METRICS_TOKEN>"}, 401)
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    scrape = CollectorRegistry()
    scrape.register(_QueueDepth())
    body = generate_latest(registry) + generate_latest(scrape)
    db.session.rollback()
    return Response(body, 200, mimetype=CONTENT_TYPE_LATEST.split(";")[0], content_type=CONTENT_TYPE_LATEST)


def _json(body: dict, status: int) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json", headers={"Cache-Control": "no-store"})
