"""Bodies of the lot records (processing, packing, sales, recalls) and of lots, traces and products.

Answers show public facts only: no buyer contact details, no household phones.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from traceability.accounts.models import Organisation
from traceability.api.schemas.base import (
    TODAY,
    Amount,
    Count,
    Day,
    Flag,
    Gtin,
    LotCode,
    Measure,
    Name,
    Note,
    ProductCode,
    Quantity,
    Schema,
    blank_as,
    text,
)
from traceability.epcis.canonical import canonical_identifier
from traceability.extensions import db
from traceability.labels.digital_link import label_uri
from traceability.lots.lineage import Trace
from traceability.lots.models import Lot, LotKind, LotStatus, PartyKind
from traceability.products.models import Product, ProductKind
from traceability.units import NET_CONTENT_UNITS, Unit

NetUnit = Literal[tuple(u.value for u in NET_CONTENT_UNITS)]
Step = text(200)
InvoiceRef = text(60, optional=True)
Reason = text(2000)


class ProductOut(Schema):
    code: str
    name_vi: str
    name_en: str | None
    kind: ProductKind
    unit: Unit
    gtin: Gtin | None
    shelf_life_days: int | None

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls.model_validate(product, from_attributes=True)


class ProductsOut(Schema):
    products: list[ProductOut]


class LotOut(Schema):
    id: int
    code: str
    kind: LotKind
    status: LotStatus
    product: str | None
    crop: str | None
    quantity: Amount
    remaining_quantity: Amount
    unit: str
    produced_on: dt.date
    expires_on: dt.date | None
    vietgap_claim: bool
    yield_flagged: bool
    plot: str | None
    public_url: str = Field(description="The lot's page for buyers: what its label's QR code carries.")
    digital_link: str | None = Field(
        description="The lot's canonical GS1 Digital Link (https://id.gs1.org/01/{gtin}/10/{lot}), as EPCIS names "
        "it; null while its product has no GTIN."
    )

    @classmethod
    def fields_of(cls, lot: Lot) -> dict:
        public = label_uri(db.session.get(Organisation, lot.organisation_id), lot)
        return {
            "public_url": public,
            "digital_link": canonical_identifier(public),
            "id": lot.id,
            "code": lot.code,
            "kind": lot.kind,
            "status": lot.status,
            "product": lot.product.code if lot.product else None,
            "crop": lot.crop,
            "quantity": lot.quantity,
            "remaining_quantity": lot.remaining_quantity,
            "unit": lot.unit,
            "produced_on": lot.produced_on,
            "expires_on": lot.expires_on,
            "vietgap_claim": lot.vietgap_claim,
            "yield_flagged": lot.yield_flagged,
            "plot": lot.plot.code if lot.plot else None,
        }

    @classmethod
    def of(cls, lot: Lot) -> LotOut:
        return cls(**cls.fields_of(lot))


SERIALS_SHOWN = 100


class PackedOut(LotOut):
    serials: list[str] | None = Field(
        description=f"The units' serials when packed with serials: all of them up to {SERIALS_SHOWN}, null beyond "
        "(read them from units_url, a page at a time)."
    )
    units_url: str = Field(description="Where the units are listed with their serials and links.")


class RunInputIn(Schema):
    lot_code: LotCode
    quantity: Quantity = Field(description="In the input lot's unit.")


class RunOutputIn(Schema):
    product_code: ProductCode
    quantity: Quantity
    unit: Unit | None = Field(None, description="The product's unit when left out.")


class ProcessingIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "inputs": [{"lot_code": "261120-N1", "quantity": "2500"}],
                    "outputs": [{"product_code": "TBN", "quantity": "100"}],
                }
            ]
        }
    )

    inputs: list[RunInputIn] = Field(min_length=1, max_length=100)
    outputs: list[RunOutputIn] = Field(min_length=1, max_length=100)
    processed_on: Day | None = Field(None, description=TODAY)
    steps: list[Step] = Field([], max_length=50)
    reason: Note = Field(None, description="Required when the yield is outside the expected range.")


class ProcessingOut(Schema):
    yield_ratio: str = Field(description="Output over input, six decimal places.")
    yield_flagged: bool
    outputs: list[LotOut]


class PackingIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "source_lot_code": "261121-TBN",
                    "product_code": "TBN",
                    "units": 100,
                    "net_content": "100",
                    "net_unit": "g",
                }
            ]
        }
    )

    source_lot_code: LotCode
    product_code: ProductCode
    units: Count
    net_content: Measure
    net_unit: NetUnit
    packed_on: Day | None = Field(None, description=TODAY)
    serials: Flag = Field(False, description="Give every unit its own random serial (printed in its QR).")


class SaleIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"lot_code": "261121-TBN-2", "buyer_name": "Siêu thị Huế", "quantity": 30}]}
    )

    lot_code: LotCode
    buyer_name: Name
    buyer_kind: Annotated[PartyKind, blank_as(PartyKind.TRADER)] = PartyKind.TRADER
    quantity: Quantity = Field(description="In the lot's unit: whole units for a sale lot.")
    sold_on: Day | None = Field(None, description=TODAY)
    invoice_ref: InvoiceRef = None


class SaleOut(Schema):
    id: int
    lot: LotOut


class RecallIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Kiểm tra lại dư lượng"}]})

    reason: Reason
    opened_on: Day | None = Field(None, description=TODAY)


class RecalledBuyer(Schema):
    name: str
    quantity: Amount


class RecallOut(Schema):
    id: int
    lots: list[str]
    buyers: list[RecalledBuyer]


class TraceQuery(Schema):
    direction: Literal["back", "forward"] = "back"


class TracedLot(LotOut):
    depth: int


class TraceLink(Schema):
    input: str | None
    output: str | None
    quantity: Amount


class TracedSale(Schema):
    lot: str
    buyer: str
    quantity: Amount
    sold_on: dt.date


class TracedPlanting(Schema):
    plot: str
    crop: str
    sown_on: dt.date


class TracedInput(Schema):
    trade_name: str
    applied_on: dt.date
    phi_days: int | None


class TraceOut(Schema):
    lot: str
    direction: Literal["back", "forward"]
    lots: list[TracedLot]
    links: list[TraceLink]
    sales: list[TracedSale] | None = Field(None, description="Forward traces only.")
    plantings: list[TracedPlanting] | None = Field(None, description="Back traces only.")
    input_applications: list[TracedInput] | None = Field(None, description="Back traces only.")

    @classmethod
    def of(cls, trace: Trace, direction: str) -> TraceOut:
        codes = {x.id: x.code for x in trace.lots}
        if direction == "forward":
            ends = {
                "sales": [
                    TracedSale(lot=s.lot_code, buyer=s.buyer_name, quantity=s.quantity, sold_on=s.sold_on)
                    for s in trace.sales
                ]
            }
        else:
            ends = {
                "plantings": [
                    TracedPlanting(plot=p.plot.code, crop=p.crop, sown_on=p.sown_on) for p in trace.plantings
                ],
                "input_applications": [TracedInput.model_validate(a, from_attributes=True) for a in trace.applications],
            }
        return cls(
            lot=trace.root.code,
            direction=direction,
            lots=[TracedLot(**LotOut.fields_of(x), depth=trace.depth[x.id]) for x in trace.lots],
            links=[
                TraceLink(input=codes.get(x.input_lot_id), output=codes.get(x.output_lot_id), quantity=x.quantity)
                for x in trace.links
            ],
            **ends,
        )
