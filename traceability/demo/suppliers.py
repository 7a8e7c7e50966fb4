"""What a supplier's own system sent by EPCIS: the coconuts Đoan Ngọ's oil is pressed from, picked and
husked at the supplier's, then shipped to the cooperative, which bought them in under the supplier's lot
number. The trace of the oil and the buyer's page show these steps as the supplier's."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.epcis import capture
from traceability.extensions import db
from traceability.lots.models import Lot

# GS1's example company prefix 952: never a real company's. The supplier's own product: husked coconuts.
SUPPLIER_GTIN = "09520123450014"


def _event(day: dt.date, hour: int, **fields) -> dict:
    return {"eventTime": f"{day.isoformat()}T{hour:02d}:00:00+07:00", "eventTimeZoneOffset": "+07:00", **fields}


def load_supplier_history(org: Organisation) -> None:
    bought = db.session.scalars(
        sa.select(Lot).where(of_org(Lot, org.id), Lot.supplier_id.is_not(None)).order_by(Lot.id)
    ).first()
    code, received = bought.supplier_lot_code, bought.produced_on
    picked = f"https://id.gs1.org/01/{SUPPLIER_GTIN}/10/HAI-{code}"
    husked = f"https://id.gs1.org/01/{SUPPLIER_GTIN}/10/{code}"
    grove = {"id": "https://id.gs1.org/414/9520123000028/254/VUON-DUA-2"}
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": f"{received.isoformat()}T18:00:00+07:00",
        "epcisBody": {
            "eventList": [
                _event(
                    received - dt.timedelta(days=3),
                    6,
                    type="ObjectEvent",
                    action="ADD",
                    bizStep="commissioning",
                    disposition="active",
                    quantityList=[{"epcClass": picked, "quantity": 640}],
                    readPoint=grove,
                    bizLocation=grove,
                ),
                _event(
                    received - dt.timedelta(days=2),
                    9,
                    type="TransformationEvent",
                    bizStep="creating_class_instance",
                    inputQuantityList=[{"epcClass": picked, "quantity": 640}],
                    outputQuantityList=[{"epcClass": husked, "quantity": 600}],
                    bizLocation=grove,
                ),
                _event(
                    received,
                    7,
                    type="ObjectEvent",
                    action="OBSERVE",
                    bizStep="shipping",
                    disposition="in_transit",
                    quantityList=[{"epcClass": husked, "quantity": 600}],
                ),
            ]  # fmt: skip
        },
    }
    job = capture.capture(org, None, document)
    assert job.stored == 3, job.errors  # demo data: a broken document is a bug here, not a user's slip
