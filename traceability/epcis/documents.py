"""Our lot events as EPCIS 2.0 events (GS1 EPCIS 2.0 / CBV 2.0).

Mapping (CBV words checked against the EPCIS 2.0 JSON Schema's enums):

* harvest    → ObjectEvent ADD, ``commissioning`` (CBV: first use of a lot, harvests included), plot location
* receiving  → ObjectEvent ADD, ``receiving``: our own lot code starts here, supplier in ``sourceList``
* processing → TransformationEvent, ``creating_class_instance``: CBV has no "transforming"; GS1 US uses this
  word for FSMA transformations
* packing    → TransformationEvent, ``packing``: source lot in, sale lot (and unit serials) out
* sale       → ObjectEvent OBSERVE, ``shipping``, buyer in ``destinationList``, invoice in ``bizTransactionList``
* recall     → ObjectEvent OBSERVE, ``holding`` with disposition ``recalled``, one class per recalled lot

Planting, input application, inspection, certificate, end of season and recall closing are not left
out by mistake: they observe no lot (they are master data or farm records), so they are not EPCIS
object events and are omitted from every document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.epcis import identifiers as ids
from traceability.events.models import Event, EventKind
from traceability.extensions import db
from traceability.farm.models import Plot
from traceability.labels.digital_link import label_uri
from traceability.lots.models import Lot, Party, UnitSerial
from traceability.units import Unit

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EPCIS_KINDS = (
    EventKind.HARVEST,
    EventKind.RECEIVING,
    EventKind.PROCESSING,
    EventKind.PACKING,
    EventKind.SALE,
    EventKind.RECALL,
)
# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset is exact.
VIETNAM = dt.timezone(dt.timedelta(hours=7))
OFFSET = "+07:00"


def number(value) -> int | float:
    """A quantity as a JSON number: whole numbers stay integers."""
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Facts:
    """What the events of one export name, read with a fixed number of queries."""

    org: Organisation
    made_by: dict[int, list[Lot]] = field(default_factory=dict)  # event id → lots it created
    by_code: dict[str, Lot] = field(default_factory=dict)
    serials: dict[int, list[str]] = field(default_factory=dict)  # lot id → unit serials
    parties: dict[int, Party] = field(default_factory=dict)


def _codes_named(event: Event) -> set[str]:
    p = event.payload or {}
    codes = {
        p.get("lot_code"),
        p.get("lot"),
        p.get("source"),
        *(p.get("lots") or []),
        *(item.get("lot") for item in p.get("inputs") or []),
    }
    return codes - {None, ""}


def gather(org: Organisation, events: list[Event]) -> Facts:
    facts = Facts(org)
    event_ids = [e.id for e in events]
    if not event_ids:
        return facts
    codes = set().union(*(_codes_named(e) for e in events))
    lots = (
        db.session.scalars(
            sa.select(Lot)
            .where(of_org(Lot, org.id), sa.or_(Lot.event_id.in_(event_ids), Lot.code.in_(sorted(codes))))
            .options(joinedload(Lot.product), joinedload(Lot.plot).joinedload(Plot.village), joinedload(Lot.planting))
        )
        .unique()
        .all()
    )
    for lot in sorted(lots, key=lambda x: x.code):
        facts.by_code[lot.code] = lot
        facts.made_by.setdefault(lot.event_id, []).append(lot)
    packed = [lot.id for e in events if e.kind is EventKind.PACKING for lot in facts.made_by.get(e.id, [])]
    if packed:
        for lot_id, serial in db.session.execute(
            sa.select(UnitSerial.lot_id, UnitSerial.serial).where(UnitSerial.lot_id.in_(packed)).order_by(UnitSerial.id)
        ):
            facts.serials.setdefault(lot_id, []).append(serial)
    party_ids = {(e.payload or {}).get(k) for e in events for k in ("buyer_id", "supplier_id")} - {None}
    if party_ids:
        facts.parties = {
            p.id: p for p in db.session.scalars(sa.select(Party).where(of_org(Party, org.id), Party.id.in_(party_ids)))
        }
    return facts


def _quantity(facts: Facts, lot: Lot, quantity=None, unit: str | None = None) -> dict:
    element = {"epcClass": label_uri(facts.org, lot)}
    if quantity is not None:
        element["quantity"] = number(quantity)
        uom = Unit(unit or lot.unit).uncefact  # pieces are a count of items: EPCIS writes no uom
        if uom:
            element["uom"] = uom
    return element


def context() -> list:
    """The JSON-LD context of our documents: GS1's, and ``coop:`` for the one field of our own."""
    return [CONTEXT, {"coop": f"{current_app.config['PUBLIC_BASE_URL']}/voc/"}]


def _common(event: Event, kind: str, location: str) -> dict:
    recorded = event.recorded_at
    if recorded.tzinfo is not None:
        recorded = recorded.astimezone(dt.UTC).replace(tzinfo=None)
    return {
        "type": kind,
        # Only the day is recorded: noon local keeps that day in every time zone from UTC−11 to UTC+11.
        "eventTime": f"{event.occurred_on.isoformat()}T12:00:00{OFFSET}",
        "eventTimeZoneOffset": OFFSET,
        "recordTime": recorded.isoformat(timespec="milliseconds") + "Z",
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
        # The record's hash in our log. Two sales of the same lot to the same buyer on the same day are two
        # deeds that EPCIS would write alike; this keeps their canonical hashes (their eventIDs) apart, and
        # names the log entry an official can check the event against.
        "coop:recordHash": event.hash,
    }


def _harvest(event: Event, facts: Facts) -> dict:
    lot = facts.made_by[event.id][0]
    return {
        **_common(event, "ObjectEvent", ids.plot_location(facts.org, lot.plot)),
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [_quantity(facts, lot, lot.quantity)],
        "ilmd": {"cbvmda:countryOfOrigin": "VN"},
    }


def _receiving(event: Event, facts: Facts) -> dict:
    lot = facts.made_by[event.id][0]
    return {
        **_common(event, "ObjectEvent", ids.organisation_location(facts.org)),
        "action": "ADD",
        "bizStep": "receiving",
        "disposition": "active",
        "quantityList": [_quantity(facts, lot, lot.quantity)],
        "sourceList": [{"type": "owning_party", "source": ids.party_uri(facts.org, event.payload["supplier_id"])}],
        "destinationList": [{"type": "owning_party", "destination": ids.organisation_uri(facts.org)}],
    }


def _processing(event: Event, facts: Facts) -> dict:
    inputs = [_quantity(facts, facts.by_code[i["lot"]], i["quantity"], i["unit"]) for i in event.payload["inputs"]]
    outputs = [_quantity(facts, lot, lot.quantity) for lot in facts.made_by[event.id]]
    return {
        **_common(event, "TransformationEvent", ids.organisation_location(facts.org)),
        "inputQuantityList": inputs,
        "outputQuantityList": outputs,
        "bizStep": "creating_class_instance",
        "disposition": "active",
    }


def _packing(event: Event, facts: Facts) -> dict:
    p = event.payload
    packed = facts.made_by[event.id][0]
    document = {
        **_common(event, "TransformationEvent", ids.organisation_location(facts.org)),
        "inputQuantityList": [_quantity(facts, facts.by_code[p["source"]], p["used"], p["unit"])],
        "outputQuantityList": [_quantity(facts, packed, packed.quantity)],
        "bizStep": "packing",
        "disposition": "active",
    }
    if facts.serials.get(packed.id):
        document["outputEPCList"] = [label_uri(facts.org, packed, s) for s in facts.serials[packed.id]]
    return document


def _sale(event: Event, facts: Facts) -> dict:
    p = event.payload
    document = {
        **_common(event, "ObjectEvent", ids.organisation_location(facts.org)),
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "quantityList": [_quantity(facts, facts.by_code[p["lot"]], p["quantity"], p["unit"])],
        "sourceList": [{"type": "owning_party", "source": ids.organisation_uri(facts.org)}],
        "destinationList": [{"type": "owning_party", "destination": ids.party_uri(facts.org, p["buyer_id"])}],
    }
    if p.get("invoice_ref"):
        document["bizTransactionList"] = [
            {"type": "inv", "bizTransaction": ids.invoice_uri(facts.org, p["invoice_ref"])}
        ]
    return document


def _recall(event: Event, facts: Facts) -> dict:
    codes = event.payload.get("lots") or [event.payload["lot"]]  # the lots recalled when it was opened
    return {
        **_common(event, "ObjectEvent", ids.organisation_location(facts.org)),
        "action": "OBSERVE",
        "bizStep": "holding",
        "disposition": "recalled",
        "quantityList": [_quantity(facts, facts.by_code[c]) for c in codes if c in facts.by_code],
    }


BUILDERS = {
    EventKind.HARVEST: _harvest,
    EventKind.RECEIVING: _receiving,
    EventKind.PROCESSING: _processing,
    EventKind.PACKING: _packing,
    EventKind.SALE: _sale,
    EventKind.RECALL: _recall,
}


def event_documents(org: Organisation, events: list[Event]) -> list[dict]:
    """The EPCIS event of each of ``events`` (all of EPCIS kinds, all of ``org``), without its ``eventID``."""
    facts = gather(org, events)
    return [BUILDERS[e.kind](e, facts) for e in events]
