"""A bought-in lot's history before it reached us, from the supplier's own EPCIS events (captured).

The lot is found in the supplier's events by the code we noted when buying it (``Lot.supplier_lot_code``): the
identifier itself (a Digital Link or EPC URI scanned from their label) or their lot number, as the batch/lot
(AI 10) of an identifier. From the events that name it, the history goes back through their transformations
(what went in to make it) and the events naming those inputs, a level per query, a few levels deep. These
are the supplier's words, never mixed with our own records: the pages show them as "from the supplier".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from traceability.epcis.canonical import canonical_identifier
from traceability.epcis.documents import VIETNAM
from traceability.epcis.models import EpcisEvent, EpcisIdentifier, Origin
from traceability.extensions import db

DEPTH = 6  # transformations followed back: a farm, a collector, a processor, a packer… and some room
INPUTS = ("inputEPCList", "inputQuantityList")
OUTPUTS = ("outputEPCList", "outputQuantityList")

# CBV business steps a supplier's events use most, in the reader's language; others show their own word.
STEP_LABELS = {
    "commissioning": _l("Commissioned (harvested or made)"),
    "creating_class_instance": _l("Produced"),
    "packing": _l("Packed"),
    "shipping": _l("Shipped"),
    "departing": _l("Departed"),
    "receiving": _l("Received"),
    "arriving": _l("Arrived"),
    "inspecting": _l("Inspected"),
    "sampling": _l("Sampled"),
    "storing": _l("Stored"),
    "transporting": _l("Transported"),
}


@dataclass(frozen=True)
class SupplierStep:
    day: dt.date  # the event's local day in Vietnam
    step: str  # the business step's label, or its own word when the vocabulary has none
    event_type: str
    event_id: str  # the canonical hash: what the supplier's system calls the same event


def label(biz_step: str | None) -> str:
    if not biz_step:
        return ""
    if biz_step in STEP_LABELS:
        return str(STEP_LABELS[biz_step])
    return biz_step.rstrip("/").rsplit("/", 1)[-1].removeprefix("BizStep-")


def _seeds(code: str) -> sa.ColumnElement:
    """The identifiers a supplier's code can be written as in their events."""
    canonical = canonical_identifier(code)
    if canonical or "://" in code or code.startswith("urn:"):
        return EpcisIdentifier.value == (canonical or code)
    return sa.or_(
        EpcisIdentifier.value.endswith(f"/10/{code}", autoescape=True),
        EpcisIdentifier.value == code,
    )


def supplier_history(org_id: int, code: str | None) -> list[SupplierStep]:
    """The supplier's events for the lot they sold us under ``code``, oldest first (empty if none was captured)."""
    if not code:
        return []
    supplier = sa.and_(EpcisIdentifier.organisation_id == org_id, EpcisEvent.origin == Origin.SUPPLIER)
    joined = sa.select(EpcisIdentifier.epcis_event_id).join(EpcisEvent, EpcisEvent.id == EpcisIdentifier.epcis_event_id)
    found: dict[int, EpcisEvent] = {}
    frontier = set(db.session.scalars(joined.where(supplier, _seeds(code))))
    for _level in range(DEPTH):
        new = frontier - set(found)
        if not new:
            break
        rows = list(db.session.scalars(sa.select(EpcisEvent).where(EpcisEvent.id.in_(sorted(new)))))
        found.update({r.id: r for r in rows})
        # What went into the transformations that made it: their inputs, named as outputs or observed elsewhere.
        inputs = {
            canonical_identifier(v) or v
            for r in rows
            if r.event_type == "TransformationEvent"
            for name in INPUTS
            for item in r.document.get(name) or []
            if isinstance(v := item.get("epcClass") if isinstance(item, dict) else item, str)
        }
        if not inputs:
            break
        frontier = set(db.session.scalars(joined.where(supplier, EpcisIdentifier.value.in_(sorted(inputs)))))
    return [
        SupplierStep(
            day=r.event_time.replace(tzinfo=dt.UTC).astimezone(VIETNAM).date(),
            step=label(r.biz_step),
            event_type=r.event_type,
            event_id=r.event_hash,
        )
        for r in sorted(found.values(), key=lambda r: (r.event_time, r.id))
    ]
