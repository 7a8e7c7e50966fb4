"""What HTTP asks of every answer: ``Allow`` on every 405 (TRACE included), HSTS in production."""

import re

from tests.conftest import make_app


def test_every_405_says_which_methods_the_url_takes(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>", "1", rule.rule)
        for method in ("TRACE", "PUT", "DELETE", "PATCH"):
            if method in rule.methods:
                continue
            response = client.open(url, method=method)
            if response.status_code != 405:
                continue  # another rule of the same path takes it (or the path is not this rule's)
            allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
            assert allowed, f"{method} {url}: 405 without Allow"
            assert method not in allowed and "OPTIONS" in allowed, (method, url, allowed)
            checked += 1
    assert checked > 200


def test_trace_is_refused_with_allow_on_pages_and_the_api(client):
    for url in ("/login", "/api/v1/field", "/01/09520123456788/10/ABC"):
        response = client.open(url, method="TRACE")
        assert response.status_code == 405 and "GET" in response.headers["Allow"], url


def test_hsts_in_production_only(app, tmp_path):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    production = make_app(tmp_path, TRACEABILITY_ENV="production", SECRET_KEY="x" * 40)
    response = production.test_client().get("/login", base_url="https://example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_busy_write_lock_is_a_503_with_retry_after_and_other_faults_stay_500(app):
    import sqlite3

    import sqlalchemy as sa

    def busy():
        raise sa.exc.OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))

    def broken():
        raise sa.exc.OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: x"))

    app.add_url_rule("/_busy", view_func=busy)
    app.add_url_rule("/_broken", view_func=broken)
    client = app.test_client()
    response = client.get("/_busy", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "busy"
    assert client.get("/_broken").status_code == 500
