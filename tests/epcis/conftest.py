"""A cooperative that bought turmeric from a supplier and made starch of it, a neighbour with a product of its
own on the same server, tokens for both, and the supplier's EPCIS document of that turmeric's history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import days_ago, make_org, make_user
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.epcis import schema
from traceability.extensions import db
from traceability.gs1 import check_digit
from traceability.lots import trade
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.products import services as products


def gtin(body13: str) -> str:
    return body13 + str(check_digit(body13))


SUPPLIER_GTIN = gtin("0952012345670")  # GS1's example prefix 952: a supplier's own product, not on this server
NEIGHBOUR_GTIN = gtin("0952099900001")
STARCH_GTIN = gtin("0952012300003")
THEIR_LOT = "NCC-2611-A"  # the supplier's lot number, noted when we bought it in
THEIR_HARVEST = "NCC-RAW-07"


def supplier_document(lot: str = THEIR_LOT, harvest: str = THEIR_HARVEST) -> dict:
    """The supplier's system's own history of the lot: harvest, drying (a transformation), shipping to us."""
    raw = f"https://id.gs1.org/01/{SUPPLIER_GTIN}/10/{harvest}"
    dried = f"urn:epc:class:lgtin:9520123.045670.{lot}"  # the same GTIN written as an EPC class URN
    farm = "https://id.gs1.org/414/9520123000011/254/RUONG-3"
    return {
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"ncc": "https://ncc.example.vn/voc/"},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T08:00:00+07:00",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "eventTime": f"{days_ago(30).isoformat()}T07:30:00+07:00",
                    "eventTimeZoneOffset": "+07:00",
                    "action": "ADD",
                    "bizStep": "commissioning",
                    "disposition": "active",
                    "quantityList": [{"epcClass": raw, "quantity": 800, "uom": "KGM"}],
                    "readPoint": {"id": farm},
                    "bizLocation": {"id": farm},
                    "ilmd": {"cbvmda:countryOfOrigin": "VN"},
                },
                {
                    "type": "TransformationEvent",
                    "eventTime": f"{days_ago(25).isoformat()}T14:00:00+07:00",
                    "eventTimeZoneOffset": "+07:00",
                    "bizStep": "creating_class_instance",
                    "inputQuantityList": [{"epcClass": raw, "quantity": 800, "uom": "KGM"}],
                    "outputQuantityList": [{"epcClass": dried, "quantity": 200, "uom": "KGM"}],
                    "ncc:dryingHours": 36,
                },
                {
                    "type": "ObjectEvent",
                    "eventTime": f"{days_ago(21).isoformat()}T09:00:00+07:00",
                    "eventTimeZoneOffset": "+07:00",
                    "action": "OBSERVE",
                    "bizStep": "shipping",
                    "disposition": "in_transit",
                    "quantityList": [{"epcClass": dried, "quantity": 200, "uom": "KGM"}],
                },
            ]
        },
    }


@pytest.fixture
def partners(app, client):
    with app.app_context():
        org = make_org("nghe-lai-ha", name="Tổ hợp tác tinh bột nghệ Lai Hà")
        manager = make_user(org, Role.MANAGER, login="0988888888")
        member = make_user(org, Role.MEMBER)
        products.save_product(
            org, None, code="TBN", name_vi="Tinh bột nghệ", kind="processed", unit="kg", gtin=STARCH_GTIN,
            shelf_life_days=365,
        )  # fmt: skip
        bought = trade.receive_lot(
            org, manager, supplier_name="HTX Nghệ Phong Điền", supplier_lot_code=THEIR_LOT, quantity=Decimal(200),
            unit="kg", received_on=days_ago(20), crop="Nghệ khô",
        )  # fmt: skip
        (starch,) = record_processing(
            org, manager, processed_on=days_ago(10), inputs=[RunInput(bought.code, Decimal(200))],
            outputs=[RunOutput("TBN", Decimal(30))], reason="Nghệ khô: tỷ lệ cao hơn nghệ tươi",
        ).outputs  # fmt: skip
        bags = pack(
            org, manager, source_lot_code=starch.code, product_code="TBN", units=40, net_content=Decimal(500),
            net_unit="g", packed_on=days_ago(9), serials=False,
        )  # fmt: skip
        trade.record_sale(
            org, manager, lot_code=bags.code, buyer_name="Siêu thị Huế", quantity=Decimal(10), sold_on=days_ago(8)
        )
        neighbour = make_org("dau-dua", name="HTX Dầu dừa Đoan Ngọ")
        products.save_product(
            neighbour, None, code="DD", name_vi="Dầu dừa", kind="processed", unit="l", gtin=NEIGHBOUR_GTIN,
            shelf_life_days=365,
        )  # fmt: skip
        _row, token = create_token(manager, org, "partner")
        _row, member_token = create_token(member, org, "member")
        _row, neighbour_token = create_token(make_user(neighbour, Role.MANAGER), neighbour, "neighbour")
        db.session.commit()
        ids = {"org": org.id, "bought": bought.id, "bought_code": bought.code, "bags": bags.code, "starch": starch.code}

    def call(method, path, json=None, token=token, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        return client.open(f"/epcis{path}", method=method, json=json, headers=headers, **kwargs)

    call.ids, call.token, call.member_token, call.neighbour_token = ids, token, member_token, neighbour_token
    call.client = client
    return call


def query_events(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert schema.errors(response.json) == []  # every answer is a valid EPCIS 2.0 document
    assert response.json["type"] == "EPCISQueryDocument"
    return response.json["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
