"""What a deployment's machinery reads: the process answers, it is ready (or says which dependency is not,
never a 500), its metrics behind a token, and a request id and one log line for every request."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.conftest import make_app
from tests.factories import days_ago, make_org, make_planting, make_user
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.extensions import db


def test_healthz_answers_without_the_database(tmp_path):
    broken = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing-dir/none.db")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_names_the_dependency_that_is_down_and_never_500s(app, client, tmp_path):
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["ready"] is True
    assert ready.json["checks"] == {"database": {"ok": True}, "queue": {"ok": True, "waiting": 0}}
    broken = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing-dir/none.db")
    down = broken.test_client().get("/readyz")
    assert down.status_code == 503 and down.json["ready"] is False
    assert down.json["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    queue = client.get("/readyz")
    assert queue.status_code == 503 and queue.json["checks"]["queue"]["ok"] is False
    assert queue.json["checks"]["database"]["ok"] is True


def test_every_answer_carries_a_request_id_and_a_proxys_sane_one_is_kept(client):
    own = client.get("/login").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", own) and client.get("/login").headers["X-Request-Id"] != own
    assert client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.01"}).headers["X-Request-Id"] == "lb-7f3a.01"
    for forged in ("x" * 65, "a b", "<script>"):
        assert re.fullmatch(
            r"[0-9a-f]{32}", client.get("/healthz", headers={"X-Request-Id": forged}).headers["X-Request-Id"]
        )
    assert client.get("/nowhere").headers["X-Request-Id"]  # a 404 too


def test_one_json_line_per_request_with_the_route_not_the_path(app, client, caplog):
    app.config["REQUEST_LOG"] = True
    logger = logging.getLogger("traceability.request")
    logger.addHandler(caplog.handler)  # in production it has its own handler and does not propagate
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # read here only, once
    try:
        client.get("/01/09520123000035/10/SECRET-LOT", headers={"X-Request-Id": "abc"})
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)
        logger.propagate = propagate
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "traceability.request"]
    assert len(lines) == 1 and lines[0]["request_id"] == "abc" and lines[0]["status"] in (400, 404)
    assert lines[0]["route"] == "/01/<anypath:rest>" and "SECRET-LOT" not in json.dumps(lines[0])
    assert isinstance(lines[0]["ms"], float)


@pytest.fixture
def metered(app):
    app.config["METRICS_TOKEN"] = "scrape-me"
    with app.app_context():
        org = make_org("nghe-lai-ha")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        planting = make_planting(org, manager, sown_days_ago=100, crop="Nghệ")
        _row, token = create_token(manager, org, "m")
        db.session.commit()
        planting_id = planting.id
    return app, planting_id, token


def _scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def _value(text: str, line: str) -> float:
    found = re.search(rf"^{re.escape(line)} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_behind_their_token_count_requests_by_route_and_records_by_kind(metered):
    app, planting_id, token = metered
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    before = _scrape(client)
    sprays = 'traceability_events_recorded_total{kind="input_application"}'
    route = 'traceability_request_seconds_count{method="POST",route="/api/v1/plantings/<planting>/inputs",status="2xx"}'
    for n in range(3):
        posted = client.post(
            f"/api/v1/plantings/{planting_id}/inputs",
            json={"applied_on": days_ago(n + 1).isoformat(), "trade_name": f"Phân {n}", "kind": "fertiliser"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert posted.status_code == 201, posted.json
    after = _scrape(client)
    assert _value(after, sprays) - _value(before, sprays) == 3
    assert _value(after, route) - _value(before, route) == 3
    assert "traceability_jobs_waiting 0.0" in after
    assert "/metrics" not in re.findall(r'route="([^"]+)"', after)  # the scrapes themselves are not counted


def test_metrics_are_off_until_a_token_is_set(client):
    assert client.get("/metrics").status_code == 404
