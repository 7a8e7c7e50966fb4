"""CSRF on every form, and no 500 for anything a user can send."""

import re

import pytest

from tests.factories import PASSWORD, make_org, make_user, make_village
from traceability.accounts.models import Role
from traceability.extensions import db


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        org = make_org("tay-hoang")
        make_user(org, Role.ADMIN, login="0911111111")
        make_village(org, "Tây Hoàng")
        db.session.commit()
    return app


def _csrf_login(client):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"login": "0911111111", "password": PASSWORD, "csrf_token": token})


def test_login_without_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"login": "0911111111", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # nobody is logged in


def test_every_post_route_refuses_a_missing_token(csrf_app):
    client = csrf_app.test_client()
    assert _csrf_login(client).status_code == 302
    checked = 0
    for rule in csrf_app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "accounts.login":
            continue
        url = re.sub(r"<(?:int:)?\w+>", "1", rule.rule)
        response = client.post(url, data={"name": "x", "language": "en", "organisation_id": "1"})
        if rule.endpoint.startswith(("api.", "epcis.")):
            # The API and EPCIS take no cookies and no CSRF token: a bearer token or nothing.
            assert response.status_code == 401, f"POST {url} answered {response.status_code}"
            continue
        if rule.endpoint == "transparency.cosignature":
            # A witness's server posts its signed statement, no cookies: the signature is checked, not a token.
            assert response.status_code in (400, 404, 422), f"POST {url} answered {response.status_code}"
            continue
        assert response.status_code == 400, f"POST {url} answered {response.status_code}"
        assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
        checked += 1
    assert checked >= 12


def test_with_a_token_forms_work(csrf_app):
    client = csrf_app.test_client()
    _csrf_login(client)
    page = client.get("/villages/new").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/villages/new", data={"name": "Lai Hà", "csrf_token": token}).status_code == 302


@pytest.mark.parametrize("path", ["/plots/abc/edit", "/plots/99999999999999999999/edit", "/nowhere", "/plots/-1/edit"])
def test_odd_urls_are_404_not_500(client, path, app):
    with app.app_context():
        make_user(make_org("x"), Role.ADMIN, login="0911111111")
        db.session.commit()
    client.post("/login", data={"login": "0911111111", "password": PASSWORD})
    assert client.get(path).status_code == 404


def test_json_clients_get_json_errors(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.is_json


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


NASTY = [
    "",
    " ",
    "x" * 5000,
    "\x00nul\x00",
    "'; DROP TABLE plots; --",
    "<script>alert(1)</script>",
    "-1",
    "1e309",
    "9" * 40,
    "١٢٣",
    "🌾" * 50,
    "0,0,0",
    "NaN",
]


def test_no_input_makes_a_500(app, client):
    """Every POST route, as an administrator, with hostile values in every field it might read."""
    with app.app_context():
        org = make_org("tay-hoang")
        make_user(org, Role.ADMIN, login="0911111111")
        village = make_village(org, "Tây Hoàng")
        from tests.factories import make_household, make_plot, make_product

        make_household(org, village)
        make_plot(org, village)
        make_product(org)
        db.session.commit()
    client.post("/login", data={"login": "0911111111", "password": PASSWORD})
    fields = [
        "name",
        "code",
        "village_id",
        "household_id",
        "area_m2",
        "crop",
        "vietgap_status",
        "latitude",
        "longitude",
        "phone",
        "email",
        "name_vi",
        "name_en",
        "kind",
        "unit",
        "gtin",
        "shelf_life_days",
        "ingredients",
        "role",
        "password",
        "commune",
        "province",
        "gln",
        "gs1_company_prefix",
        "archived",
        "language",
        "next",
        "organisation_id",
        "login",
    ]
    signing_out = {"accounts.logout", "accounts.sign_out_member"}  # would end the session that sends the rest
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint not in signing_out]
    for value in NASTY:
        for rule in rules:
            url = re.sub(r"<int:\w+>", "1", rule.rule)
            response = client.post(url, data={f: value for f in fields})
            assert response.status_code < 500, (url, value)
    # Still logged in, and the data intact: nothing got through.
    assert client.get("/plots").status_code == 200
