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
from traceability.farm.services import permitted, seasons
from traceability.lots import services as lots
from traceability.quality import services as quality
from traceability.quality.certificates import save_certificate

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


def recorded_at(day: dt.date, hour: int = 18) -> dt.datetime:
    # Entered in the evening, Huế time (UTC+7), stored as naive UTC.
    return dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=7)


def _input(org, user, planting, day, trade_name, dose, unit, late=False, **facts):
    with recorded_as_of(recorded_at(day + dt.timedelta(days=12 if late else 0))):
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
        with recorded_as_of(recorded_at(day)):
            lots.record_harvest(org, user, planting_id=planting.id, harvested_on=day, quantity_kg=Decimal(kg))
    except DomainError:
        pass  # a pick that fell inside a pre-harvest interval was skipped, as it would be in the field


def melon_season(org, user, plot, sown_on: dt.date, *, finished: bool, yield_kg_m2: float):
    today = local_today()
    with recorded_as_of(recorded_at(sown_on)):
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
        with recorded_as_of(recorded_at(sown_on + dt.timedelta(days=112))):
            seasons.end_planting(
                org, user, planting, ended_on=sown_on + dt.timedelta(days=112), status=PlantingStatus.FINISHED
            )
    return planting


def load_history(coop: Organisation, manager: User, turmeric: Organisation, turmeric_manager: User) -> None:
    today = local_today()
    permitted.load_default_inputs(coop)
    permitted.load_default_inputs(turmeric)
    plots = db.session.scalars(sa.select(Plot).where(of_org(Plot, coop.id)).order_by(Plot.code)).all()
    certified = [p for p in plots if p.vietgap_status.value == "certified"]
    with recorded_as_of(recorded_at(today - dt.timedelta(days=640))):
        save_certificate(
            coop,
            manager,
            kind="vietgap",
            number="VietGAP-TT-0412",
            issuer="VIETCERT",
            valid_from=today - dt.timedelta(days=640),
            valid_to=today + dt.timedelta(days=75),
            household_ids=sorted({p.household_id for p in certified}),
        )
        save_certificate(
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
    with recorded_as_of(recorded_at(day)):
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
        with recorded_as_of(recorded_at(sown)):
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
            with recorded_as_of(recorded_at(lift + dt.timedelta(days=3))):
                seasons.end_planting(org, manager, planting, ended_on=lift + dt.timedelta(days=3))
