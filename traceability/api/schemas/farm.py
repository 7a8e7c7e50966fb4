"""Bodies of the field records (plots, plantings, sprays and fertilisers, harvests, photos) and the
lists a phone needs to record them offline."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from pydantic import ConfigDict, Field

from traceability.api.schemas.base import (
    TODAY,
    Area,
    Captured,
    Day,
    Days,
    Id,
    Measure,
    Name,
    OptionalId,
    OptionalName,
    Quantity,
    RecordCode,
    Schema,
    text,
)
from traceability.farm.models import InputApplication, InputKind, Planting
from traceability.farm.services.field import FieldLists

DoseUnit = text(20, optional=True)
Grade = text(20, optional=True)
Ingredient = text(255, optional=True)
Method = text(40, optional=True)


class PlotIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "N2", "name": "Ruộng nghệ 2", "village_id": 1, "area_m2": "1500", "crop": "Nghệ"}]
        }
    )

    code: RecordCode
    name: Name
    village_id: Id
    area_m2: Area
    crop: Name
    household_id: OptionalId = None


class PlantingIn(Captured):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
                    "saved_at": "2026-02-10T07:32:00+07:00",
                    "plot_id": 1,
                    "sown_on": "2026-02-10",
                }
            ]
        }
    )

    plot_id: Id
    sown_on: Day
    crop: OptionalName = Field(None, description="The plot's crop when left out.")
    variety: OptionalName = None
    area_m2: Area | None = Field(None, description="The whole plot when left out.")
    seed_source: text(255, optional=True) = None
    seed_lot: text(60, optional=True) = None
    expected_harvest_from: Day | None = None
    expected_harvest_to: Day | None = None


class PlantingOut(Schema):
    id: int
    plot: str
    crop: str

    @classmethod
    def of(cls, planting: Planting) -> PlantingOut:
        return cls(id=planting.id, plot=planting.plot.code, crop=planting.crop)


class InputIn(Captured):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"applied_on": "2026-03-01", "trade_name": "Emagold 6.5EC", "dose": "20"}]}
    )

    applied_on: Day
    trade_name: Name
    kind: InputKind | None = Field(None, description="From the organisation's list of inputs when left out.")
    dose: Measure | None = None
    dose_unit: DoseUnit = None
    active_ingredient: Ingredient = None
    phi_days: Days | None = Field(None, description="Pre-harvest interval from the product's label (0 to 365).")
    area_m2: Area | None = Field(None, description="The whole planting when left out.")
    method: Method = None
    operator: OptionalName = None


class InputOut(Schema):
    id: int
    harvest_allowed_from: Day | None
    on_permitted_list: bool
    banned_ingredient: str | None

    @classmethod
    def of(cls, application: InputApplication) -> InputOut:
        return cls.model_validate(application, from_attributes=True)


class HarvestIn(Captured):
    model_config = ConfigDict(json_schema_extra={"examples": [{"planting_id": 1, "quantity_kg": "2500"}]})

    planting_id: OptionalId = Field(None, description="The planting harvested; or give planting_uuid.")
    planting_uuid: UUID | None = Field(None, description="A planting started on the phone, named by its uuid.")
    quantity_kg: Quantity
    harvested_on: Day | None = Field(None, description=TODAY)
    grade: Grade = None
    harvester: OptionalName = None


class PhotoOut(Schema):
    id: int
    uuid: str
    record: str = Field(description="The uuid of the record the photo belongs to.")
    width: int
    height: int


class PlotItem(Schema):
    id: int
    code: str
    name: str
    household: str | None


class PlantingItem(Schema):
    id: int
    uuid: str | None = Field(description="The uuid it was given on a phone, if it was started on one.")
    plot: str
    plot_name: str
    household: str | None
    crop: str
    sown_on: dt.date
    harvest_allowed_from: dt.date | None = Field(description="When the last pre-harvest interval ends.")


class ProductItem(Schema):
    trade_name: str
    kind: InputKind
    active_ingredient: str | None
    phi_days: int | None
    dose_unit: str | None


class HouseholdItem(Schema):
    id: int
    name: str


class FieldListsOut(Schema):
    """What a member picks from when recording in the field, kept on the phone to work offline."""

    plots: list[PlotItem]
    plantings: list[PlantingItem]
    products: list[ProductItem]
    households: list[HouseholdItem]

    @classmethod
    def of(cls, lists: FieldLists) -> FieldListsOut:
        return cls.model_validate(lists, from_attributes=True)
