"""The figures an OCOP dossier states, one function for each.

The dossier page, its PDF and the API read them from here, and so do the officials' overview (sale
lots traced to a plot) and the criteria the records answer (``prefill``): a figure that appears in
two places is computed once, so the two cannot disagree. The plots under a valid certificate come
from ``quality.services.certified_plots``, which the dashboard reads too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from traceability.accounts.models import Membership, Organisation, Role
from traceability.accounts.tenancy import of_org
from traceability.extensions import db
from traceability.farm.models import Household, Plot
from traceability.lots import lineage
from traceability.lots.models import Lot, LotKind, LotLink
from traceability.ocop.models import OcopDossier
from traceability.products.models import Product
from traceability.units import Unit

YEARS_SHOWN = 3  # Mẫu 02 reports the last three years that have records


@dataclass(frozen=True)
class YearVolume:
    year: int
    harvested: dict[Unit, Decimal]  # everything the organisation harvested that year, crop by crop unit
    raw_material: dict[Unit, Decimal]  # of it (or bought in), what went into this product's lots of that year
    made: Decimal  # of the product, before packing (processed products), in its unit
    unit: Unit
    packed_units: Decimal  # bags, bottles… of the product packed for sale


@dataclass(frozen=True)
class Production:
    """Mẫu 02 part II from the records."""

    members: int  # people with an account in the organisation, officials aside
    households: int
    area_m2: Decimal  # every plot not archived
    volumes: list[YearVolume]


def raw_material(org: Organisation, product: Product, since: dt.date, until: dt.date | None = None) -> list:
    """The harvest and bought-in lots that went into the product's lots made from ``since`` to
    ``until``, each with the quantity it gave (read from the links, so a harvest split between
    products counts once for each): ``[(lot, quantity), ...]``."""
    made = sa.select(Lot.id).where(of_org(Lot, org.id), Lot.product_id == product.id, Lot.produced_on >= since)
    if until is not None:
        made = made.where(Lot.produced_on <= until)
    made_from = lineage.walk(made, forward=False).subquery()
    rows = db.session.execute(
        sa.select(Lot, sa.func.sum(LotLink.quantity))
        .join(LotLink, LotLink.input_lot_id == Lot.id)
        .where(
            Lot.id.in_(sa.select(made_from.c.lot_id)),
            LotLink.output_lot_id.in_(sa.select(made_from.c.lot_id)),
            sa.or_(Lot.planting_id.is_not(None), Lot.supplier_id.is_not(None)),
        )
        .group_by(Lot.id)
        .order_by(Lot.id)
    ).all()
    return [(lot, Decimal(quantity)) for lot, quantity in rows]


def by_unit(rows) -> dict[Unit, Decimal]:
    """Quantities summed unit by unit: coconuts come in pieces, melons in kilograms."""
    total: dict[Unit, Decimal] = {}
    for unit, quantity in rows:
        total[unit] = total.get(unit, Decimal(0)) + Decimal(quantity or 0)
    return total


def production(org: Organisation, product: Product) -> Production:
    members = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(of_org(Membership, org.id), Membership.role != Role.OFFICIAL)
    )
    households = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Household)
        .where(of_org(Household, org.id), Household.archived_at.is_(None))
    )
    area = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Plot.area_m2), 0)).where(
            of_org(Plot, org.id), Plot.archived_at.is_(None)
        )
    )
    year = sa.extract("year", Lot.produced_on)
    harvested: dict[int, list] = {}
    for y, unit, quantity in db.session.execute(
        sa.select(year, Lot.unit, sa.func.sum(Lot.quantity))
        .where(of_org(Lot, org.id), Lot.kind == LotKind.HARVEST)
        .group_by(year, Lot.unit)
    ):
        harvested.setdefault(int(y), []).append((unit, quantity))
    made, packed = {}, {}
    for y, kind, quantity in db.session.execute(
        sa.select(year, Lot.kind, sa.func.sum(Lot.quantity))
        .where(of_org(Lot, org.id), Lot.product_id == product.id)
        .group_by(year, Lot.kind)
    ):
        target = packed if kind is LotKind.SALE else made
        target[int(y)] = target.get(int(y), Decimal(0)) + Decimal(quantity or 0)
    years = sorted(set(harvested) | set(made) | set(packed), reverse=True)[:YEARS_SHOWN]
    volumes = [
        YearVolume(
            y,
            by_unit(harvested.get(y, [])),
            by_unit((lot.unit, q) for lot, q in raw_material(org, product, dt.date(y, 1, 1), dt.date(y, 12, 31))),
            made.get(y, Decimal(0)),
            product.unit,
            packed.get(y, Decimal(0)),
        )
        for y in years
    ]
    return Production(members, households, Decimal(area or 0), volumes)


def of_dossier(dossier: OcopDossier) -> Production:
    return production(db.session.get(Organisation, dossier.organisation_id), dossier.product)


def sale_lots(org_ids: list[int]) -> dict[int, tuple[int, int]]:
    """product id → (sale lots, sale lots whose lineage reaches a harvest from a plot), in one query: each lot
    knows whether it does (``Lot.from_plot``, fixed when it was made), so no lineage is walked here."""
    rows = db.session.execute(
        sa.select(Lot.product_id, sa.func.count(), sa.func.count().filter(Lot.from_plot))
        .where(Lot.organisation_id.in_(org_ids), Lot.kind == LotKind.SALE, Lot.product_id.is_not(None))
        .group_by(Lot.product_id)
    ).all()
    return {product_id: (total, traced) for product_id, total, traced in rows}
