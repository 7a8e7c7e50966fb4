"""One commit per request: what a view changed is kept when it answers below 400, and only then;
a broken rule shown on a form undoes only the refused action; work waiting for the commit runs
after it, never after a rollback; and no module but ``transactions`` commits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import abort, redirect

from tests.factories import make_org
from traceability import transactions
from traceability.accounts.models import Organisation
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.web import attempt

PACKAGE = Path(__file__).resolve().parents[2] / "traceability"


def _names(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(Organisation.name).order_by(Organisation.name)).all()


@pytest.fixture
def routes(app):
    """Test-only views that write one organisation, then answer in different ways."""
    ran: list[str] = []

    def write(name: str) -> None:
        make_org(name=name)
        transactions.after_commit(lambda: ran.append(name))

    @app.post("/_t/redirect")
    def t_redirect():
        write("kept after a redirect")
        return redirect("/")

    @app.post("/_t/refused")
    def t_refused():
        write("dropped with a 403")
        abort(403)

    @app.post("/_t/crash")
    def t_crash():
        write("dropped with an exception")
        raise RuntimeError("boom")

    @app.post("/_t/rule")
    def t_rule():
        write("dropped by a broken rule")
        raise DomainError("A rule was broken.")

    @app.post("/_t/clash")
    def t_clash():
        # Staged, not flushed: the duplicate code is found only by the request's commit.
        taken = db.session.scalar(sa.select(Organisation).limit(1))
        db.session.add(
            Organisation(code=taken.code, name="copy", kind=taken.kind, commune=taken.commune, province=taken.province)
        )
        return redirect("/")

    @app.post("/_t/attempt")
    def t_attempt():
        write("kept before a refused action")

        def refused():
            make_org(name="undone with its savepoint")
            transactions.after_commit(lambda: ran.append("never: its action was refused"))
            raise DomainError("No.")

        _result, error = attempt(refused)
        return {"error": error.message}

    return ran


def test_a_redirect_commits_and_runs_what_waited(app, client, routes):
    assert client.post("/_t/redirect").status_code == 302
    assert _names(app) == ["kept after a redirect"]
    assert routes == ["kept after a redirect"]


@pytest.mark.parametrize("path", ["/_t/refused", "/_t/crash"])
def test_an_error_answer_rolls_back_and_runs_nothing(app, client, routes, path):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer the crash with the 500 page, as in production
    assert client.post(path).status_code >= 400
    assert _names(app) == []
    assert routes == []


def test_a_rule_broken_by_a_button_is_flashed_on_the_page_it_came_from(app, client, routes):
    response = client.post("/_t/rule", headers={"Referer": "http://localhost/lots?q=1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/lots?q=1"
    assert _names(app) == []
    assert routes == []
    other_site = client.post("/_t/rule", headers={"Referer": "http://evil.example/x"})
    assert other_site.headers["Location"] == "/"
    itself = client.post("/_t/rule", headers={"Referer": "http://localhost/_t/rule"})
    assert itself.headers["Location"] == "/"  # never a redirect to the page that refused


def test_attempt_undoes_only_the_refused_action(app, client, routes):
    assert client.post("/_t/attempt").get_json() == {"error": "No."}
    assert _names(app) == ["kept before a refused action"]
    assert routes == ["kept before a refused action"]


def test_only_the_transactions_module_commits():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "transactions.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<!transactions)(?<!savepoint)\.commit\(\)", line)
    ]
    assert offenders == []


def test_a_clash_found_by_the_commit_is_a_409_page(app, client, routes):
    with app.app_context():
        make_org("only-once", name="only once")
        db.session.commit()
    response = client.post("/_t/clash")
    assert response.status_code == 409
    assert "text/html" in response.content_type
    assert _names(app) == ["only once"]
