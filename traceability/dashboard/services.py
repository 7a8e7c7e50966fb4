"""Read-side figures for the dashboards: one aggregate query per figure, never a query per row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from traceability.accounts.models import Membership, Organisation
from traceability.accounts.tenancy import jurisdiction_filter, of_org
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.models import Household, InputApplication, Planting, Plot, VietGapStatus, Village
from traceability.lots.models import Lot
from traceability.products.models import Product
from traceability.quality.services import certified_plots


@dataclass
class NextStep:
    text: str
    endpoint: str


def _count(model, org_id: int, *conditions) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(model.id)).where(of_org(model, org_id), model.archived_at.is_(None), *conditions)
    )


def registry_counts(org_id: int) -> dict[str, int]:
    return {
        "villages": _count(Village, org_id),
        "households": _count(Household, org_id),
        "plots": _count(Plot, org_id),
        "products": _count(Product, org_id),
    }


@dataclass
class VietGapFigures:
    """The plots by VietGAP standing: certified is what a valid certificate covers (the figure the
    OCOP dossier states too); the others follow each plot's own status."""

    certified: tuple[int, Decimal]
    converting: tuple[int, Decimal]
    none: tuple[int, Decimal]
    unbacked: int  # plots marked certified that no valid certificate covers


def vietgap_figures(org_id: int) -> VietGapFigures:
    covered = certified_plots(org_id, local_today())
    rows = db.session.execute(
        sa.select(Plot.id, Plot.vietgap_status, Plot.area_m2).where(of_org(Plot, org_id), Plot.archived_at.is_(None))
    ).all()
    converting = [
        area for plot_id, status, area in rows if plot_id not in covered.plot_ids and status is VietGapStatus.CONVERTING
    ]
    none = [
        area
        for plot_id, status, area in rows
        if plot_id not in covered.plot_ids and status is not VietGapStatus.CONVERTING
    ]
    return VietGapFigures(
        (len(covered.plots), Decimal(covered.area_m2)),
        (len(converting), sum(converting, Decimal(0))),
        (len(none), sum(none, Decimal(0))),
        sum(1 for plot_id, status, _a in rows if status is VietGapStatus.CERTIFIED and plot_id not in covered.plot_ids),
    )


def manager_next_steps(org_id: int, counts: dict[str, int]) -> list[NextStep]:
    steps = []
    if counts["villages"] == 0:
        steps.append(NextStep(_l("Add the villages where your members farm."), "farm.villages_new"))
    if counts["households"] == 0:
        steps.append(NextStep(_l("Register the member households."), "farm.households_new"))
    if counts["plots"] == 0:
        steps.append(NextStep(_l("Register the plots (fields) of your members."), "farm.plots_new"))
    if counts["products"] == 0:
        steps.append(NextStep(_l("Describe the products you sell."), "products.products_new"))
    without_household = _count(Plot, org_id, Plot.household_id.is_(None))
    if without_household:
        steps.append(NextStep(_l("%(n)s plots have no household yet.", n=without_household), "farm.plots"))
    without_shelf_life = _count(Product, org_id, Product.shelf_life_days.is_(None))
    if without_shelf_life:
        steps.append(
            NextStep(
                _l("%(n)s products have no shelf life: labels need it for the expiry date.", n=without_shelf_life),
                "products.products",
            )
        )
    return steps


def admin_next_steps(org_id: int) -> list[NextStep]:
    people = db.session.scalar(sa.select(sa.func.count(Membership.id)).where(of_org(Membership, org_id)))
    if people <= 1:
        return [NextStep(_l("Add the people who will use the app: managers, members, inspectors."), "accounts.members")]
    return []


def jurisdiction_overview(authority: Organisation) -> list[dict]:
    """Producer organisations an official reads, with their plot counts and areas in one query."""
    plots = (
        sa.select(Plot.organisation_id, sa.func.count(Plot.id).label("plots"), sa.func.sum(Plot.area_m2).label("area"))
        .where(Plot.archived_at.is_(None))
        .group_by(Plot.organisation_id)
        .subquery()
    )
    products = (
        sa.select(Product.organisation_id, sa.func.count(Product.id).label("products"))
        .where(Product.archived_at.is_(None))
        .group_by(Product.organisation_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Organisation, plots.c.plots, plots.c.area, products.c.products)
        .outerjoin(plots, plots.c.organisation_id == Organisation.id)
        .outerjoin(products, products.c.organisation_id == Organisation.id)
        .where(jurisdiction_filter(authority))
        .order_by(Organisation.name)
    ).all()
    return [
        {"org": org, "plots": n_plots or 0, "area": area or 0, "products": n_products or 0}
        for org, n_plots, area, n_products in rows
    ]


@dataclass
class FieldFlags:
    non_conformant: list  # plantings where a banned active ingredient was applied
    yield_flagged: list  # harvest lots above a plausible yield
    unlisted: list  # input applications of products not on the permitted list (last 90 days)


def field_flags(org_id: int) -> FieldFlags:
    since = local_today() - dt.timedelta(days=90)
    return FieldFlags(
        db.session.scalars(
            sa.select(Planting)
            .where(of_org(Planting, org_id), Planting.non_conformant.is_(True))
            .options(joinedload(Planting.plot))
        ).all(),
        db.session.scalars(
            sa.select(Lot)
            .where(of_org(Lot, org_id), Lot.yield_flagged.is_(True))
            .order_by(Lot.produced_on.desc())
            .limit(20)
        ).all(),
        db.session.scalars(
            sa.select(InputApplication)
            .where(
                of_org(InputApplication, org_id),
                InputApplication.on_permitted_list.is_(False),
                InputApplication.superseded.is_(False),
                InputApplication.applied_on >= since,
            )
            .order_by(InputApplication.applied_on.desc())
            .limit(20)
        ).all(),
    )
