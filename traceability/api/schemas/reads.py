"""What an integrator reads: every list a page at a time (``limit``, ``after``), filtered by the fields a
partner's system asks by. Answers carry ids that the writes take (a plot's ``village_id``…)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema

from traceability.accounts.tenancy import MAX_ID
from traceability.api.schemas.base import Amount, LotCode, Schema
from traceability.api.schemas.lots import LotOut
from traceability.events.models import EventKind
from traceability.farm.models import InputKind, PlantingStatus
from traceability.lots.models import LotKind, LotStatus

MAX_LIMIT = 500
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A day in a query: its ISO text only (a bare number is no day), checked to be a real date.
QueryDay = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    AfterValidator(dt.date.fromisoformat),
    WithJsonSchema({"type": "string", "format": "date"}),
]
Since = Annotated[QueryDay | None, Field(None, description="From this day (YYYY-MM-DD), included.")]
Until = Annotated[QueryDay | None, Field(None, description="Up to this day (YYYY-MM-DD), included.")]


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


Utc = Annotated[dt.datetime, PlainSerializer(_utc, return_type=str)]  # stored as naive UTC, served with its Z


class PageQuery(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"Items in a page, 1 to {MAX_LIMIT}.")
    after: int = Field(
        0, ge=0, le=MAX_ID, description="The `next_after` of the page before: the next page starts after it."
    )


class Page(Schema):
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last page.")


class VillageOut(Schema):
    id: int
    name: str
    commune: str
    province: str


class VillagesOut(Page):
    villages: list[VillageOut]


class HouseholdQuery(PageQuery):
    village_id: Id | None = None


class HouseholdOut(Schema):
    id: int
    name: str
    village_id: int
    phone: str | None = Field(description="Only to the roles that manage the registry; null for the others.")


class HouseholdsOut(Page):
    households: list[HouseholdOut]


class PlotQuery(PageQuery):
    village_id: Id | None = None
    household_id: Id | None = None


class PlotOut(Schema):
    id: int
    code: str
    name: str
    village_id: int
    household_id: int | None
    area_m2: Amount
    crop: str


class PlotsOut(Page):
    plots: list[PlotOut]


class PlantingQuery(PageQuery):
    plot_id: Id | None = None
    status: PlantingStatus | None = None
    sown_from: Since = None
    sown_to: Until = None


class PlantingListed(Schema):
    id: int
    plot_id: int
    plot: str
    crop: str
    variety: str | None
    sown_on: dt.date
    area_m2: Amount
    status: PlantingStatus


class PlantingsOut(Page):
    plantings: list[PlantingListed]


class InputQuery(PageQuery):
    planting_id: Id | None = None
    kind: InputKind | None = None
    applied_from: Since = None
    applied_to: Until = None


class InputListed(Schema):
    id: int
    planting_id: int
    kind: InputKind
    trade_name: str
    active_ingredient: str | None
    dose: Amount | None
    dose_unit: str | None
    applied_on: dt.date
    phi_days: int | None
    harvest_allowed_from: dt.date | None
    on_permitted_list: bool
    superseded: bool = Field(description="Corrected by a later record: the later one is what was done.")


class InputsOut(Page):
    input_applications: list[InputListed]


class LotQuery(PageQuery):
    kind: LotKind | None = None
    status: LotStatus | None = None
    product: str | None = Field(None, max_length=40, description="A product's code.")
    produced_from: Since = None
    produced_to: Until = None


class LotsOut(Page):
    lots: list[LotOut]


class UnitOut(Schema):
    serial: str
    digital_link: str | None = Field(
        description="The unit's own GS1 Digital Link (https://id.gs1.org/…), when its product has a GTIN."
    )
    public_url: str = Field(description="What the unit's QR code carries: its page for buyers.")


class UnitsOut(Page):
    lot: LotCode
    units: list[UnitOut]


class SaleQuery(PageQuery):
    lot: LotCode | None = None
    sold_from: Since = None
    sold_to: Until = None


class SaleListed(Schema):
    id: int
    lot: str
    buyer: str = Field(description="The buyer's name; their contact details stay on the web pages.")
    quantity: Amount
    unit: str
    sold_on: dt.date
    invoice_ref: str | None


class SalesOut(Page):
    sales: list[SaleListed]


class RecallListed(Schema):
    id: int
    lot: str
    reason: str
    opened_on: dt.date
    closed_on: dt.date | None


class RecallsOut(Page):
    recalls: list[RecallListed]


class EventQuery(PageQuery):
    kind: EventKind | None = None
    occurred_from: Since = None
    occurred_to: Until = None


class EventListed(Schema):
    id: int
    kind: EventKind
    occurred_on: dt.date
    recorded_at: Utc = Field(description="When the server received it (UTC).")
    supersedes: int | None = Field(description="The event this one corrects.")
    hash: str = Field(description="Its link in the organisation's hash chain (and leaf of its transparency log).")
    prev_hash: str | None


class EventsOut(Page):
    events: list[EventListed]
