"""Hostile values sent to every route of the URL map, signed in as each role (and as nobody): the
path's parts, every form field a page may read, the query string and JSON bodies. Nothing answers
5xx. The routes come from the URL map, so a new route is fuzzed without anyone adding it here."""

import itertools
import json
import re
from urllib.parse import quote

import pytest

from tests.conftest import login
from tests.core.test_csrf_and_no_500 import NASTY
from tests.factories import (
    make_harvest,
    make_household,
    make_org,
    make_planting,
    make_plot,
    make_product,
    make_user,
    make_village,
)
from traceability.accounts.models import OrganisationKind, Role
from traceability.accounts.tokens import create_token
from traceability.extensions import db

# The values of the first hostile pass, then those that found 500s since: ids past the columns, a
# quantity finer than kept, a date of another era, a lone surrogate, NULs, deep and huge nesting.
HOSTILE = [
    *NASTY,
    "100000000000000000000",
    "2147483648",
    "9223372036854775808",
    "0.0004",
    "0,0004",
    "0001-01-01",
    "9999-12-31",
    "x\ud800y",
    "A\x00B",
    "../../etc/passwd",
    "%00",
]
FIELDS = [
    "name", "code", "village_id", "household_id", "plot_id", "planting_id", "area_m2", "crop", "vietgap_status",
    "latitude", "longitude", "phone", "email", "kind", "unit", "gtin", "shelf_life_days", "role", "password",
    "commune", "province", "gln", "gs1_company_prefix", "language", "next", "organisation_id", "login",
    "lot_code", "buyer_name", "buyer_kind", "quantity", "quantity_kg", "sold_on", "harvested_on", "sown_on",
    "applied_on", "ended_on", "packed_on", "processed_on", "received_on", "units", "net_content", "net_unit",
    "input_1", "quantity_1", "output_quantity", "product_code", "source_lot_code", "reason", "dose", "dose_unit",
    "phi_days", "product_name", "status", "result", "note", "inspected_on", "supplier_name", "supplier_lot_code",
    "current_password", "new_password", "confirm", "revoke", "uuid", "saved_at", "q", "page", "year",
]  # fmt: skip
ENDS_THE_SESSION = {"accounts.logout", "accounts.sign_out_member", "accounts.change_password"}
VALUES_PER_ROUTE = 6  # per role and method; the roles between them send every value to every route


def _encode(value: str) -> str:
    # surrogatepass: a lone surrogate goes out as the bytes a careless client would send
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _path(rule, value: str) -> str:
    def part(match):
        converter = match.group(1) or "default"
        if converter.startswith("int"):
            return "1" if not value.isdigit() else value
        if converter.startswith("any("):
            return converter[4:-1].split(",")[0].strip()
        return _encode(value) if value.strip() else "x"

    return re.sub(r"<(?:([a-z]+(?:\([^)]*\))?):)?\w+>", part, rule.rule)


@pytest.fixture
def people(app):
    with app.app_context():
        org = make_org("tay-hoang")
        village = make_village(org, "Tây Hoàng")
        household = make_household(org, village)
        manager = make_user(org, Role.MANAGER, login="0911111111")
        member = make_user(org, Role.MEMBER, login="0922222222")
        member.memberships[0].household_id = household.id
        make_user(org, Role.INSPECTOR, login="0933333333")
        make_user(org, Role.ADMIN, login="0944444444")
        authority = make_org("ubnd-quang-thai", kind=OrganisationKind.COMMUNE_AUTHORITY)
        make_user(authority, Role.OFFICIAL, login="0955555555")
        planting = make_planting(org, manager, make_plot(org, village, household, code="A3", area="2000"))
        make_harvest(org, manager, planting, days_ago_=3, kg="100")
        make_product(org, code="KQ")
        tokens = {role: create_token(user, org, "fuzz")[1] for role, user in (("manager", manager), ("member", member))}
        db.session.commit()
        return {
            "anonymous": None,
            "member": "0922222222",
            "manager": "0911111111",
            "inspector": "0933333333",
            "official": "0955555555",
            "admin": "0944444444",
        }, tokens


ROLES = ["anonymous", "member", "manager", "inspector", "official", "admin"]


@pytest.mark.parametrize("role", ROLES)  # one test per role, so parallel workers share the pass
def test_no_hostile_value_gets_a_5xx_on_any_route_for_any_role(app, people, role):
    logins, tokens = people
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static" and r.endpoint not in ENDS_THE_SESSION]
    asks = [(rule, method) for rule in rules for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    # Each role goes on in the cycle of values where the role before it stopped, so between them the
    # roles still send every value to every route.
    values = itertools.islice(itertools.cycle(HOSTILE), ROLES.index(role) * len(asks) * VALUES_PER_ROUTE, None)
    failures, sent = [], 0
    login_name, token = logins[role], tokens.get(role)
    client = app.test_client()
    if login_name:
        assert login(client, login_name).status_code == 302
    for rule, method in asks:
        for _ in range(VALUES_PER_ROUTE):
            value = next(values)
            url = _path(rule, value)
            api = rule.rule.startswith("/api/")
            if api:
                body = json.dumps({f: value for f in FIELDS}, ensure_ascii=True).encode()
                headers = {"Content-Type": "application/json"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                else:
                    headers["X-Requested-With"] = "fetch"
            else:
                body = "&".join(f"{f}={_encode(value)}" for f in FIELDS).encode()
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
            query = f"?q={_encode(value)}&page={_encode(value)}&archived={_encode(value)}"
            data = body if method != "GET" else None
            response = client.open(url + query, method=method, data=data, headers=headers)
            sent += 1
            if response.status_code >= 500:
                failures.append((role, method, url[:120], repr(value)[:40], response.status_code))
    if login_name:  # still signed in: nothing the pass sent ended the session or broke the data
        assert client.get("/").status_code == 200, role
    print(f"hostile pass as {role}: {sent} requests, {len(failures)} answered 5xx")
    assert not failures, failures[:20]
    assert sent > 500


def test_json_nested_deeper_than_allowed_is_a_400(app, people):
    _logins, tokens = people
    client = app.test_client()
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        response = client.post(
            "/api/v1/plantings",
            data=body,
            headers={"Authorization": f"Bearer {tokens['manager']}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
