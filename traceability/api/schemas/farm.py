"""Bodies of the field records: plots, plantings, sprays and fertilisers, harvests."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from traceability.api.schemas.base import (
    TODAY,
    Area,
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

DoseUnit = text(20, optional=True)
Grade = text(20, optional=True)
Ingredient = text(255, optional=True)


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


class PlantingIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"plot_id": 1, "sown_on": "2026-02-10"}]})

    plot_id: Id
    sown_on: Day
    crop: OptionalName = Field(None, description="The plot's crop when left out.")
    variety: OptionalName = None
    area_m2: Area | None = Field(None, description="The whole plot when left out.")


class PlantingOut(Schema):
    id: int
    plot: str
    crop: str

    @classmethod
    def of(cls, planting: Planting) -> PlantingOut:
        return cls(id=planting.id, plot=planting.plot.code, crop=planting.crop)


class InputIn(Schema):
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


class InputOut(Schema):
    id: int
    harvest_allowed_from: Day | None
    on_permitted_list: bool
    banned_ingredient: str | None

    @classmethod
    def of(cls, application: InputApplication) -> InputOut:
        return cls.model_validate(application, from_attributes=True)


class HarvestIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"planting_id": 1, "quantity_kg": "2500"}]})

    planting_id: Id
    quantity_kg: Quantity
    harvested_on: Day | None = Field(None, description=TODAY)
    grade: Grade = None
