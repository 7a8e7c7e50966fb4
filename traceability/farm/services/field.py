"""What a member picks from in the field: their plots and running seasons with the day each may be
harvested, the organisation's permitted products with their pre-harvest intervals, the households
recorded for. Read once online and kept on the phone, so the forms work with no signal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from traceability.accounts.models import Organisation, User
from traceability.accounts.services import household_of
from traceability.accounts.tenancy import scoped
from traceability.events.models import Event, EventKind
from traceability.extensions import db
from traceability.farm.models import Household, InputKind, PermittedInput, Plot
from traceability.farm.services.seasons import growing_plantings, harvest_blocks


@dataclass(frozen=True)
class PlotItem:
    id: int
    code: str
    name: str
    household: str | None


@dataclass(frozen=True)
class PlantingItem:
    id: int
    uuid: str | None
    plot: str
    plot_name: str
    household: str | None
    crop: str
    sown_on: dt.date
    harvest_allowed_from: dt.date | None


@dataclass(frozen=True)
class ProductItem:
    trade_name: str
    kind: InputKind
    active_ingredient: str | None
    phi_days: int | None
    dose_unit: str | None


@dataclass(frozen=True)
class HouseholdItem:
    id: int
    name: str


@dataclass(frozen=True)
class FieldLists:
    plots: list[PlotItem]
    plantings: list[PlantingItem]
    products: list[ProductItem]
    households: list[HouseholdItem]

    def as_json(self) -> dict:
        """For the page's data island: what the phone's scripts read offline (dates as YYYY-MM-DD)."""
        return {
            "plantings": {
                p.id: {
                    "plot": p.plot_name,
                    "uuid": p.uuid,
                    "sown_on": p.sown_on.isoformat(),
                    "harvest_from": p.harvest_allowed_from.isoformat() if p.harvest_allowed_from else None,
                }
                for p in self.plantings
            },
            "products": {
                p.trade_name: {"kind": p.kind.value, "phi_days": p.phi_days, "dose_unit": p.dose_unit}
                for p in self.products
            },
            "plots": {p.id: {"name": p.name, "household": p.household} for p in self.plots},
        }


def field_lists(org: Organisation, user: User) -> FieldLists:
    """Four queries whatever the size: plots, growing plantings, their pre-harvest intervals, products."""
    household_id = household_of(user, org)
    plots_query = (
        scoped(Plot, org).where(Plot.archived_at.is_(None)).options(joinedload(Plot.household)).order_by(Plot.code)
    )
    if household_id:
        plots_query = plots_query.where(Plot.household_id == household_id)
    plots = db.session.scalars(plots_query).all()
    plantings = growing_plantings(org, user)
    blocks = harvest_blocks([p.id for p in plantings])
    uuids = dict(
        db.session.execute(
            sa.select(Event.planting_id, Event.uuid).where(
                Event.planting_id.in_([p.id for p in plantings]),
                Event.kind == EventKind.PLANTING,
                Event.uuid.is_not(None),
            )
        ).all()
    )
    products = db.session.scalars(
        scoped(PermittedInput, org)
        .where(PermittedInput.archived_at.is_(None))
        .order_by(PermittedInput.kind, PermittedInput.trade_name)
    ).all()
    households = {p.household.id: p.household for p in plots if p.household is not None}
    return FieldLists(
        plots=[PlotItem(p.id, p.code, p.name, p.household.name if p.household else None) for p in plots],
        plantings=[
            PlantingItem(
                p.id,
                uuids.get(p.id),
                p.plot.code,
                p.plot.name,
                _household_name(p.household),
                p.crop,
                p.sown_on,
                blocks[p.id].harvest_from if p.id in blocks else None,
            )
            for p in plantings
        ],
        products=[ProductItem(p.trade_name, p.kind, p.active_ingredient, p.phi_days, p.dose_unit) for p in products],
        households=[HouseholdItem(h.id, h.name) for h in sorted(households.values(), key=lambda h: h.name)],
    )


def _household_name(household: Household | None) -> str | None:
    return household.name if household else None
