"""Exports: EPCIS 2.0 (validated against GS1's JSON Schema), FSMA 204 spreadsheet, TT 02/2024 portal, CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import current_app
from jsonschema import Draft7Validator
from openpyxl import load_workbook

from tests.factories import days_ago, make_household, make_org, make_planting, make_plot, make_user, make_village
from traceability.epcis import identifiers
from traceability.epcis import schema as epcis_schema
from traceability.epcis.export import epcis_document, events_between, events_for_lot
from traceability.exports.fsma import COLUMNS, fsma_rows, write_csv, write_xlsx
from traceability.exports.portal import label_vi, portal_record, write_portal_csv
from traceability.extensions import db
from traceability.gs1 import check_digit
from traceability.lots import recalls, trade
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.lots.services import record_harvest
from traceability.products import services as products
from traceability.quality.certificates import save_certificate

EPCIS_DIR = Path(__file__).resolve().parents[1] / "data" / "epcis"  # GS1's schema and examples (see its README)
GTIN = "09520123456788"  # GS1's example prefix 952: never a real company's
PRIVATE = ("Siêu thị Huế", "Thương lái B", "0987654321", "Hộ bà Năm", "0912345678")


@pytest.fixture(scope="module")
def validator():
    """GS1's schema as the app ships it (``traceability/epcis/data``), formats checked the same everywhere."""
    Draft7Validator.check_schema(epcis_schema.validator().schema)
    return epcis_schema.validator()


def assert_valid(validator, document) -> None:
    errors = sorted(f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document))
    assert errors == []


@pytest.fixture
def chain(ctx):
    """Turmeric from one plot → starch → 100 g bags with serials → sold; starch recalled; a lot bought in."""
    org = make_org("nghe-lai-ha", name="Tổ hợp tác tinh bột nghệ Lai Hà")
    manager = make_user(org)
    village = make_village(org, "Thôn Lai Hà")
    plot = make_plot(org, village, make_household(org, village, name="Hộ bà Năm"), code="N1", area="3000")
    save_certificate(
        org,
        manager,
        kind="vietgap",
        number="VietGAP-TT-0412",
        issuer="VIETCERT",
        valid_from=days_ago(400),
        valid_to=days_ago(-300),
    )
    planting = make_planting(org, manager, plot, sown_days_ago=280, crop="Nghệ")
    a, b = (
        record_harvest(org, manager, planting_id=planting.id, harvested_on=days_ago(d), quantity_kg=Decimal(1000))
        for d in (5, 4)
    )
    products.save_product(
        org,
        None,
        code="TBN",
        name_vi="Tinh bột nghệ Lai Hà",
        name_en="Turmeric starch",
        kind="processed",
        unit="kg",
        shelf_life_days=365,
    )
    products.save_product(
        org,
        None,
        code="TBN100",
        name_vi="Tinh bột nghệ Lai Hà gói 100 g",
        kind="processed",
        unit="piece",
        gtin=GTIN,
        shelf_life_days=365,
    )
    (starch,) = record_processing(
        org,
        manager,
        processed_on=days_ago(2),
        inputs=[RunInput(a.code, Decimal(1000)), RunInput(b.code, Decimal(400))],
        outputs=[RunOutput("TBN", Decimal(56))],
    ).outputs
    bags = pack(
        org,
        manager,
        source_lot_code=starch.code,
        product_code="TBN100",
        units=100,
        net_content=Decimal(100),
        net_unit="g",
        packed_on=days_ago(1),
        serials=True,
    )
    trade.record_sale(
        org,
        manager,
        lot_code=bags.code,
        buyer_name="Siêu thị Huế",
        buyer_kind="supermarket",
        buyer_phone="0987654321",
        quantity=Decimal(60),
        sold_on=days_ago(0),
        invoice_ref="HD-001",
    )
    trade.record_sale(
        org, manager, lot_code=b.code, buyer_name="Thương lái B", quantity=Decimal(100), sold_on=days_ago(0)
    )
    bought = trade.receive_lot(
        org,
        manager,
        supplier_name="Công ty Nông sản Phong Điền",
        supplier_lot_code="PD-7",
        crop="Nghệ",
        quantity=Decimal(500),
        unit="kg",
        received_on=days_ago(3),
    )
    recalls.open_recall(org, manager, lot_code=starch.code, reason="Dư lượng vượt ngưỡng", opened_on=days_ago(0))
    db.session.commit()
    return SimpleNamespace(
        org=org,
        a=a,
        b=b,
        starch=starch,
        bags=bags,
        bought=bought,
        plot=plot,
        base=current_app.config["PUBLIC_BASE_URL"],
    )


def _steps(document) -> list[tuple[str, str]]:
    return [(e["type"], e["bizStep"]) for e in document["epcisBody"]["eventList"]]


def test_lot_export_validates_and_maps_every_step(chain, validator):
    c = chain
    document = epcis_document(c.org, events_for_lot(c.org, c.bags))
    assert_valid(validator, document)
    assert (document["@context"], document["schemaVersion"]) == (
        ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"coop": f"{c.base}/voc/"}],
        "2.0",
    )
    assert _steps(document) == [
        ("ObjectEvent", "commissioning"),
        ("ObjectEvent", "commissioning"),
        ("TransformationEvent", "creating_class_instance"),
        ("TransformationEvent", "packing"),
        ("ObjectEvent", "shipping"),
        ("ObjectEvent", "shipping"),
        ("ObjectEvent", "holding"),
    ]
    harvest, _, processing, packing, sale, _, recall = document["epcisBody"]["eventList"]
    own = f"{c.base}/o/nghe-lai-ha"
    assert harvest["action"] == "ADD" and harvest["readPoint"] == {"id": f"{own}/loc/N1"}
    assert harvest["quantityList"] == [{"epcClass": f"{own}/p/crop/10/{c.a.code}", "quantity": 1000, "uom": "KGM"}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT12:00:00\+07:00", harvest["eventTime"])
    assert harvest["recordTime"].endswith("Z") and re.fullmatch(
        r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0", harvest["eventID"]
    )
    assert [q["quantity"] for q in processing["inputQuantityList"]] == [1000, 400]
    assert processing["outputQuantityList"] == [
        {"epcClass": f"{own}/p/TBN/10/{c.starch.code}", "quantity": 56, "uom": "KGM"}
    ]
    bags_uri = f"{c.base}/01/{GTIN}/10/{c.bags.code}"
    assert packing["inputQuantityList"] == [
        {"epcClass": f"{own}/p/TBN/10/{c.starch.code}", "quantity": 10, "uom": "KGM"}
    ]
    assert packing["outputQuantityList"] == [{"epcClass": bags_uri, "quantity": 100}]  # pieces: no uom
    assert len(packing["outputEPCList"]) == 100
    assert all(re.fullmatch(re.escape(bags_uri) + r"/21/[0-9A-Z]{12}", e) for e in packing["outputEPCList"])
    assert sale["action"] == "OBSERVE" and sale["destinationList"][0]["destination"].startswith(f"{own}/party/")
    assert sale["bizTransactionList"] == [{"type": "inv", "bizTransaction": f"{own}/inv/HD-001"}]
    assert recall["disposition"] == "recalled"
    assert {q["epcClass"] for q in recall["quantityList"]} == {f"{own}/p/TBN/10/{c.starch.code}", bags_uri}
    text = json.dumps(document, ensure_ascii=False)
    assert c.bought.code not in text  # bought-in lot is outside this lineage
    assert not [secret for secret in PRIVATE if secret in text]


def test_date_range_export_validates(chain, validator):
    document = epcis_document(chain.org, events_between(chain.org, days_ago(10), days_ago(0)))
    assert_valid(validator, document)
    assert sorted(step for _type, step in _steps(document)) == [
        "commissioning",
        "commissioning",
        "creating_class_instance",
        "holding",
        "packing",
        "receiving",
        "shipping",
        "shipping",
    ]
    received = next(e for e in document["epcisBody"]["eventList"] if e["bizStep"] == "receiving")
    assert received["action"] == "ADD" and received["sourceList"][0]["type"] == "owning_party"
    assert not [secret for secret in PRIVATE if secret in json.dumps(document, ensure_ascii=False)]
    assert _steps(epcis_document(chain.org, events_between(chain.org, days_ago(3), days_ago(3)))) == [
        ("ObjectEvent", "receiving")
    ]


def test_exports_read_with_a_fixed_number_of_queries(app, chain):
    from sqlalchemy import event

    org, lot = chain.org, chain.bags
    db.session.refresh(org), db.session.refresh(lot)  # reload what the commit expired: count only the export
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        events = events_for_lot(org, lot)
        lineage_queries = len(statements)
        epcis_document(org, events)
        fsma_rows(org, events)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert lineage_queries == 3  # back, forward, events
    assert len(statements) - lineage_queries <= 6  # lots, serials, parties for each export, not per event


@pytest.mark.parametrize(
    "example", ["Example_9.6.4-TransformationEventWithDigitalLink.jsonld", "object_event_all_possible_fields.jsonld"]
)
def test_official_examples_validate(validator, example):
    assert_valid(validator, json.loads((EPCIS_DIR / "examples" / example).read_text(encoding="utf-8")))


def test_validator_rejects_what_the_standard_forbids(validator):
    example = json.loads(
        (EPCIS_DIR / "examples/Example_9.6.4-TransformationEventWithDigitalLink.jsonld").read_text(encoding="utf-8")
    )
    event = example["epcisBody"]["eventList"][0]
    for field, bad in (("bizStep", "transforming"), ("eventTime", "31/10/2013"), ("eventID", "not a uri")):
        broken = json.loads(json.dumps(example))
        broken["epcisBody"]["eventList"][0][field] = bad
        assert not validator.is_valid(broken), field
    assert event["bizStep"] == "commissioning"


def test_identifiers_use_sgln_only_when_the_gln_splits_correctly(ctx):
    org = make_org("gln-org")
    plot = make_plot(org, code="F-12")
    base = current_app.config["PUBLIC_BASE_URL"]
    assert identifiers.organisation_location(org) == f"{base}/o/gln-org"
    org.gs1_company_prefix = "9520123"
    org.gln = "952012300001" + str(check_digit("952012300001"))
    assert identifiers.organisation_location(org) == "urn:epc:id:sgln:9520123.00001.0"
    assert identifiers.plot_location(org, plot) == "urn:epc:id:sgln:9520123.00001.F-12"
    org.gs1_company_prefix = "9520124"  # the GLN does not start with it: no guessing
    assert identifiers.plot_location(org, plot) == f"{base}/o/gln-org/loc/F-12"
    assert identifiers.party_uri(org, 7) == f"{base}/o/gln-org/party/7"


def test_fsma_rows_one_per_critical_tracking_event(chain, tmp_path):
    c = chain
    rows = fsma_rows(c.org, events_for_lot(c.org, c.bags))
    assert [(r["event_type"], r["traceability_lot_code"]) for r in rows] == [
        ("harvesting", c.a.code),
        ("harvesting", c.b.code),
        ("transformation", c.starch.code),
        ("transformation", c.bags.code),
        ("shipping", c.b.code),
        ("shipping", c.bags.code),
    ]
    harvest, _, processing, packing, sale_b, sale_bags = rows
    assert "plot N1" in harvest["location_description"] and "Thôn Lai Hà" in harvest["tlc_source"]
    assert (harvest["quantity"], harvest["unit_of_measure"]) == (1000, "kg")
    assert processing["input_lots"] == ";".join(sorted([c.a.code, c.b.code]))
    assert processing["product_description"] == "Tinh bột nghệ Lai Hà (Turmeric starch)"
    assert (packing["input_lots"], packing["quantity"], packing["unit_of_measure"]) == (c.starch.code, 100, "piece")
    assert (sale_bags["ship_to"], sale_bags["reference_document_type"], sale_bags["reference_document_number"]) == (
        "Siêu thị Huế",
        "invoice",
        "HD-001",
    )
    assert sale_b["reference_document_type"] == "event" and sale_b["reference_document_number"].isdigit()
    assert [r["event_date"] for r in rows] == sorted(r["event_date"] for r in rows)
    assert not [
        v for r in rows for v in r.values() if any(s in str(v) for s in ("0987654321", "0912345678", "Hộ bà Năm"))
    ]
    everything = fsma_rows(c.org, events_between(c.org, days_ago(10), days_ago(0)))
    received = [r for r in everything if r["event_type"] == "receiving"]
    assert [(r["traceability_lot_code"], r["received_from"]) for r in received] == [
        (c.bought.code, "Công ty Nông sản Phong Điền")
    ]

    buffer = io.StringIO()
    write_csv(rows, buffer)
    assert list(csv.DictReader(io.StringIO(buffer.getvalue()))) == [{k: str(v) for k, v in r.items()} for r in rows]

    path = tmp_path / "fsma.xlsx"
    write_xlsx(rows, path)
    sheet = load_workbook(path).active
    assert [cell.value for cell in sheet[1]] == COLUMNS and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:M{len(rows) + 1}"
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        r["traceability_lot_code"] for r in rows
    ]


def test_portal_record_has_the_ten_fields(chain):
    c = chain
    assert len(label_vi) == 10
    record = portal_record(c.bags)
    assert list(record) == list(label_vi)
    assert record["product_name"] == "Tinh bột nghệ Lai Hà gói 100 g"
    assert record["image_url"] is None  # products carry no image yet
    assert (record["producer_name"], record["address"]) == (
        "Tổ hợp tác tinh bột nghệ Lai Hà",
        "Quảng Thái, Thành phố Huế",
    )
    assert [s["stage"] for s in record["stages"]] == ["harvest", "harvest", "processing", "packing"]
    assert all(s["product_trace_code"] and s["location_trace_code"] and s["event_time"] for s in record["stages"])
    assert record["stages"][0]["location_trace_code"].endswith("/loc/N1")
    assert record["product_traceability_code"] == f"{c.base}/01/{GTIN}/10/{c.bags.code}"
    assert (record["production_time"], record["serial_count"]) == (days_ago(1).isoformat(), 100)
    assert record["expiry_date"] == (days_ago(1) + dt.timedelta(days=365)).isoformat()
    harvest = portal_record(c.a)
    assert harvest["standards_applied"] == ["VietGAP VietGAP-TT-0412"]
    assert (harvest["product_name"], harvest["serial_count"], harvest["expiry_date"]) == ("Nghệ", None, None)

    buffer = io.StringIO()
    write_portal_csv([record, harvest], buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert list(rows[0]) == list(label_vi)
    assert json.loads(rows[0]["stages"]) == record["stages"]
    assert rows[1]["standards_applied"] == "VietGAP VietGAP-TT-0412" and rows[1]["image_url"] == ""


@pytest.fixture
def export_cli(app, runner):
    assert "export" in app.cli.commands
    return lambda *args: runner.invoke(args=["export", *args])


def test_cli_writes_each_format(chain, export_cli, tmp_path, validator):
    lot, org = ["--lot", chain.bags.code], ["--org", "nghe-lai-ha"]
    days = ["--from", days_ago(10).isoformat(), "--to", days_ago(0).isoformat()]
    result = export_cli("epcis", *org, *lot, "-o", str(tmp_path / "lot.json"))
    assert result.exit_code == 0, result.output
    assert_valid(validator, json.loads((tmp_path / "lot.json").read_text(encoding="utf-8")))
    assert export_cli("epcis", *org, *days, "-o", str(tmp_path / "days.json")).exit_code == 0
    assert export_cli("fsma", *org, *days, "-o", str(tmp_path / "fsma.xlsx")).exit_code == 0
    assert load_workbook(tmp_path / "fsma.xlsx").active.max_row == 8  # header + 7 CTEs
    assert export_cli("fsma", *org, *lot, "-o", str(tmp_path / "fsma.csv")).exit_code == 0
    with open(tmp_path / "fsma.csv", encoding="utf-8-sig", newline="") as fp:
        assert len(list(csv.DictReader(fp))) == 6
    assert export_cli("portal", *org, *lot, "-o", str(tmp_path / "portal.json")).exit_code == 0
    assert json.loads((tmp_path / "portal.json").read_text(encoding="utf-8"))[0]["serial_count"] == 100
    assert export_cli("portal", *org, *days, "-o", str(tmp_path / "portal.csv")).exit_code == 0
    with open(tmp_path / "portal.csv", encoding="utf-8-sig", newline="") as fp:
        assert len(list(csv.DictReader(fp))) == 5  # two harvests, starch, bags, bought-in lot


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Say what to export"),
        (["--lot", "X", "--from", "2025-01-01", "--to", "2025-01-31"], "not both"),
        (["--from", "2025-01-01"], "both --from and --to"),
        (["--from", "2025-13-01", "--to", "2025-12-31"], "is not a date"),
        (["--from", "2025-02-01", "--to", "2025-01-01"], "is after"),
        (["--lot", "NO-SUCH-LOT"], "No lot"),
        (["--org", "nowhere", "--lot", "X"], "No organisation"),
    ],
)
def test_cli_refuses_bad_selectors(chain, export_cli, tmp_path, args, message):
    org = [] if "--org" in args else ["--org", "nghe-lai-ha"]
    result = export_cli("epcis", *org, *args, "-o", str(tmp_path / "out.json"))
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "out.json").exists()


def test_web_downloads(app, client, tmp_path):
    import openpyxl

    from tests.conftest import login
    from tests.factories import make_harvest, make_org, make_planting, make_plot, make_user

    with app.app_context():
        org = make_org("coop")
        manager = make_user(org, "manager", login="0955555555")
        lot = make_harvest(org, manager, make_planting(org, manager, make_plot(org)), kg="50")
        db.session.commit()
        lot_id = lot.id
    login(client, "0955555555")
    epcis = client.get(f"/lots/{lot_id}/export/epcis.jsonld")
    assert epcis.status_code == 200 and json.loads(epcis.data)["type"] == "EPCISDocument"
    xlsx = client.get(f"/lots/{lot_id}/export/fsma.xlsx")
    (tmp_path / "x.xlsx").write_bytes(xlsx.data)
    assert openpyxl.load_workbook(tmp_path / "x.xlsx").active.max_row == 2
    assert client.get(f"/lots/{lot_id}/export/nonsense").status_code == 404
    ranged = client.get("/exports?start=2020-01-01&end=2030-12-31&fmt=portal.json")
    assert ranged.status_code == 200 and len(json.loads(ranged.data)) == 1
    bad = client.get("/exports?start=2026-12-31&end=2020-01-01&fmt=epcis.jsonld")
    assert bad.status_code == 400 and 'class="error"' in bad.get_data(as_text=True)
