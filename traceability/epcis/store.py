"""The EPCIS events the query interface serves: our own, made once when their records commit, and a supplier's,
captured. Each is stored with its canonical hash as ``eventID`` and the identifiers it names.

Our own events are made in the transaction that records them (``init_app`` registers the hook), from the
records as they are then: a product given a GTIN next year does not change what was served this year, so
the ``eventID`` a partner stored still finds the event. ``backfill`` makes those recorded before this existed.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from traceability import transactions
from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.database import insert_unless_there
from traceability.epcis import documents
from traceability.epcis.canonical import canonical_identifier
from traceability.epcis.hashing import document_namespaces, event_hash
from traceability.epcis.models import EpcisEvent, EpcisIdentifier, Origin
from traceability.events.models import Event, EventKind
from traceability.extensions import db

_PENDING = "epcis_pending_events"
# What the public query may serve of a lot's history: the deeds its public page shows, none naming a party.
PUBLIC_KINDS = frozenset({EventKind.HARVEST, EventKind.PROCESSING, EventKind.PACKING, EventKind.RECALL})
EPC_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
CLASS_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def init_app(app) -> None:
    if not getattr(Session, "_epcis_hooked", False):
        sa_event.listen(Session, "after_flush", _note_new_events)
        sa_event.listen(Session, "before_commit", _store_noted)
        sa_event.listen(Session, "after_rollback", lambda session: session.info.pop(_PENDING, None))
        Session._epcis_hooked = True


def _note_new_events(session: Session, _context) -> None:
    noted = [o.id for o in session.new if isinstance(o, Event) and o.kind in documents.EPCIS_KINDS]
    if noted:
        session.info.setdefault(_PENDING, []).extend(noted)


def _store_noted(session: Session) -> None:
    if not session.info.get(_PENDING):
        return
    session.flush()  # the lots the services added after their events (and any event not yet flushed)
    ids = session.info.pop(_PENDING)
    # Only those still there: a service that failed inside its savepoint took its event with it.
    events = list(session.scalars(sa.select(Event).where(Event.id.in_(ids)).order_by(Event.id)))
    for org_id in sorted({e.organisation_id for e in events}):
        store_own(session.get(Organisation, org_id), [e for e in events if e.organisation_id == org_id])


def identifiers_of(document: dict) -> list[tuple[str, str]]:
    """(field, canonical identifier) for every EPC and EPC class an event names."""
    found = []
    for name in EPC_FIELDS:
        found += [(name, v) for v in document.get(name) or [] if isinstance(v, str)]
    if isinstance(document.get("parentID"), str):
        found.append(("parentID", document["parentID"]))
    for name in CLASS_FIELDS:
        found += [(name, q.get("epcClass")) for q in document.get(name) or [] if isinstance(q, dict)]
    return sorted({(name, canonical_identifier(v) or v) for name, v in found if isinstance(v, str)})


def utc(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def biz_step_of(value: str | None) -> str | None:
    """CBV words stored bare, whether sent bare or as their URI, so one filter finds both."""
    if not value:
        return None
    for prefix in ("https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:"):
        if value.startswith(prefix):
            return value.removeprefix(prefix)
    return value


def values_for(org_id: int, document: dict, *, origin: Origin, record_time: dt.datetime, **fields) -> dict:
    """The columns of an event's stored row."""
    location = (document.get("bizLocation") or {}).get("id")
    return {
        "organisation_id": org_id,
        "origin": origin,
        "event_hash": document["eventID"],
        "event_type": document["type"],
        "event_time": utc(document["eventTime"]),
        "record_time": record_time,
        "biz_step": biz_step_of(document.get("bizStep")),
        "biz_location": (canonical_identifier(location) or location) if location else None,
        "document": document,
        **fields,
    }


def _add_identifiers(rows: list[tuple[int, int, dict]]) -> None:
    """One statement for the identifiers of (organisation, stored event id, document) rows."""
    names = [
        {"organisation_id": org_id, "epcis_event_id": row_id, "field": name, "value": value}
        for org_id, row_id, document in rows
        for name, value in identifiers_of(document)
    ]
    if names:
        db.session.execute(sa.insert(EpcisIdentifier), names)


def add_rows(rows: list[EpcisEvent]) -> None:
    """Store events and the identifiers they name: a statement for the events and one for the identifiers."""
    db.session.add_all(rows)
    db.session.flush()
    _add_identifiers([(row.organisation_id, row.id, row.document) for row in rows])


def add_new(rows: list[dict]) -> int:
    """Store those of ``rows`` (``values_for``) not stored yet, and their identifiers; how many were new.

    Two senders capturing the same event at once both find it missing: the insert skips what the other
    has just stored (waiting for it to commit, on PostgreSQL) instead of breaking the unique key."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = insert_unless_there(EpcisEvent, dialect, ["organisation_id", "event_hash"])
    stored = db.session.execute(insert.returning(EpcisEvent.id, EpcisEvent.event_hash), rows).all()
    by_hash = {row["event_hash"]: row for row in rows}
    _add_identifiers([(by_hash[h]["organisation_id"], i, by_hash[h]["document"]) for i, h in stored])
    return len(stored)


def store_own(org: Organisation, events: list[Event]) -> list[EpcisEvent]:
    events = [e for e in events if e.kind in documents.BUILDERS]
    if not events:
        return []
    built = documents.event_documents(org, events)
    namespaces = document_namespaces({"@context": documents.context()})
    rows = []
    for event, document in zip(events, built, strict=True):
        document["eventID"] = event_hash(document, namespaces)
        recorded = event.recorded_at.astimezone(dt.UTC).replace(tzinfo=None) if event.recorded_at.tzinfo else None
        values = values_for(
            org.id,
            document,
            origin=Origin.OWN,
            record_time=recorded or event.recorded_at,
            event_id=event.id,
            public=event.kind in PUBLIC_KINDS,
        )
        rows.append(EpcisEvent(**values))
    add_rows(rows)
    return rows


def own_documents(org: Organisation, events: list[Event]) -> list[dict]:
    """The stored EPCIS event of each of ``events`` (made now for any recorded before they were stored)."""
    stored = {
        row.event_id: row.document
        for row in db.session.scalars(
            sa.select(EpcisEvent).where(of_org(EpcisEvent, org.id), EpcisEvent.event_id.in_([e.id for e in events]))
        )
    }
    missing = [e for e in events if e.id not in stored and e.kind in documents.BUILDERS]
    if missing:
        transactions.will_write()
        stored |= {row.event_id: row.document for row in store_own(org, missing)}
    return [stored[e.id] for e in events if e.id in stored]


def backfill(org: Organisation, batch: int = 1000) -> int:
    """Make the stored events of every EPCIS deed recorded before they were made; returns how many."""
    made = 0
    while True:
        done = sa.select(EpcisEvent.event_id).where(of_org(EpcisEvent, org.id), EpcisEvent.event_id.is_not(None))
        events = list(
            db.session.scalars(
                sa.select(Event)
                .where(of_org(Event, org.id), Event.kind.in_(documents.EPCIS_KINDS), Event.id.not_in(done))
                .order_by(Event.id)
                .limit(batch)
            )
        )
        if not events:
            return made
        made += len(store_own(org, events))
        current_app.logger.info("epcis backfill %s: %d", org.code, made)
