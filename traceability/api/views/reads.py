"""Reads for an integrator: the registry, field records, lots and their units, sales, recalls and the event
log, each a page at a time in id order (``after`` the last id seen), scoped to the token's organisation.

One query per page (and one more where an answer names another table): no query per item.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import selectinload

from traceability.accounts.models import Role
from traceability.accounts.tenancy import REGISTRY_EDITORS, scoped
from traceability.api.endpoint import bp, endpoint
from traceability.api.schemas import reads as r
from traceability.api.schemas.lots import LotOut
from traceability.api.views.lots import lot_or_404
from traceability.epcis.canonical import canonical_identifier
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.models import Household, InputApplication, Planting, Plot, Village
from traceability.labels.digital_link import label_uri
from traceability.lots.models import Lot, Recall, Sale, UnitSerial
from traceability.products.models import Product

MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})


def _page(query: sa.Select, model, page: r.PageQuery, *options) -> tuple[list, int | None]:
    rows = list(
        db.session.scalars(
            query.where(model.id > page.after).order_by(model.id).limit(page.limit + 1).options(*options)
        )
    )
    return rows[: page.limit], rows[page.limit - 1].id if len(rows) > page.limit else None


def _between(column, since, until) -> list:
    return [c for c in (column >= since if since else None, column <= until if until else None) if c is not None]


@bp.get("/villages")
@endpoint(r.VillagesOut, query=r.PageQuery)
def villages(query: r.PageQuery):
    """Villages of the organisation (the ids plots and households take)"""
    rows, after = _page(scoped(Village).where(Village.archived_at.is_(None)), Village, query)
    return r.VillagesOut(
        villages=[r.VillageOut.model_validate(v, from_attributes=True) for v in rows], next_after=after
    )


@bp.get("/households")
@endpoint(r.HouseholdsOut, query=r.HouseholdQuery)
def households(query: r.HouseholdQuery):
    """Member households; their phones only to the roles that manage the registry"""
    select = scoped(Household).where(Household.archived_at.is_(None))
    if query.village_id:
        select = select.where(Household.village_id == query.village_id)
    rows, after = _page(select, Household, query)
    private = g.role not in REGISTRY_EDITORS
    return r.HouseholdsOut(
        households=[
            r.HouseholdOut(id=h.id, name=h.name, village_id=h.village_id, phone=None if private else h.phone)
            for h in rows
        ],
        next_after=after,
    )


@bp.get("/plots")
@endpoint(r.PlotsOut, query=r.PlotQuery)
def plots(query: r.PlotQuery):
    """Plots, by village or household"""
    select = scoped(Plot).where(Plot.archived_at.is_(None))
    if query.village_id:
        select = select.where(Plot.village_id == query.village_id)
    if query.household_id:
        select = select.where(Plot.household_id == query.household_id)
    rows, after = _page(select, Plot, query)
    return r.PlotsOut(plots=[r.PlotOut.model_validate(p, from_attributes=True) for p in rows], next_after=after)


@bp.get("/plantings")
@endpoint(r.PlantingsOut, query=r.PlantingQuery)
def plantings(query: r.PlantingQuery):
    """Plantings (seasons), by plot, status and day sown"""
    select = scoped(Planting).where(*_between(Planting.sown_on, query.sown_from, query.sown_to))
    if query.plot_id:
        select = select.where(Planting.plot_id == query.plot_id)
    if query.status:
        select = select.where(Planting.status == query.status)
    rows, after = _page(select, Planting, query, selectinload(Planting.plot))
    listed = [
        r.PlantingListed(
            id=p.id, plot_id=p.plot_id, plot=p.plot.code, crop=p.crop, variety=p.variety, sown_on=p.sown_on,
            area_m2=p.area_m2, status=p.status,
        )
        for p in rows
    ]  # fmt: skip
    return r.PlantingsOut(plantings=listed, next_after=after)


@bp.get("/input-applications")
@endpoint(r.InputsOut, query=r.InputQuery)
def input_applications(query: r.InputQuery):
    """Sprays and fertilisers applied, by planting, kind and day"""
    select = scoped(InputApplication).where(
        *_between(InputApplication.applied_on, query.applied_from, query.applied_to)
    )
    if query.planting_id:
        select = select.where(InputApplication.planting_id == query.planting_id)
    if query.kind:
        select = select.where(InputApplication.kind == query.kind)
    rows, after = _page(select, InputApplication, query)
    return r.InputsOut(
        input_applications=[r.InputListed.model_validate(a, from_attributes=True) for a in rows], next_after=after
    )


@bp.get("/lots")
@endpoint(r.LotsOut, query=r.LotQuery)
def lots(query: r.LotQuery):
    """Harvest, processed and sale lots, by kind, status, product and day produced"""
    select = scoped(Lot).where(*_between(Lot.produced_on, query.produced_from, query.produced_to))
    if query.kind:
        select = select.where(Lot.kind == query.kind)
    if query.status:
        select = select.where(Lot.status == query.status)
    if query.product:
        select = select.where(
            Lot.product_id.in_(scoped(Product).where(Product.code == query.product).with_only_columns(Product.id))
        )
    rows, after = _page(select, Lot, query, selectinload(Lot.product), selectinload(Lot.plot))
    return r.LotsOut(lots=[LotOut.of(x) for x in rows], next_after=after)


@bp.get("/lots/<code>/units")
@endpoint(r.UnitsOut, query=r.PageQuery)
def lot_units(code: str, query: r.PageQuery):
    """A sale lot's units with their serials, each unit's Digital Link and public page"""
    lot = lot_or_404(code)
    rows, after = _page(sa.select(UnitSerial).where(UnitSerial.lot_id == lot.id), UnitSerial, query)
    units = []
    for unit in rows:
        public = label_uri(g.org, lot, unit.serial)
        units.append(r.UnitOut(serial=unit.serial, public_url=public, digital_link=canonical_identifier(public)))
    return r.UnitsOut(lot=lot.code, units=units, next_after=after)


@bp.get("/sales")
@endpoint(r.SalesOut, roles=MANAGERS, query=r.SaleQuery)
def sales(query: r.SaleQuery):
    """Sales to buyers (managers only), by lot and day"""
    select = scoped(Sale).where(*_between(Sale.sold_on, query.sold_from, query.sold_to))
    if query.lot:  # a filter: a lot that is not there has no sales
        select = select.where(Sale.lot_id.in_(scoped(Lot).where(Lot.code == query.lot).with_only_columns(Lot.id)))
    rows, after = _page(select, Sale, query, selectinload(Sale.lot), selectinload(Sale.buyer))
    listed = [
        r.SaleListed(
            id=s.id, lot=s.lot.code, buyer=s.buyer.name, quantity=s.quantity, unit=s.lot.unit, sold_on=s.sold_on,
            invoice_ref=s.invoice_ref,
        )
        for s in rows
    ]  # fmt: skip
    return r.SalesOut(sales=listed, next_after=after)


@bp.get("/recalls")
@endpoint(r.RecallsOut, query=r.PageQuery)
def recalls(query: r.PageQuery):
    """Recalls, open and closed"""
    rows, after = _page(scoped(Recall), Recall, query, selectinload(Recall.lot))
    listed = [
        r.RecallListed(id=x.id, lot=x.lot.code, reason=x.reason, opened_on=x.opened_on, closed_on=x.closed_on)
        for x in rows
    ]
    return r.RecallsOut(recalls=listed, next_after=after)


@bp.get("/events")
@endpoint(r.EventsOut, roles=MANAGERS, query=r.EventQuery)
def events(query: r.EventQuery):
    """The event log (managers only): every record as it was made, with its hash-chain links"""
    select = scoped(Event).where(*_between(Event.occurred_on, query.occurred_from, query.occurred_to))
    if query.kind:
        select = select.where(Event.kind == query.kind)
    rows, after = _page(select, Event, query)
    listed = [
        r.EventListed(
            id=e.id, kind=e.kind, occurred_on=e.occurred_on, recorded_at=e.recorded_at, supersedes=e.supersedes_id,
            hash=e.hash, prev_hash=e.prev_hash,
        )
        for e in rows
    ]  # fmt: skip
    return r.EventsOut(events=listed, next_after=after)
