"""Demo value chains: each producer's processing, packing and sales, from the harvests in
``history.py`` or from raw material bought in, dated as they would have been recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.demo.history import recorded_at
from traceability.events.services import recorded_as_of
from traceability.extensions import db
from traceability.lots import trade
from traceability.lots.models import Lot
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.products.models import Product
from traceability.quality.certificates import save_certificate


def load_value_chains(orgs: dict[str, Organisation], managers: dict[str, User]) -> None:
    """Processing, packing and sales for each producer, from the lots above or bought-in raw material."""
    today = local_today()

    def on(days_ago: int):
        return recorded_as_of(recorded_at(today - dt.timedelta(days=days_ago)))

    def day(days_ago: int) -> dt.date:
        return today - dt.timedelta(days=days_ago)

    # Turmeric: last year's lift becomes starch, bagged and sold.
    org, user = orgs["nghe-lai-ha"], managers["nghe-lai-ha"]
    lifted = db.session.scalars(
        sa.select(Lot).where(of_org(Lot, org.id), Lot.kind == "harvest").order_by(Lot.produced_on)
    ).all()[:2]
    with on(360):
        processed = record_processing(
            org,
            user,
            processed_on=day(360),
            inputs=[RunInput(x.code, x.quantity) for x in lifted],
            outputs=[RunOutput("TBN", Decimal("200"), "kg")],
            steps=[{"step": "rửa, xay"}, {"step": "lọc, lắng 3 lần"}, {"step": "phơi khô"}],
        )
    (starch,) = processed.outputs
    with on(350):
        bags = pack(
            org,
            user,
            source_lot_code=starch.code,
            product_code="TBN",
            units=500,
            net_content=Decimal(100),
            net_unit="g",
            packed_on=day(350),
            serials=True,
        )
    with on(340):
        trade.record_sale(
            org,
            user,
            lot_code=bags.code,
            buyer_name="Siêu thị Co.op Huế",
            buyer_phone="0905000201",  # a made-up number, kept for recalls
            buyer_kind="supermarket",
            quantity=Decimal(200),
            sold_on=day(340),
            invoice_ref="HĐ 0000123",
        )
    with on(300):
        trade.record_sale(
            org,
            user,
            lot_code=bags.code,
            buyer_name="Cửa hàng đặc sản Huế",
            buyer_phone="0905000202",  # a made-up number, kept for recalls
            buyer_kind="shop",
            quantity=Decimal(120),
            sold_on=day(300),
            invoice_ref="HĐ 0000161",
        )

    # Bitter melon: fresh picks to traders; one pick dried into slices and bagged.
    org, user = orgs["tay-hoang"], managers["tay-hoang"]
    picks = db.session.scalars(
        sa.select(Lot)
        .where(of_org(Lot, org.id), Lot.kind == "harvest", Lot.produced_on <= day(60))
        .order_by(Lot.produced_on.desc())
        .limit(6)
    ).all()
    for lot in picks[:4]:
        with recorded_as_of(recorded_at(lot.produced_on)):
            trade.record_sale(
                org,
                user,
                lot_code=lot.code,
                buyer_name="Thương lái chợ Đông Ba",
                buyer_phone="0905000203",  # a made-up number, kept for recalls
                buyer_kind="trader",
                quantity=lot.quantity,
                sold_on=lot.produced_on,
            )
    drying = picks[4]
    with recorded_as_of(recorded_at(drying.produced_on + dt.timedelta(days=3))):
        processed = record_processing(
            org,
            user,
            processed_on=drying.produced_on + dt.timedelta(days=3),
            inputs=[RunInput(drying.code, drying.quantity)],
            outputs=[RunOutput("KQ-SAY", (drying.quantity * Decimal("0.07")).quantize(1) * 1000, "g")],
            steps=[{"step": "rửa, thái lát 3 mm"}, {"step": "sấy 55 °C, 10 giờ"}],
        )
    (slices,) = processed.outputs
    with recorded_as_of(recorded_at(slices.produced_on + dt.timedelta(days=1))):
        packs = pack(
            org,
            user,
            source_lot_code=slices.code,
            product_code="KQ-SAY",
            units=int(slices.quantity // 200),
            net_content=Decimal(200),
            net_unit="g",
            packed_on=slices.produced_on + dt.timedelta(days=1),
            serials=True,
        )
        trade.record_sale(
            org,
            user,
            lot_code=packs.code,
            buyer_name="Cửa hàng đặc sản Huế",
            buyer_kind="shop",
            quantity=Decimal(20),
            sold_on=slices.produced_on + dt.timedelta(days=1),
        )

    if len(picks) > 5:  # one pick packed fresh, in 1 kg bags for the supermarket, under an invoice
        fresh = picks[5]
        with recorded_as_of(recorded_at(fresh.produced_on)):
            units = int(fresh.quantity // 2)
            trays = pack(
                org,
                user,
                source_lot_code=fresh.code,
                product_code="KQ-TUOI",
                units=units,
                net_content=Decimal(1),
                net_unit="kg",
                packed_on=fresh.produced_on,
                serials=True,
            )
            trade.record_sale(
                org,
                user,
                lot_code=trays.code,
                buyer_name="Siêu thị Co.op Huế",
                buyer_kind="supermarket",
                quantity=Decimal(units),
                sold_on=fresh.produced_on,
                invoice_ref="HĐ 0000207",
            )

    # The turmeric starch was rated OCOP 3 stars last year: its labels and page show the stars.
    org, user = orgs["nghe-lai-ha"], managers["nghe-lai-ha"]
    with on(400):
        tbn = db.session.scalar(sa.select(Product).where(of_org(Product, org.id), Product.code == "TBN"))
        save_certificate(
            org,
            user,
            kind="ocop",
            stars=3,
            number="QĐ 1520/QĐ-UBND",
            issuer="UBND thành phố Huế",
            valid_from=day(400),
            valid_to=day(400) + dt.timedelta(days=3 * 365),
            product_ids=[tbn.id],
        )

    # Lemongrass oil and coconut oil: raw material bought in from neighbours, distilled or pressed.
    for code, supplier, crop, qty, unit, product, made, net, units in (
        ("sa-trung-lang", "Hộ ông Tám, Trung Làng", "Sả chanh", "800", "kg", "TD-SA", ("1.8", "l"), 10, 150),
        ("dua-doan-ngo", "Hộ bà Năm, Đoan Ngọ", "Dừa", "600", "piece", "DAU-DUA", ("42", "l"), 250, 160),
    ):
        org, user = orgs[code], managers[code]
        with on(40):
            raw = trade.receive_lot(
                org,
                user,
                supplier_name=supplier,
                supplier_lot_code=f"{day(40):%d%m}",
                crop=crop,
                quantity=Decimal(qty),
                unit=unit,
                received_on=day(40),
            )
        with on(39):
            processed = record_processing(
                org,
                user,
                processed_on=day(39),
                inputs=[RunInput(raw.code, raw.quantity)],
                outputs=[RunOutput(product, Decimal(made[0]), made[1])],
            )
        (oil,) = processed.outputs
        with on(35):
            bottles = pack(
                org,
                user,
                source_lot_code=oil.code,
                product_code=product,
                units=units,
                net_content=Decimal(net),
                net_unit="ml",
                packed_on=day(35),
                serials=True,
            )
        with on(20):
            trade.record_sale(
                org,
                user,
                lot_code=bottles.code,
                buyer_name="Cửa hàng đặc sản Huế",
                buyer_kind="shop",
                quantity=Decimal(40),
                sold_on=day(20),
            )
