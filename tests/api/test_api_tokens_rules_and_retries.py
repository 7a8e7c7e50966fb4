"""JSON API v1: tokens, the same rules as the web, stable error codes, idempotent retries, OpenAPI."""

import re

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from tests.factories import days_ago, make_org, make_planting, make_plot, make_user, make_village
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.extensions import db
from traceability.farm.services import permitted
from traceability.lots.models import Lot, Sale
from traceability.products import services as products


@pytest.fixture
def api(app, client):
    with app.app_context():
        org = make_org("nghe-lai-ha")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        member = make_user(org, Role.MEMBER)
        village = make_village(org, "Lai Hà")
        plot = make_plot(org, village, code="N1", area="3000")
        planting = make_planting(org, manager, plot, sown_days_ago=280, crop="Nghệ")
        permitted.load_default_inputs(org)
        products.save_product(
            org,
            None,
            code="TBN",
            name_vi="Tinh bột nghệ",
            kind="processed",
            unit="kg",
            gtin="09520123000035",
            shelf_life_days=365,
        )
        _row, token = create_token(manager, org, "test")
        _row, member_token = create_token(member, org, "member")
        other = make_org("other")
        _row, other_token = create_token(make_user(other, Role.MANAGER), other, "other")
        db.session.commit()
        ids = {"village": village.id, "plot": plot.id, "planting": planting.id}

    def call(method, path, json=None, token=token, **headers):
        headers = {"Authorization": f"Bearer {token}", **headers}
        return client.open(f"/api/v1{path}", method=method, json=json, headers=headers)

    call.ids, call.member_token, call.other_token = ids, member_token, other_token
    return call


def test_no_token_no_entry(client, api):
    assert client.get("/api/v1/products").status_code == 401
    response = client.get("/api/v1/products", headers={"Authorization": "Bearer tx_forged"})
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_the_chain_of_custody_through_the_api(api):
    assert [p["code"] for p in api("GET", "/products").json["products"]] == ["TBN"]
    spray = api(
        "POST",
        f"/plantings/{api.ids['planting']}/inputs",
        {"applied_on": days_ago(10).isoformat(), "trade_name": "Emagold 6.5EC", "dose": "20"},
    )
    assert spray.status_code == 201 and spray.json["harvest_allowed_from"] == days_ago(4).isoformat()
    refused = api(
        "POST",
        "/harvests",
        {"planting_id": api.ids["planting"], "quantity_kg": 500, "harvested_on": days_ago(5).isoformat()},
    )
    assert refused.status_code == 422 and refused.json["error"]["field"] == "harvested_on"
    harvest = api("POST", "/harvests", {"planting_id": api.ids["planting"], "quantity_kg": "2500"})
    assert harvest.status_code == 201
    code = harvest.json["code"]
    run = api(
        "POST",
        "/processing-runs",
        {"inputs": [{"lot_code": code, "quantity": 2500}], "outputs": [{"product_code": "TBN", "quantity": 100}]},
    )
    assert run.status_code == 201 and run.json["yield_ratio"] == "0.040000"
    starch = run.json["outputs"][0]["code"]
    packing = api(
        "POST",
        "/packings",
        {
            "source_lot_code": starch,
            "product_code": "TBN",
            "units": 100,
            "net_content": 100,
            "net_unit": "g",
            "serials": True,
        },
    )
    assert packing.status_code == 201 and packing.json["quantity"] == "100"
    # A lot code typed or scanned in lower case is the same lot, as on the web forms.
    sale = api(
        "POST", "/sales", {"lot_code": packing.json["code"].lower(), "buyer_name": "Siêu thị Huế", "quantity": 30}
    )
    assert sale.status_code == 201 and sale.json["lot"]["remaining_quantity"] == "70"
    back = api("GET", f"/lots/{packing.json['code']}/trace?direction=back").json
    assert {x["code"] for x in back["lots"]} == {packing.json["code"], starch, code}
    assert back["input_applications"][0]["trade_name"] == "Emagold 6.5EC"
    forward = api("GET", f"/lots/{code}/trace?direction=forward").json
    assert forward["sales"][0]["buyer"] == "Siêu thị Huế"
    recall = api("POST", f"/lots/{code}/recall", {"reason": "Kiểm tra lại"})
    assert recall.status_code == 201 and set(recall.json["lots"]) == {code, starch, packing.json["code"]}
    assert api("GET", f"/lots/{starch}").json["status"] == "recalled"


def test_an_idempotent_retry_writes_once(app, api):
    harvest = api("POST", "/harvests", {"planting_id": api.ids["planting"], "quantity_kg": 300}).json
    body = {"lot_code": harvest["code"], "buyer_name": "Thương lái", "quantity": 100}
    first = api("POST", "/sales", body, **{"Idempotency-Key": "sale-7f3a"})
    again = api("POST", "/sales", body, **{"Idempotency-Key": "sale-7f3a"})
    assert first.status_code == again.status_code == 201
    assert first.json == again.json and again.headers.get("Idempotent-Replayed") == "true"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Sale.id))) == 1
        assert db.session.scalar(sa.select(Lot.remaining_quantity).where(Lot.code == harvest["code"])) == 200
    reused = api("POST", "/sales", {**body, "quantity": 5}, **{"Idempotency-Key": "sale-7f3a"})
    # Other content under a used key: a conflict, with the stored answer to compare (the offline contract).
    assert reused.status_code == 409 and reused.json["error"]["code"] == "conflict"
    assert reused.json["error"]["stored"] == first.json


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/harvests", {"planting_id": "one", "quantity_kg": 5}, "planting_id"),
        ("/harvests", {"planting_id": 1, "quantity_kg": "lots"}, "quantity_kg"),
        ("/harvests", {"planting_id": 1, "quantity_kg": 5, "harvested_on": "12/12/2026"}, "harvested_on"),
        ("/processing-runs", {"inputs": [], "outputs": [{"product_code": "TBN", "quantity": 1}]}, "inputs"),
        ("/processing-runs", {"inputs": "N1", "outputs": []}, "inputs"),
        ("/sales", ["not", "an", "object"], None),
    ],
)
def test_wrong_shapes_are_400_with_the_field(api, path, body, field):
    response = api("POST", path, body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request" and response.json["error"]["field"] == field


def test_rules_broken_are_422_and_nothing_is_written(app, api):
    harvest = api("POST", "/harvests", {"planting_id": api.ids["planting"], "quantity_kg": 10}).json
    over = api("POST", "/sales", {"lot_code": harvest["code"], "buyer_name": "X", "quantity": 11})
    assert over.status_code == 422 and re.search("10", over.json["error"]["message"])
    no_outputs = api(
        "POST",
        "/processing-runs",
        {
            "inputs": [{"lot_code": harvest["code"], "quantity": 1}],
            "outputs": [{"product_code": "NOPE", "quantity": 1}],
        },
    )
    assert no_outputs.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(Lot.remaining_quantity).where(Lot.code == harvest["code"])) == 10


def test_other_organisations_lots_and_plantings_are_404(api):
    code = api("POST", "/harvests", {"planting_id": api.ids["planting"], "quantity_kg": 10}).json["code"]
    assert api("GET", f"/lots/{code}", token=api.other_token).status_code == 404
    assert api("POST", f"/lots/{code}/recall", {"reason": "x"}, token=api.other_token).status_code == 404
    assert (
        api(
            "POST",
            f"/plantings/{api.ids['planting']}/inputs",
            {"applied_on": days_ago(1).isoformat(), "trade_name": "Urê"},
            token=api.other_token,
        ).status_code
        == 404
    )
    assert api("GET", "/lots/NO-SUCH-LOT").status_code == 404


def test_roles_apply_as_on_the_web(api):
    code = api("POST", "/harvests", {"planting_id": api.ids["planting"], "quantity_kg": 10}, token=api.member_token)
    assert code.status_code == 201
    sale = api(
        "POST", "/sales", {"lot_code": code.json["code"], "buyer_name": "X", "quantity": 1}, token=api.member_token
    )
    assert sale.status_code == 403 and sale.json["error"]["code"] == "forbidden"


def test_openapi_is_a_valid_document_of_exactly_the_routes(app, client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)  # raises unless it is a valid OpenAPI 3.1 document
    assert document["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served and len(served) >= 13
    harvest = document["paths"]["/harvests"]["post"]
    assert harvest["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HarvestIn"}
    assert {"quantity_kg"} == set(document["components"]["schemas"]["HarvestIn"]["required"])  # and one planting ref


def test_tokens_page_and_cli(app, client, runner):
    from tests.conftest import login

    with app.app_context():
        org = make_org("coop")
        make_user(org, Role.MANAGER, login="0922222222")
        db.session.commit()
    result = runner.invoke(args=["users", "token", "0922222222", "--org", "coop", "--name", "tablet"])
    assert result.exit_code == 0 and result.output.startswith("tx_")
    assert (
        client.get("/api/v1/products", headers={"Authorization": f"Bearer {result.output.strip()}"}).status_code == 200
    )
    login(client, "0922222222")
    page = client.post("/tokens", data={"name": "Máy tính bảng"}).get_data(as_text=True)
    token = re.search(r'<code class="token">(tx_[^<]+)</code>', page).group(1)
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("kind", ["", "  ", None])
def test_a_sale_without_a_buyer_kind_is_to_a_trader(api, kind):
    harvest = api("POST", "/harvests", {"planting_id": api.ids["planting"], "quantity_kg": "100"})
    sale = api(
        "POST", "/sales", {"lot_code": harvest.json["code"], "buyer_name": "Chị Lan", "quantity": 5, "buyer_kind": kind}
    )
    assert sale.status_code == 201, sale.json
