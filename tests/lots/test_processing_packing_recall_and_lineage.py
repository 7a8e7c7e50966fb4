"""The lots engine: processing with mass balance, packing with serials, sales, recall, lineage."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.factories import days_ago, make_harvest, make_org, make_planting, make_plot, make_user
from traceability.accounts.models import Role
from traceability.errors import DomainError
from traceability.events import chain
from traceability.extensions import db
from traceability.lots import lineage, recalls, trade
from traceability.lots.models import Lot, LotKind, LotStatus, UnitSerial
from traceability.lots.processing import SERIAL_ALPHABET, RunInput, RunOutput, pack, record_processing
from traceability.products import services as products


@pytest.fixture
def turmeric(ctx):
    org = make_org("nghe-lai-ha")
    manager = make_user(org, Role.MANAGER)
    planting = make_planting(org, manager, make_plot(org, code="N1", area="3000"), sown_days_ago=280, crop="Nghệ")
    lots = [make_harvest(org, manager, planting, days_ago_=d, kg="1000") for d in (5, 4, 3)]
    products.save_product(
        org, None, code="TBN", name_vi="Tinh bột nghệ Lai Hà", kind="processed", unit="kg", shelf_life_days=365
    )
    db.session.commit()
    return org, manager, lots


def run(org, manager, inputs, kg_out, reason=None):
    return record_processing(
        org,
        manager,
        processed_on=days_ago(1),
        reason=reason,
        inputs=[RunInput(lot.code, Decimal(q)) for lot, q in inputs],
        outputs=[RunOutput("TBN", Decimal(kg_out))],
        steps=[{"step": "grinding", "on": str(days_ago(2))}, {"step": "settling"}],
    )


def test_partial_use_across_several_input_lots(turmeric):
    org, manager, (a, b, c) = turmeric
    processed = run(org, manager, [(a, "1000"), (b, "400")], "56")  # 4 % of 1,400 kg
    assert not processed.run.yield_flagged and processed.run.yield_ratio == Decimal("0.04")
    assert (a.remaining_quantity, a.status, b.remaining_quantity, b.status) == (
        0,
        LotStatus.CONSUMED,
        600,
        LotStatus.ACTIVE,
    )
    (output,) = processed.outputs
    assert (output.kind.value, output.product.code, output.quantity, output.event_id) == (
        "processed",
        "TBN",
        56,
        processed.run.event_id,
    )
    back = lineage.trace_back(output)
    assert {x.code for x in back.lots} == {output.code, a.code, b.code}
    assert sorted(link.quantity for link in back.links) == [400, 1000]
    assert [p.plot.code for p in back.plantings] == ["N1"]


def test_over_use_is_refused_and_nothing_is_written(turmeric):
    org, manager, (a, b, c) = turmeric
    events_before = chain.last_hash(org.id)
    with pytest.raises(DomainError, match=a.code):
        run(org, manager, [(a, "1000.5")], "40")
    db.session.rollback()
    assert db.session.get(Lot, a.id).remaining_quantity == 1000
    assert chain.last_hash(org.id) == events_before


def test_mass_balance_outside_range_needs_a_reason_and_stays_flagged(turmeric):
    org, manager, (a, b, c) = turmeric
    with pytest.raises(DomainError) as error:
        run(org, manager, [(a, "1000")], "90")  # 9 %: more starch than turmeric gives
    assert error.value.field == "reason"
    db.session.rollback()
    flagged = run(org, manager, [(a, "1000")], "90", reason="Củ nghệ già, hàm lượng tinh bột cao").run
    assert flagged.yield_flagged and flagged.expected_max == Decimal("0.06")


def test_processing_needs_outputs_and_own_lots(turmeric, ctx):
    org, manager, (a, b, c) = turmeric
    with pytest.raises(DomainError):
        record_processing(org, manager, processed_on=days_ago(1), inputs=[RunInput(a.code, Decimal(1))], outputs=[])
    other = make_org("other")
    with pytest.raises(DomainError, match="no lot|không có lô"):
        record_processing(
            other,
            make_user(other),
            processed_on=days_ago(1),
            inputs=[RunInput(a.code, Decimal(1))],
            outputs=[RunOutput("TBN", Decimal(1))],
        )


def test_packing_with_unguessable_unique_serials(turmeric):
    org, manager, (a, b, c) = turmeric
    (starch,) = run(org, manager, [(a, "1000")], "40").outputs
    sale_lot = pack(
        org,
        manager,
        source_lot_code=starch.code,
        product_code="TBN",
        units=200,
        net_content=Decimal(100),
        net_unit="g",
        packed_on=days_ago(0),
        serials=True,
    )
    assert starch.remaining_quantity == 20  # 200 × 100 g = 20 kg taken
    assert (sale_lot.quantity, sale_lot.unit, sale_lot.expires_on) == (200, "piece", days_ago(-365))
    serials = db.session.scalars(sa.select(UnitSerial.serial).where(UnitSerial.lot_id == sale_lot.id)).all()
    assert len(serials) == len(set(serials)) == 200
    assert all(len(s) == 12 and set(s) <= set(SERIAL_ALPHABET) for s in serials)  # 60 random bits each
    with pytest.raises(DomainError):
        pack(
            org,
            manager,
            source_lot_code=starch.code,
            product_code="TBN",
            units=201,
            net_content=Decimal(100),
            net_unit="g",
            packed_on=days_ago(0),
        )


def test_two_level_recall_reaches_exactly_the_right_buyers(turmeric):
    org, manager, (a, b, c) = turmeric
    (s1,) = run(org, manager, [(a, "1000"), (b, "200")], "48").outputs  # a and b → starch S1
    (s2,) = run(org, manager, [(c, "1000")], "40").outputs  # c → starch S2, unrelated to a
    packs1 = pack(
        org,
        manager,
        source_lot_code=s1.code,
        product_code="TBN",
        units=100,
        net_content=Decimal(200),
        net_unit="g",
        packed_on=days_ago(0),
    )
    packs2 = pack(
        org,
        manager,
        source_lot_code=s2.code,
        product_code="TBN",
        units=50,
        net_content=Decimal(200),
        net_unit="g",
        packed_on=days_ago(0),
    )
    trade.record_sale(
        org,
        manager,
        lot_code=packs1.code,
        buyer_name="Siêu thị Huế",
        buyer_kind="supermarket",
        quantity=Decimal(60),
        sold_on=days_ago(0),
        invoice_ref="HD-001",
    )
    trade.record_sale(
        org,
        manager,
        lot_code=packs1.code,
        buyer_name="Chợ Đông Ba",
        buyer_kind="trader",
        quantity=Decimal(30),
        sold_on=days_ago(0),
    )
    trade.record_sale(
        org,
        manager,
        lot_code=s1.code,
        buyer_name="Công ty Dược Huế",
        buyer_kind="processor",
        quantity=Decimal(5),
        sold_on=days_ago(0),
    )
    trade.record_sale(
        org,
        manager,
        lot_code=packs2.code,
        buyer_name="Cửa hàng Xa",
        buyer_kind="shop",
        quantity=Decimal(10),
        sold_on=days_ago(0),
    )
    trade.record_sale(
        org,
        manager,
        lot_code=b.code,
        buyer_name="Thương lái B",
        buyer_kind="trader",
        quantity=Decimal(100),
        sold_on=days_ago(0),
    )  # b's own sale: b is upstream of S1, not below a

    recall = recalls.open_recall(org, manager, lot_code=a.code, reason="Dư lượng vượt ngưỡng", opened_on=days_ago(0))
    report = recalls.recall_report(recall)
    assert {x.code for x in report["lots"]} == {a.code, s1.code, packs1.code}
    assert {entry["buyer"].name for entry in report["buyers"]} == {"Siêu thị Huế", "Chợ Đông Ba", "Công ty Dược Huế"}
    assert sum(s.quantity for s in report["sales"] if s.lot_id == packs1.id) == 90
    assert db.session.get(Lot, packs2.id).status is LotStatus.ACTIVE
    assert db.session.get(Lot, b.id).status is LotStatus.ACTIVE
    with pytest.raises(DomainError):
        trade.record_sale(org, manager, lot_code=packs1.code, buyer_name="X", quantity=Decimal(1), sold_on=days_ago(0))
    recalls.close_recall(org, manager, recall, disposal="destruction", closed_on=days_ago(0), note="Tiêu hủy 10 gói")
    assert recall.closed_on is not None


def test_bought_in_lot_keeps_its_supplier(turmeric):
    org, manager, _lots = turmeric
    lot = trade.receive_lot(
        org,
        manager,
        supplier_name="Hộ ông Tám",
        supplier_lot_code="T-0412",
        crop="Nghệ",
        quantity=Decimal(500),
        unit="kg",
        received_on=days_ago(2),
    )
    assert (lot.supplier.name, lot.supplier_lot_code, lot.kind.value) == ("Hộ ông Tám", "T-0412", "harvest")
    (output,) = run(org, manager, [(lot, "500")], "20").outputs
    assert lot.code in {x.code for x in lineage.trace_back(output).lots}


def test_each_direction_is_one_recursive_query(app, turmeric):
    """Deep chains cost the same single query: depth does not add queries."""
    from sqlalchemy import event

    org, manager, (a, b, c) = turmeric
    (starch,) = run(org, manager, [(a, "1000")], "40").outputs
    pack(
        org,
        manager,
        source_lot_code=starch.code,
        product_code="TBN",
        units=10,
        net_content=Decimal(100),
        net_unit="g",
        packed_on=days_ago(0),
    )
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        depth = lineage.reachable(a.id, forward=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(depth) == 3 and sorted(depth.values()) == [0, 1, 2]
    assert len(statements) == 1 and "RECURSIVE" in statements[0].upper()


def test_one_query_walks_from_many_lots_and_keeps_each_lots_own(app, turmeric):
    """a splits into s1 and s2, which meet again in mix (a diamond); c gives other. Walking from
    several lots is still one recursive query, and per seed it tells whose lineage each lot is in."""
    org, manager, (a, b, c) = turmeric
    processed = record_processing(
        org,
        manager,
        processed_on=days_ago(2),
        inputs=[RunInput(a.code, Decimal(1000))],
        outputs=[RunOutput("TBN", Decimal(15)), RunOutput("TBN", Decimal(25))],
    )
    s1, s2 = processed.outputs
    assert (s1.quantity, s2.quantity) == (15, 25)  # in the order of the outputs given
    (mix,) = run(org, manager, [(s1, "15"), (s2, "25")], "40").outputs
    (other,) = run(org, manager, [(c, "1000")], "40").outputs
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        back = db.session.execute(lineage.walk([mix.id, other.id], forward=False, per_seed=True)).all()
        seeds = sa.select(Lot.id).where(Lot.id.in_([a.id, c.id]))
        forward = db.session.execute(lineage.walk(seeds, forward=True)).all()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert sorted(back) == sorted(
        [
            (mix.id, mix.id, 0),
            (mix.id, s1.id, 1),
            (mix.id, s2.id, 1),
            (mix.id, a.id, 2),  # reached along two paths, listed once
            (other.id, other.id, 0),
            (other.id, c.id, 1),
        ]
    )
    assert dict(forward) == {a.id: 0, s1.id: 1, s2.id: 1, mix.id: 2, c.id: 0, other.id: 1} and len(forward) == 6
    assert len(statements) == 2 and all("RECURSIVE" in s.upper() for s in statements)


def test_trace_back_shows_only_what_was_applied_by_the_harvest(turmeric):
    from tests.factories import make_spray

    org, manager, (a, b, c) = turmeric
    planting = a.planting
    make_spray(org, manager, planting, applied_days_ago=20, phi_days=7, trade_name="Before")
    make_spray(org, manager, planting, applied_days_ago=1, phi_days=0, trade_name="After", kind="fertiliser")
    names = [x.trade_name for x in lineage.trace_back(a).applications]  # a was harvested 5 days ago
    assert names == ["Before"]


def test_a_managers_own_range_takes_precedence(turmeric):
    from traceability.lots.yields import save_processing_yield
    from traceability.products.models import Product

    org, manager, (a, b, c) = turmeric
    product = db.session.scalar(sa.select(Product).where(Product.code == "TBN"))
    save_processing_yield(
        org,
        None,
        input_name="Nghệ",
        output_product_id=product.id,
        min_ratio=Decimal("0.08"),
        max_ratio=Decimal("0.10"),
        source="Nghệ đỏ Lai Hà",
    )
    assert not run(org, manager, [(a, "1000")], "90").run.yield_flagged  # 9 %: inside the local range
    with pytest.raises(DomainError):
        save_processing_yield(
            org,
            None,
            input_name="Nghệ",
            output_product_id=product.id,
            min_ratio=Decimal("0.2"),
            max_ratio=Decimal("0.1"),
        )


def test_recall_pages_and_reports(app, client):
    import io
    import os
    import shutil
    import subprocess

    import openpyxl

    from tests.conftest import login

    with app.app_context():
        org = make_org("coop")
        manager = make_user(org, Role.MANAGER, login="0966666666")
        lot = make_harvest(org, manager, make_planting(org, manager, make_plot(org, code="A1")), kg="40")
        trade.record_sale(
            org,
            manager,
            lot_code=lot.code,
            buyer_name="Chợ Đông Ba",
            quantity=Decimal(15),
            sold_on=days_ago(0),
            buyer_phone="0912 000 111",
        )
        db.session.commit()
        lot_id, code = lot.id, lot.code
    login(client, "0966666666")
    page = client.get(f"/lots/{lot_id}/recall").get_data(as_text=True)
    assert code in page
    response = client.post(
        f"/lots/{lot_id}/recall", data={"reason": "Nghi nhiễm", "opened_on": days_ago(0).isoformat()}
    )
    recall_url = response.headers["Location"]
    assert "Chợ Đông Ba" in client.get(recall_url).get_data(as_text=True)
    assert "Đã thu hồi" in client.get(f"/lots/{lot_id}").get_data(as_text=True)
    csv_text = client.get(f"{recall_url}/report.csv").data.decode("utf-8-sig")
    assert "Chợ Đông Ba" in csv_text and "0912000111" in csv_text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{recall_url}/report.xlsx").data))
    sheet = book.active
    assert sheet["A2"].value == "Chợ Đông Ba" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J2"
    assert (
        sheet.title == "Thu hồi"
        and [c.value for c in sheet[1]][:2] == ["buyer", "buyer_kind"]
        and sheet["A1"].font.bold
    )
    pdf = client.get(f"{recall_url}/report.pdf").data
    if shutil.which("pdftotext") or os.environ.get("CI"):  # in CI the tool must be there
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "BÁO CÁO THU HỒI" in text and "Chợ Đông Ba" in text and code in text
    response = client.post(
        recall_url, data={"disposal": "destruction", "closed_on": days_ago(0).isoformat(), "note": "Đã tiêu hủy"}
    )
    assert response.status_code == 302 and "Tiêu hủy" in client.get(recall_url).get_data(as_text=True)


def test_the_lot_page_opens_its_next_steps_with_the_lot_chosen(app, client):
    """From a harvest's page: process or pack it, the lot already chosen; from a sale lot's: sell
    from it, and the buyer's phone kept for a recall (the newest number a buyer gave)."""
    from tests.conftest import login
    from tests.factories import make_bagged_lot

    with app.app_context():
        bags = make_bagged_lot()
        harvest = db.session.scalar(
            sa.select(Lot)
            .where(Lot.kind != LotKind.SALE, Lot.status == LotStatus.ACTIVE, Lot.remaining_quantity > 0)
            .order_by(Lot.id)
        )
        harvest_id, harvest_code = harvest.id, harvest.code
    login(client, "0988888888")
    page = client.get(f"/lots/{harvest_id}").get_data(as_text=True)
    for form in ("processing", "packing"):
        assert f'href="/{form}/new?lot={harvest_code}"' in page
    chosen = client.get(f"/processing/new?lot={harvest_code.lower()}").get_data(as_text=True)
    assert re.search(rf'id="input_1"[^>]*value="{harvest_code}"', chosen) and '<datalist id="lot-codes">' in chosen
    chosen = client.get(f"/packing/new?lot={harvest_code.lower()}").get_data(as_text=True)
    assert re.search(rf'id="source_lot_code"[^>]*value="{harvest_code}"', chosen)
    odd = client.get("/packing/new?lot=NOSUCH%00<x>").get_data(as_text=True)
    assert not re.search(r'id="source_lot_code"[^>]*value="[^"]', odd) and "<x>" not in odd
    sale_page = client.get(f"/lots/{bags['lot_id']}").get_data(as_text=True)
    assert f'href="/sales/new?lot={bags["code"]}"' in sale_page and "/packing/new?lot=" not in sale_page
    assert f'value="{bags["code"]}"' in client.get(f"/sales/new?lot={bags['code']}").get_data(as_text=True)
    for phone in ("0912 000 111", "0987654321"):
        sold = client.post(
            "/sales/new",
            data={
                "lot_code": bags["code"],
                "buyer_name": "Chợ Đông Ba",
                "buyer_phone": phone,
                "buyer_kind": "shop",
                "quantity": "1",
                "sold_on": days_ago(0).isoformat(),
            },
        )
        assert sold.status_code == 302, sold.get_data(as_text=True)[:500]
    refused = client.post(
        "/sales/new",
        data={
            "lot_code": bags["code"],
            "buyer_name": "Chợ Mới",
            "buyer_phone": "12345",
            "buyer_kind": "shop",
            "quantity": "1",
            "sold_on": days_ago(0).isoformat(),
        },
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "không phải số điện thoại" in text and 'value="Chợ Mới"' in text  # kept
    response = client.post(
        f"/lots/{bags['lot_id']}/recall", data={"reason": "Kiểm tra", "opened_on": days_ago(0).isoformat()}
    )
    recall = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chợ Đông Ba" in recall and "0987654321" in recall
    with app.app_context():
        used_up = db.session.get(Lot, bags["lot_id"])
        assert used_up.status == LotStatus.RECALLED
    assert "/sales/new?lot=" not in client.get(f"/lots/{bags['lot_id']}").get_data(as_text=True)  # recalled: no sale


def test_a_processing_run_takes_a_typed_lot_code(app, client):
    """The input lot is typed (the phone suggests the active lots); a code in lower case is read as
    printed, and a code that is no lot of ours is refused with everything typed kept."""
    from tests.conftest import login
    from tests.factories import make_bagged_lot

    with app.app_context():
        make_bagged_lot()
        source = db.session.scalar(
            sa.select(Lot)
            .where(Lot.kind != LotKind.SALE, Lot.status == LotStatus.ACTIVE, Lot.remaining_quantity > 0)
            .order_by(Lot.id)
        )
        code = source.code
    login(client, "0988888888")
    form = {
        "processed_on": days_ago(0).isoformat(),
        "quantity_1": "1",
        "output_product": "TBN",
        "output_quantity": "0,2",
    }
    refused = client.post("/processing/new", data={**form, "input_1": "NOSUCH-1"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "NOSUCH-1" in text and "không có lô NOSUCH-1" in text
    done = client.post("/processing/new", data={**form, "input_1": code.lower(), "reason": "thử"})
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
