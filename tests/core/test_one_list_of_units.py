"""One list of units for products and lots: how a unit reads on a page (a count of pieces is "cái" in
Vietnamese), which units a form offers, and which a service accepts; stored values stay as they were."""

import re
import subprocess
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import login, needs_tool
from tests.factories import days_ago, make_org, make_user
from traceability.accounts.models import Role
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.lots import trade
from traceability.lots.processing import RunInput, RunOutput, record_processing
from traceability.products import services as products
from traceability.units import NET_CONTENT_UNITS, Unit


@pytest.fixture
def coconuts(app, client):
    """600 coconuts bought in, 100 of them sold."""
    with app.app_context():
        org = make_org("dua-doan-ngo")
        manager = make_user(org, Role.MANAGER, login="0922222222")
        lot = trade.receive_lot(
            org,
            manager,
            supplier_name="Hộ bà Năm",
            supplier_lot_code=None,
            quantity=Decimal(600),
            unit="piece",
            received_on=days_ago(3),
            crop="Dừa",
        )
        trade.record_sale(
            org, manager, lot_code=lot.code, buyer_name="Chợ Đông Ba", quantity=Decimal(100), sold_on=days_ago(1)
        )
        db.session.commit()
        lot_id = lot.id
    login(client, "0922222222")
    return lot_id


def test_a_count_of_pieces_reads_in_the_pages_language(app, client, coconuts):
    vietnamese = client.get(f"/lots/{coconuts}?lang=vi").get_data(as_text=True)
    english = client.get(f"/lots/{coconuts}?lang=en").get_data(as_text=True)
    assert "600 cái" in vietnamese and "piece" not in vietnamese
    assert "600 piece" in english
    trace = client.get(f"/lots/{coconuts}/trace?lang=vi").get_data(as_text=True)
    assert "100 cái" in trace and "piece" not in trace  # the sale, in the lot's unit
    with app.app_context():  # the stored value is the same string as before
        assert db.session.execute(sa.text("SELECT unit FROM lots")).scalar() == "piece"


@needs_tool("pdftotext")
def test_the_recall_pdf_counts_pieces_in_vietnamese(client, coconuts):
    response = client.post(
        f"/lots/{coconuts}/recall?lang=en", data={"reason": "Nghi nhiễm", "opened_on": days_ago(0).isoformat()}
    )
    pdf = client.get(f"{response.headers['Location']}/report.pdf?lang=en").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "600 cái" in text and "100 cái" in text and "piece" not in text


def options(page: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option[^>]* value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_forms_offer_the_units_of_the_one_list(client, coconuts):
    every = [("kg", "kg"), ("g", "g"), ("l", "l"), ("ml", "ml")]
    assert options(client.get("/receipts/new?lang=vi").get_data(as_text=True), "unit") == [*every, ("piece", "cái")]
    assert options(client.get("/products/new?lang=en").get_data(as_text=True), "unit") == [*every, ("piece", "piece")]
    # A pack holds a weight or a volume, never pieces.
    packing = options(client.get("/packing/new").get_data(as_text=True), "net_unit")
    assert [value for value, _label in packing] == [u.value for u in NET_CONTENT_UNITS] == ["g", "ml", "kg", "l"]


def test_a_unit_outside_the_list_is_refused_with_a_message(ctx):
    org = make_org("nghe")
    manager = make_user(org, Role.MANAGER)
    products.save_product(org, None, code="TBN", name_vi="Tinh bột nghệ", kind="processed", unit="kg")
    lot = trade.receive_lot(
        org,
        manager,
        supplier_name="Hộ ông Tám",
        supplier_lot_code=None,
        quantity=Decimal(100),
        unit="kg",
        received_on=days_ago(2),
        crop="Nghệ",
    )
    with pytest.raises(DomainError) as refused:
        record_processing(
            org,
            manager,
            processed_on=days_ago(1),
            inputs=[RunInput(lot.code, Decimal(50))],
            outputs=[RunOutput("TBN", Decimal(5), "box")],
            reason="thử",
        )
    assert refused.value.field == "outputs"
    with pytest.raises(DomainError) as refused:
        trade.receive_lot(
            org,
            manager,
            supplier_name="Hộ ông Tám",
            supplier_lot_code=None,
            quantity=Decimal(1),
            unit="bao",
            received_on=days_ago(2),
            crop="Nghệ",
        )
    assert refused.value.field == "unit"


def test_the_api_document_lists_the_units_the_services_accept(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]

    def resolve(schema):
        if "$ref" in schema:
            return resolve(schemas[schema["$ref"].rsplit("/", 1)[1]])
        options = [x for x in schema.get("anyOf", ()) if x.get("type") != "null"]
        return resolve(options[0]) if options else schema

    def body(path):
        return resolve(document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"])

    assert resolve(body("/packings")["properties"]["net_unit"])["enum"] == ["g", "ml", "kg", "l"]
    output = resolve(body("/processing-runs")["properties"]["outputs"]["items"])
    assert resolve(output["properties"]["unit"])["enum"] == [u.value for u in Unit]
