"""Two seasons of field history for the demo: bitter melon in Tây Hoàng, turmeric in Lai Hà.

Dates are relative to today so the demo always looks lived-in: a finished off-season and main
season of bitter melon, a season growing now (first picks due soon, a recent spray still running),
and two turmeric seasons. Records are dated as if entered on the day, except two entered late.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.errors import DomainError
from traceability.events.services import recorded_as_of
from traceability.extensions import db
from traceability.farm.models import PlantingStatus, Plot
from traceability.farm.services import seasons
from traceability.lots import services as lots
from traceability.lots import trade
from traceability.lots.models import Lot
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.products.models import Product
from traceability.quality import services as quality

# (days after sowing, trade name, dose, unit) for a bitter-melon season; PHIs come from the list.
MELON_INPUTS = [
    (0, "Phân chuồng hoai mục", "300", "kg"),
    (12, "NPK 16-16-8", "8", "kg"),
    (20, "Emagold 6.5EC", "20", "ml"),
    (32, "Amyla Top 325SC", "15", "ml"),
    (45, "Molbeng 2SL", "25", "ml"),
    (66, "Strepcoxin 18WP", "30", "g"),
]
MELON_PICKS = range(52, 110, 7)  # weekly picks from day 52 to day 108


def _at(day: dt.date, hour: int = 18) -> dt.datetime:
    # Entered in the evening, Huế time (UTC+7), stored as naive UTC.
    return dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=7)


def _input(org, user, planting, day, trade_name, dose, unit, late=False, **facts):
    with recorded_as_of(_at(day + dt.timedelta(days=12 if late else 0))):
        seasons.record_input_application(
            org,
            user,
            seasons.InputFacts(
                planting_id=planting.id,
                applied_on=day,
                trade_name=trade_name,
                dose=Decimal(dose),
                dose_unit=unit,
                method="bón" if unit == "kg" else "phun",
                **facts,
            ),
        )


def _harvest(org, user, planting, day, kg):
    try:
        with recorded_as_of(_at(day)):
            lots.record_harvest(org, user, planting_id=planting.id, harvested_on=day, quantity_kg=Decimal(kg))
    except DomainError:
        pass  # a pick that fell inside a pre-harvest interval was skipped, as it would be in the field


def melon_season(org, user, plot, sown_on: dt.date, *, finished: bool, yield_kg_m2: float):
    today = local_today()
    with recorded_as_of(_at(sown_on)):
        planting = seasons.start_planting(
            org,
            user,
            plot_id=plot.id,
            sown_on=sown_on,
            variety="F1 TN 166",
            seed_source="Đại lý vật tư Quảng Thái",
            seed_lot=f"TN166-{sown_on:%y%m}",
            expected_harvest_from=sown_on + dt.timedelta(days=50),
            expected_harvest_to=sown_on + dt.timedelta(days=110),
        )
    per_pick = Decimal(str(round(float(plot.area_m2) * yield_kg_m2 / len(MELON_PICKS))))
    # The season's work in the order it happened: inputs and picks by day.
    work = [(offset, 0, (name, dose, unit)) for offset, name, dose, unit in MELON_INPUTS]
    work += [(offset, 1, None) for offset in MELON_PICKS]
    for offset, is_pick, spec in sorted(work):
        day = sown_on + dt.timedelta(days=offset)
        if day > today:
            break
        if is_pick:
            _harvest(org, user, planting, day, per_pick)
        else:
            _input(org, user, planting, day, *spec, late=(plot.code == "A5" and offset == 32))
    if finished:
        with recorded_as_of(_at(sown_on + dt.timedelta(days=112))):
            seasons.end_planting(
                org, user, planting, ended_on=sown_on + dt.timedelta(days=112), status=PlantingStatus.FINISHED
            )
    return planting


def load_history(coop: Organisation, manager: User, turmeric: Organisation, turmeric_manager: User) -> None:
    today = local_today()
    seasons.load_default_inputs(coop)
    seasons.load_default_inputs(turmeric)
    plots = db.session.scalars(sa.select(Plot).where(of_org(Plot, coop.id)).order_by(Plot.code)).all()
    certified = [p for p in plots if p.vietgap_status.value == "certified"]
    with recorded_as_of(_at(today - dt.timedelta(days=640))):
        quality.save_certificate(
            coop,
            manager,
            kind="vietgap",
            number="VietGAP-TT-0412",
            issuer="VIETCERT",
            valid_from=today - dt.timedelta(days=640),
            valid_to=today + dt.timedelta(days=75),
            household_ids=sorted({p.household_id for p in certified}),
        )
        quality.save_certificate(
            coop,
            manager,
            kind="food_safety",
            number="ATTP-2025-117",
            issuer="Chi cục Quản lý chất lượng Nông lâm thủy sản Huế",
            valid_from=today - dt.timedelta(days=600),
            valid_to=today + dt.timedelta(days=495),
        )
    for plot in plots:
        melon_season(coop, manager, plot, today - dt.timedelta(days=310), finished=True, yield_kg_m2=1.6)
        melon_season(
            coop,
            manager,
            plot,
            today - dt.timedelta(days=165),
            finished=True,
            yield_kg_m2=7.5 if plot.code == "B3" else 2.2,
        )  # B3 reports more than it can grow
        current = melon_season(coop, manager, plot, today - dt.timedelta(days=38), finished=False, yield_kg_m2=2)
        if plot.code == "B2":  # a household outside VietGAP used a banned product: recorded as it happened
            _input(
                coop,
                manager,
                current,
                today - dt.timedelta(days=6),
                "TB Dietray 700WP",
                "30",
                "g",
                kind="plant_protection",
                phi_days=14,
                active_ingredient="chlorpyrifos ethyl + imidacloprid + thiamethoxam",
            )
            db.session.flush()
    _inspection(coop, manager, plots, today - dt.timedelta(days=150))
    _turmeric(turmeric, turmeric_manager)


def _inspection(org, inspector, plots, day):
    with recorded_as_of(_at(day)):
        inspection = quality.start_inspection(org, inspector, scope="organisation", inspected_on=day)
        criteria = quality.criteria_by_id(quality.checklist())
        answers = {cid: ("pass", None) for cid in criteria}
        answers["VG-WASTE-2"] = ("fail", "Vỏ chai thuốc BVTV còn để ở bờ ruộng B1, B2.")
        quality.record_results(inspection, answers)
        nc = quality.add_non_conformity(
            inspection,
            criterion_id="VG-WASTE-2",
            corrective_action="Đặt thêm 2 thùng chứa vỏ bao bì thuốc BVTV ở đầu thôn.",
            due_on=day + dt.timedelta(days=30),
        )
        quality.sign_off(inspection, inspector)
    nc.closed_on, nc.closing_note = day + dt.timedelta(days=21), "Đã đặt 2 thùng chứa, hộ dân thu gom hằng tuần."


def _turmeric(org: Organisation, manager: User) -> None:
    today = local_today()
    plot = db.session.scalar(sa.select(Plot).where(of_org(Plot, org.id)))
    for sown_days_ago, harvest_days_ago, finished in ((650, 370, True), (285, 8, False)):
        sown = today - dt.timedelta(days=sown_days_ago)
        with recorded_as_of(_at(sown)):
            planting = seasons.start_planting(
                org,
                manager,
                plot_id=plot.id,
                sown_on=sown,
                variety="Nghệ vàng",
                seed_source="Củ giống tự để",
                expected_harvest_from=sown + dt.timedelta(days=270),
            )
        for offset, name, dose in ((0, "Phân chuồng hoai mục", "400"), (60, "NPK 16-16-8", "12"), (120, "Urê", "6")):
            _input(org, manager, planting, sown + dt.timedelta(days=offset), name, dose, "kg")
        lift = today - dt.timedelta(days=harvest_days_ago)
        for n in range(3):  # lifted over three days
            _harvest(
                org,
                manager,
                planting,
                lift + dt.timedelta(days=n) if n < harvest_days_ago or finished else lift,
                "2500",
            )
        if finished:
            with recorded_as_of(_at(lift + dt.timedelta(days=3))):
                seasons.end_planting(org, manager, planting, ended_on=lift + dt.timedelta(days=3))


def load_value_chains(orgs: dict[str, Organisation], managers: dict[str, User]) -> None:
    """Processing, packing and sales for each producer, from the lots above or bought-in raw material."""
    today = local_today()

    def on(days_ago: int):
        return recorded_as_of(_at(today - dt.timedelta(days=days_ago)))

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
        with recorded_as_of(_at(lot.produced_on)):
            trade.record_sale(
                org,
                user,
                lot_code=lot.code,
                buyer_name="Thương lái chợ Đông Ba",
                buyer_kind="trader",
                quantity=lot.quantity,
                sold_on=lot.produced_on,
            )
    drying = picks[4]
    with recorded_as_of(_at(drying.produced_on + dt.timedelta(days=3))):
        processed = record_processing(
            org,
            user,
            processed_on=drying.produced_on + dt.timedelta(days=3),
            inputs=[RunInput(drying.code, drying.quantity)],
            outputs=[RunOutput("KQ-SAY", (drying.quantity * Decimal("0.07")).quantize(1) * 1000, "g")],
            steps=[{"step": "rửa, thái lát 3 mm"}, {"step": "sấy 55 °C, 10 giờ"}],
        )
    (slices,) = processed.outputs
    with recorded_as_of(_at(slices.produced_on + dt.timedelta(days=1))):
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
        with recorded_as_of(_at(fresh.produced_on)):
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
        quality.save_certificate(
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
