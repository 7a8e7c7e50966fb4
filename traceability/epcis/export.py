"""EPCIS 2.0 documents of our events, for a lot's lineage or a span of days: what the export pages and the
CLI download, the same events the query interface serves."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.epcis.documents import BUILDERS, EPCIS_KINDS, VIETNAM, context
from traceability.epcis.store import own_documents
from traceability.events.models import Event
from traceability.extensions import db
from traceability.lots.lineage import reachable
from traceability.lots.models import Lot, LotLink, Recall, Sale


def epcis_document(org: Organisation, events: list[Event], *, created: dt.datetime | None = None) -> dict:
    """A document of our own events, each as it is stored and served (``eventID`` its canonical hash)."""
    events = [e for e in events if e.kind in BUILDERS and e.organisation_id == org.id]
    return document_of(own_documents(org, events), created=created)


def document_of(events: list[dict], *, created: dt.datetime | None = None) -> dict:
    created = (created or dt.datetime.now(VIETNAM)).astimezone(VIETNAM)
    return {
        "@context": context(),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat(timespec="seconds"),
        "epcisBody": {"eventList": events},
    }


def events_for_lot(org: Organisation, lot: Lot) -> list[Event]:
    """EPCIS events that made, used, sold or recalled a lot of the lineage (back and forward): three queries."""
    if lot.organisation_id != org.id:
        raise ValueError("the lot belongs to another organisation")
    lot_ids = sorted(set(reachable(lot.id, forward=True)) | set(reachable(lot.id, forward=False)))
    touching = sa.union(
        sa.select(Lot.event_id).where(Lot.id.in_(lot_ids)),
        sa.select(LotLink.event_id).where(
            sa.or_(LotLink.input_lot_id.in_(lot_ids), LotLink.output_lot_id.in_(lot_ids))
        ),
        sa.select(Sale.event_id).where(Sale.lot_id.in_(lot_ids)),
        sa.select(Recall.event_id).where(
            sa.or_(Recall.lot_id.in_(lot_ids), Recall.id.in_(sa.select(Lot.recall_id).where(Lot.id.in_(lot_ids))))
        ),
    )
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(of_org(Event, org.id), Event.kind.in_(EPCIS_KINDS), Event.id.in_(touching))
            .order_by(Event.id)
        )
    )


def events_between(org: Organisation, start: dt.date, end: dt.date) -> list[Event]:
    """The EPCIS events that happened from ``start`` to ``end`` (both included), in recording order."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(of_org(Event, org.id), Event.kind.in_(EPCIS_KINDS), Event.occurred_on.between(start, end))
            .order_by(Event.id)
        )
    )
