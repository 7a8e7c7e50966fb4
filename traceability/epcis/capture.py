"""Capturing a supplier's EPCIS events (``POST /epcis/capture``): all of a document's events or none of them.

What a supplier's system sends is their history of what they sold us: kept apart from our own records
(``Origin.SUPPLIER``), never about our own lots or another organisation's on this server, each event once
however often it is sent (its canonical hash). Every error is reported with the event it is in, so the
sender can fix them all at once; a document with any error stores nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from traceability.accounts.models import ApiToken, Organisation
from traceability.accounts.tenancy import of_org
from traceability.database import utcnow
from traceability.epcis import schema
from traceability.epcis.hashing import document_events, document_namespaces, event_hash, ignored_fields
from traceability.epcis.models import CaptureState, EpcisCapture, EpcisEvent, Origin
from traceability.epcis.store import add_new, identifiers_of, values_for
from traceability.extensions import db
from traceability.metrics import EPCIS_CAPTURED
from traceability.products.models import Product

CAPTURE_LIMIT = 1000  # events in one document (GS1-EPCIS-Capture-Limit)
FILE_SIZE_LIMIT = 4 * 1024 * 1024  # bytes (GS1-EPCIS-Capture-File-Size-Limit): 1,000 rich events fit
MAX_IDENTIFIER = 255  # the stored identifier's length


MAX_DEPTH = 32  # levels of nesting: GS1's richest examples use 7
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def unreadable(document) -> str | None:
    """Why a parsed body cannot even be checked, or None: nested deeper than any EPCIS document (the checks
    recurse), or a text no database stores (a control character, half of a UTF-16 surrogate pair)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return _("The document is nested more than %(n)s levels deep.", n=MAX_DEPTH)
        if isinstance(value, dict):
            pending += [(k, depth) for k in value] + [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            pending += [(v, depth + 1) for v in value]
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return _("The body is not valid JSON (UTF-8).")
            if _CONTROL.search(value):
                return _("A text holds a control character (such as NUL): no EPCIS value has one.")
    return None


@dataclass(frozen=True)
class Problem:
    """One error, as an RFC 7807 problem of the capture job, naming its event (0 for the first)."""

    title: str
    pointer: str
    event: int | None = None

    def as_json(self) -> dict:
        detail = (
            _("Event %(n)s: %(title)s", n=self.event + 1, title=self.title) if self.event is not None else self.title
        )
        answer = {"type": "epcisException:ValidationException", "title": self.title, "status": 400, "detail": detail}
        answer["pointer"] = self.pointer
        if self.event is not None:
            answer["eventIndex"] = self.event
        return answer


_EVENT_PATH = ("epcisBody", "eventList")


def _schema_problems(document: dict) -> list[Problem]:
    problems = []
    for path, message in schema.errors(document):
        pointer = "/" + "/".join(str(p) for p in path)
        event = path[2] if tuple(path[:2]) == _EVENT_PATH and len(path) > 2 and isinstance(path[2], int) else None
        problems.append(
            Problem(_("Not valid EPCIS 2.0 (%(where)s): %(message)s", where=pointer, message=message), pointer, event)
        )
    return problems


_GTIN = re.compile(r"https://id\.gs1\.org/01/(\d{14})")


EARLIEST = dt.datetime(2000, 1, 1)
FUTURE = dt.timedelta(days=1)  # a sender's clock a little ahead, or a time zone mistaken, is not yet a slip


def _plausible(text: str) -> bool:
    try:
        moment = dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, TypeError, OverflowError):
        return False
    return EARLIEST <= moment <= utcnow() + FUTURE


def _field_problems(events: list[dict]) -> list[Problem]:
    """Times an event can have happened at, and values that fit what stores them."""
    problems = []
    for i, event in enumerate(events):
        for name in ("eventTime", "recordTime"):
            if name in event and not _plausible(event[name]):
                message = _("%(field)s is not a time this event can have happened at: from 2000 to now.", field=name)
                problems.append(Problem(message, f"/epcisBody/eventList/{i}/{name}", i))
        for name, value in (
            ("bizStep", event.get("bizStep")),
            ("bizLocation", (event.get("bizLocation") or {}).get("id")),
        ):
            if isinstance(value, str) and len(value) > MAX_IDENTIFIER:
                message = _("%(field)s is longer than %(n)s characters.", field=name, n=MAX_IDENTIFIER)
                problems.append(Problem(message, f"/epcisBody/eventList/{i}/{name}", i))
    return problems


def _owners(named: list[tuple[int, str, str]]) -> dict[str, int]:
    """The organisation on this server each named identifier belongs to, where one does: by its product's GTIN
    or by our own ``/o/{organisation}/…`` stem. Two queries, whatever the document's size."""
    gtins = {v: m.group(1) for _i, _f, v in named if (m := _GTIN.match(v))}
    stem = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/o/"
    codes = {v: v.removeprefix(stem).split("/", 1)[0] for _i, _f, v in named if v.startswith(stem)}
    by_gtin = dict(
        db.session.execute(
            sa.select(Product.gtin, Product.organisation_id).where(Product.gtin.in_(sorted(set(gtins.values()))))
        ).all()
    )
    by_code = dict(
        db.session.execute(
            sa.select(Organisation.code, Organisation.id).where(Organisation.code.in_(sorted(set(codes.values()))))
        ).all()
    )
    owners = {v: by_gtin[g] for v, g in gtins.items() if g in by_gtin}
    return owners | {v: by_code[c] for v, c in codes.items() if c in by_code}


def _identifier_problems(org: Organisation, events: list[dict]) -> list[Problem]:
    """Events must speak of a supplier's goods: not of our lots, nor of another organisation's on this server."""
    named = [(i, f, v) for i, e in enumerate(events) for f, v in identifiers_of(e)]
    owners = _owners(named)
    problems = []
    for i, name, value in named:
        pointer = f"/epcisBody/eventList/{i}/{name}"
        if len(value) > MAX_IDENTIFIER:
            problems.append(Problem(_("An identifier is longer than %(n)s characters.", n=MAX_IDENTIFIER), pointer, i))
        elif owners.get(value) == org.id:
            message = _("%(id)s is one of your own lots: its history is your own records, not a supplier's.", id=value)
            problems.append(Problem(message, pointer, i))
        elif value in owners:
            message = _(
                "%(id)s belongs to another organisation on this server: a capture only tells of a supplier's goods.",
                id=value,
            )
            problems.append(Problem(message, pointer, i))
    return problems


def validate(org: Organisation, document) -> tuple[list[dict], list[Problem]]:
    """The document's events and every problem found in them (schema first, then our own rules)."""
    if not isinstance(document, dict):
        return [], [Problem(_("Send an EPCIS 2.0 document: a JSON object."), "/")]
    refused = unreadable(document)
    if refused:
        return [], [Problem(refused, "/")]
    problems = _schema_problems(document)
    events = [e for e in document_events(document) if isinstance(e, dict)]
    if not problems:
        problems = sorted(
            _field_problems(events) + _identifier_problems(org, events), key=lambda p: (p.event, p.pointer)
        )
    return events, problems


def capture(org: Organisation, token: ApiToken | None, document) -> EpcisCapture:
    """Check and store a document's events; the job says what happened. Rolls back on any error."""
    events, problems = validate(org, document)
    job = EpcisCapture(
        organisation_id=org.id,
        token_id=token.id if token else None,
        events=len(events),
        state=CaptureState.FAILED if problems else CaptureState.SUCCEEDED,
        errors=[p.as_json() for p in problems[:1000]],
    )
    db.session.add(job)
    if not problems:
        job.stored = _store(org, job, document, events)
    job.finished_at = utcnow()
    db.session.flush()
    return job


def _store(org: Organisation, job: EpcisCapture, document: dict, events: list[dict]) -> int:
    namespaces = document_namespaces(document)
    ignored = ignored_fields(document, namespaces)
    declared = {k: v for k, v in namespaces.items() if k != "coop"}
    by_hash: dict[str, dict] = {}
    for event in events:
        stored = {k: v for k, v in event.items() if k not in ignored and k != "@context"}
        stored["eventID"] = event_hash(event, namespaces, ignored)
        if declared:  # the sender's prefixes travel with the event, so it reads the same when served
            stored = {"@context": [declared], **stored}
        by_hash.setdefault(stored["eventID"], stored)
    known = set(
        db.session.scalars(
            sa.select(EpcisEvent.event_hash).where(
                of_org(EpcisEvent, org.id), EpcisEvent.event_hash.in_(sorted(by_hash))
            )
        )
    )
    db.session.flush()  # the job's id, for its events
    now = utcnow()
    rows = []
    for hashed, stored in by_hash.items():
        if hashed in known:
            continue
        stored["recordTime"] = now.replace(tzinfo=dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        rows.append(values_for(org.id, stored, origin=Origin.SUPPLIER, record_time=now, capture_id=job.id))
    added = add_new(rows)
    EPCIS_CAPTURED.inc(added)
    return added


def job_json(job: EpcisCapture) -> dict:
    def stamp(moment: dt.datetime | None) -> str | None:
        return moment.replace(tzinfo=dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None

    answer = {
        "captureID": str(job.id),
        "createdAt": stamp(job.created_at),
        "running": job.finished_at is None,
        "success": job.state is CaptureState.SUCCEEDED,
        "captureErrorBehaviour": "rollback",
        "errors": job.errors or [],
        "eventsInDocument": job.events,
        "eventsStored": job.stored,
    }
    if job.finished_at:
        answer["finishedAt"] = stamp(job.finished_at)
    return answer
