"""What an integrator needs with only the README and the OpenAPI document: every list to pick ids from, a
page at a time; packing answers with its serials; every lot with its public page and its Digital Link."""

from __future__ import annotations

import pytest

from tests.factories import (
    days_ago,
    make_harvest,
    make_household,
    make_org,
    make_planting,
    make_plot,
    make_user,
    make_village,
)
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.extensions import db
from traceability.gs1 import check_digit
from traceability.lots.processing import RunInput, RunOutput, record_processing
from traceability.products import services as products

STARCH_GTIN = "0952012300005"[:13] + str(check_digit("0952012300005"[:13]))  # GS1 example prefix 952


@pytest.fixture
def api(app, client):
    with app.app_context():
        org = make_org("nghe-lai-ha")
        manager = make_user(org, Role.MANAGER)
        member = make_user(org, Role.MEMBER)
        village = make_village(org, "Lai Hà")
        household = make_household(org, village, name="Hộ bà Năm")
        plot = make_plot(org, village, household, code="N1", area="3000")
        planting = make_planting(org, manager, plot, sown_days_ago=200, crop="Nghệ")
        harvest = make_harvest(org, manager, planting, days_ago_=20, kg="2000")
        for code, gtin in (("TBN", STARCH_GTIN), ("TBN-NO", None)):
            products.save_product(
                org,
                None,
                code=code,
                name_vi="Tinh bột nghệ",
                kind="processed",
                unit="kg",
                gtin=gtin,
                shelf_life_days=365,
            )
        record_processing(
            org, manager, processed_on=days_ago(10), inputs=[RunInput(harvest.code, 2000)],
            outputs=[RunOutput("TBN", 60), RunOutput("TBN-NO", 20)],
        )  # fmt: skip
        _row, token = create_token(manager, org, "integrator")
        _row, member_token = create_token(member, org, "member")
        other = make_org("other")
        _row, other_token = create_token(make_user(other, Role.MANAGER), other, "other")
        db.session.commit()
        ids = {"village": village.id, "household": household.id, "plot": plot.id, "planting": planting.id}

    def call(method, path, json=None, token=token):
        return client.open(f"/api/v1{path}", method=method, json=json, headers={"Authorization": f"Bearer {token}"})

    call.ids, call.member_token, call.other_token = ids, member_token, other_token
    return call


def test_a_plot_is_registered_from_a_listed_village(api):
    villages = api("GET", "/villages").json
    assert [v["name"] for v in villages["villages"]] == ["Lai Hà"] and villages["next_after"] is None
    created = api(
        "POST",
        "/plots",
        {"code": "N2", "name": "Ruộng 2", "village_id": villages["villages"][0]["id"], "area_m2": 1200, "crop": "Nghệ"},
    )
    assert created.status_code == 201, created.json
    plots = api("GET", f"/plots?village_id={api.ids['village']}").json["plots"]
    assert [p["code"] for p in plots] == ["N1", "N2"] and plots[0]["household_id"] == api.ids["household"]
    assert api("GET", "/plots", token=api.other_token).json["plots"] == []  # another organisation's token


def test_a_household_phone_only_to_whom_manages_the_registry(api):
    assert api("GET", "/households").json["households"][0]["phone"] == "0912345678"
    assert api("GET", "/households", token=api.member_token).json["households"][0]["phone"] is None


def test_every_lot_says_where_its_page_is_and_its_digital_link(api, app):
    lots = {x["product"]: x for x in api("GET", "/lots?kind=processed").json["lots"]}
    base = app.config["PUBLIC_BASE_URL"]
    with_gtin, without = lots["TBN"], lots["TBN-NO"]
    assert with_gtin["public_url"] == f"{base}/01/{STARCH_GTIN}/10/{with_gtin['code']}"
    assert with_gtin["digital_link"] == f"https://id.gs1.org/01/{STARCH_GTIN}/10/{with_gtin['code']}"
    assert without["public_url"].startswith(f"{base}/o/nghe-lai-ha/p/TBN-NO/10/") and without["digital_link"] is None
    assert api("GET", f"/lots/{with_gtin['code']}").json["public_url"] == with_gtin["public_url"]


@pytest.mark.parametrize("units", [5, 150])
def test_packing_answers_with_its_serials_or_where_to_read_them(api, units):
    starch = next(x for x in api("GET", "/lots?product=TBN").json["lots"])
    packed = api("POST", "/packings", {"source_lot_code": starch["code"], "product_code": "TBN", "units": units,
                                       "net_content": 100, "net_unit": "g", "serials": True})  # fmt: skip
    assert packed.status_code == 201, packed.json
    body = packed.json
    assert body["units_url"].endswith(f"/api/v1/lots/{body['code']}/units")
    seen, after = [], 0
    while after is not None:
        page = api("GET", f"/lots/{body['code']}/units?limit=40&after={after}").json
        seen += page["units"]
        after = page["next_after"]
    assert len(seen) == len({u["serial"] for u in seen}) == units
    assert seen[0]["digital_link"] == f"https://id.gs1.org/01/{STARCH_GTIN}/21/{seen[0]['serial']}"
    assert seen[0]["public_url"].endswith(f"/10/{body['code']}/21/{seen[0]['serial']}")
    if units <= 100:
        assert body["serials"] == [u["serial"] for u in seen]
    else:
        assert body["serials"] is None


def test_sales_and_the_log_are_for_managers(api):
    lot = api("GET", "/lots?product=TBN").json["lots"][0]["code"]
    assert api("POST", "/sales", {"lot_code": lot, "buyer_name": "Siêu thị Huế", "quantity": 5}).status_code == 201
    sales = api("GET", f"/sales?lot={lot}").json["sales"]
    assert [(s["buyer"], s["quantity"]) for s in sales] == [("Siêu thị Huế", "5")]
    assert api("GET", "/sales?lot=NOPE").json["sales"] == []
    assert api("GET", "/sales", token=api.member_token).status_code == 403
    assert api("GET", "/events", token=api.member_token).status_code == 403
    first = api("GET", "/events?limit=2").json
    second = api("GET", f"/events?limit=2&after={first['next_after']}").json
    assert len(first["events"]) == 2 and second["events"][0]["prev_hash"] == first["events"][1]["hash"]
    assert first["events"][0]["recorded_at"].endswith("Z")
    assert [e["kind"] for e in api("GET", "/events?kind=sale").json["events"]] == ["sale"]


def test_field_records_listed_by_what_they_belong_to(api):
    plantings = api("GET", f"/plantings?plot_id={api.ids['plot']}&status=growing").json["plantings"]
    assert [p["id"] for p in plantings] == [api.ids["planting"]] and plantings[0]["plot"] == "N1"
    assert api("GET", f"/input-applications?planting_id={api.ids['planting']}").json["input_applications"] == []
    assert api("GET", "/recalls").json == {"recalls": [], "next_after": None}


@pytest.mark.parametrize(
    "query",
    [
        "/lots?limit=0",
        "/lots?limit=501",
        "/lots?produced_to=0",
        "/lots?produced_from=2026-02-30",
        "/plots?village_id=abc",
        "/lots?after=-1",
    ],
)
def test_a_bad_page_or_filter_is_a_400_naming_it(api, query):
    response = api("GET", query)
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    assert response.json["error"]["field"] == query.split("?")[1].split("=")[0]
