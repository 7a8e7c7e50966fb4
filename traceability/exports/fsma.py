"""FDA FSMA 204 (21 CFR 1 Subpart S) key data elements as a sortable spreadsheet.

One row per critical tracking event and traceability lot code: harvesting, receiving, shipping and
transformation (processing; packing into sale units counts as a transformation, since it assigns a
new lot code). Recalls and farm records are not CTEs and give no row. The FDA may ask for this
"electronic sortable spreadsheet" within 24 hours (§ 1.1455(c)(3)).

Locations are described by business name, village, commune, province and country only: a member
household's name or phone number never appears. Buyers and suppliers are named, because here they
are businesses, and the rule requires the immediate recipient or source.
"""

from __future__ import annotations

import csv
from typing import IO

from traceability.accounts.models import Organisation
from traceability.epcis.documents import Facts, gather, number
from traceability.events.models import Event, EventKind
from traceability.lots.models import Lot
from traceability.spreadsheets import write_xlsx as write_sheet

COLUMNS = [
    "traceability_lot_code",
    "tlc_source",
    "product_description",
    "quantity",
    "unit_of_measure",
    "event_type",
    "event_date",
    "location_description",
    "reference_document_type",
    "reference_document_number",
    "input_lots",
    "ship_to",
    "received_from",
]


def _places(*parts) -> str:
    return ", ".join(p for p in parts if p)


def organisation_place(org: Organisation) -> str:
    # Village and commune, not the street line: a household business's address may be a home.
    return _places(org.name, org.village, org.commune, org.province, "Vietnam")


def lot_place(org: Organisation, lot: Lot) -> str:
    """Where the lot's code was assigned (the TLC source): its field for a harvest, else the organisation."""
    plot = lot.plot
    if plot is None:
        return organisation_place(org)
    village = plot.village
    return _places(org.name, f"plot {plot.code}", village.name, village.commune, village.province, "Vietnam")


def product_description(lot: Lot) -> str:
    product = lot.product
    if product is not None:
        text = product.name_vi + (f" ({product.name_en})" if product.name_en else "")
    else:
        variety = lot.planting.variety if lot.planting is not None else None
        text = _places(lot.crop or lot.code, variety)
    if lot.net_content:
        text += f", units of {number(lot.net_content)} {lot.net_unit}"
    return text


def _row(facts: Facts, event: Event, lot: Lot, event_type: str, quantity, unit: str, **extra) -> dict:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        traceability_lot_code=lot.code,
        tlc_source=lot_place(facts.org, lot),
        product_description=product_description(lot),
        quantity=number(quantity),
        unit_of_measure=unit,
        event_type=event_type,
        event_date=event.occurred_on.isoformat(),
        location_description=organisation_place(facts.org),
        reference_document_type="event",
        reference_document_number=str(event.id),
    )
    row.update(extra)
    return row


def _party_name(facts: Facts, party_id) -> str:
    party = facts.parties.get(party_id)
    return party.name if party is not None else ""


def _rows_of(event: Event, facts: Facts) -> list[dict]:
    p = event.payload or {}
    made = facts.made_by.get(event.id, [])
    if event.kind is EventKind.HARVEST:
        return [
            _row(
                facts, event, lot, "harvesting", lot.quantity, lot.unit, location_description=lot_place(facts.org, lot)
            )
            for lot in made
        ]
    if event.kind is EventKind.RECEIVING:
        return [
            _row(
                facts,
                event,
                lot,
                "receiving",
                lot.quantity,
                lot.unit,
                received_from=_party_name(facts, p.get("supplier_id")),
            )
            for lot in made
        ]
    if event.kind in (EventKind.PROCESSING, EventKind.PACKING):
        inputs = [i["lot"] for i in p["inputs"]] if event.kind is EventKind.PROCESSING else [p["source"]]
        return [
            _row(facts, event, lot, "transformation", lot.quantity, lot.unit, input_lots=";".join(sorted(inputs)))
            for lot in made
        ]
    if event.kind is EventKind.SALE:
        document = ("invoice", p["invoice_ref"]) if p.get("invoice_ref") else ("event", str(event.id))
        return [
            _row(
                facts,
                event,
                facts.by_code[p["lot"]],
                "shipping",
                p["quantity"],
                p["unit"],
                ship_to=_party_name(facts, p.get("buyer_id")),
                reference_document_type=document[0],
                reference_document_number=document[1],
            )
        ]
    return []  # not a critical tracking event


def fsma_rows(org: Organisation, events: list[Event]) -> list[dict]:
    events = [e for e in events if e.organisation_id == org.id]
    facts = gather(org, events)
    rows = [row for event in events for row in _rows_of(event, facts)]
    # Stable sort: rows of one day and lot keep the order the events were recorded in.
    return sorted(rows, key=lambda r: (r["event_date"], r["traceability_lot_code"]))


def write_csv(rows: list[dict], fp: IO[str]) -> None:
    writer = csv.DictWriter(fp, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)


def write_xlsx(rows: list[dict], path_or_fp) -> None:
    """Sortable and filterable, as the rule asks."""
    write_sheet(path_or_fp, "FSMA 204 KDEs", COLUMNS, ([row[c] for c in COLUMNS] for row in rows))
