"""The EPCIS 2.0 events query (``GET /epcis/events``): the standard's parameters that matter to a cooperative's
partners, read into one SQL query over the stored events, a page at a time in the order they were stored.

A page ends at the last event it holds, and the next page starts after it (keyset paging): every event is
returned once, and no page costs more than the first. Events come in the order they were stored; a query over
a span of time comes in that time's order (record time when it names one, else event time), read along the
time index: a day of a year's events is a short range, not the whole year tested event by event. An event
stored while a partner pages through is found on a later page in stored or record-time order; in event-time
order, where its time puts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from traceability.accounts.tenancy import of_org
from traceability.epcis.canonical import canonical_identifier
from traceability.epcis.models import EpcisEvent, EpcisIdentifier, EpcisSharing, PublicEvents
from traceability.epcis.store import biz_step_of
from traceability.extensions import db

PER_PAGE = 30  # the standard's default
MAX_VALUE = 4000  # characters in one parameter: a few dozen identifiers
MAX_PER_PAGE = 1000  # announced in the README: a larger perPage is served 1,000 at a time
EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent")

# MATCH_* parameter → the fields of an event it looks in (EPCIS 2.0 §8.2.7.1).
MATCHES = {
    "MATCH_epc": ("epcList", "childEPCs"),
    "MATCH_parentID": ("parentID",),
    "MATCH_inputEPC": ("inputEPCList",),
    "MATCH_outputEPC": ("outputEPCList",),
    "MATCH_anyEPC": ("epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID"),
    "MATCH_epcClass": ("quantityList", "childQuantityList"),
    "MATCH_inputEPCClass": ("inputQuantityList",),
    "MATCH_outputEPCClass": ("outputQuantityList",),
    "MATCH_anyEPCClass": ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"),
}
TIMES = {
    "GE_eventTime": (EpcisEvent.event_time, "ge"),
    "LT_eventTime": (EpcisEvent.event_time, "lt"),
    "GE_recordTime": (EpcisEvent.record_time, "ge"),
    "LT_recordTime": (EpcisEvent.record_time, "lt"),
}
LISTS = ("eventType", "EQ_bizStep", "EQ_bizLocation", "EQ_eventID")
PAGING = ("perPage", "nextPageToken")
KNOWN = frozenset((*MATCHES, *TIMES, *LISTS, *PAGING))


class QueryError(Exception):
    """A parameter the query cannot run with: 400, ``QueryParameterException``, the parameter named."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter, self.message = parameter, message


@dataclass
class Scope:
    """Whose events a caller may read: one organisation's with its token, or everyone's public ones."""

    organisation_id: int | None  # None: no token, public events only


@dataclass
class Query:
    per_page: int = PER_PAGE
    after: int = 0
    after_time: dt.datetime | None = None  # the last event's time, when the order is by a time
    order: str = "id"  # "id", "event_time" or "record_time"
    conditions: list = field(default_factory=list)
    matches: list[tuple[str, list[str]]] = field(default_factory=list)  # (MATCH_… parameter, its values)


def _values(args, name: str) -> list[str]:
    """A pipe-delimited list (the standard's form), also accepted as repeated parameters."""
    values = [v for raw in args.getlist(name) for v in raw.split("|")]
    if not values or any(v == "" for v in values):
        raise QueryError(name, _("%(name)s needs at least one value, separated by |.", name=name))
    return values


def _time(name: str, raw: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw.strip().replace(" ", "+"))  # a + sent unencoded arrives as a space
    except ValueError:
        raise QueryError(
            name, _("%(name)s is not a date and time (RFC 3339), e.g. 2026-06-12T08:00:00+07:00.", name=name)
        ) from None
    if moment.tzinfo is None:
        raise QueryError(name, _("%(name)s needs a time zone, e.g. 2026-06-12T08:00:00+07:00.", name=name))
    try:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:  # year 1 or 9999 with an offset that takes it past the calendar
        raise QueryError(name, _("%(name)s is outside the years this repository holds.", name=name)) from None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="epcis-next-page")


def page_token(last: EpcisEvent, query: Query, args) -> str:
    moment = getattr(last, query.order).isoformat() if query.order != "id" else None
    return _serializer().dumps([last.id, moment, _fingerprint(args)])


def _fingerprint(args) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(args.items(multi=True)) if k not in PAGING)


def _identifier_condition(name: str, values: list[str], organisations):
    """Events naming one of ``values`` in the fields ``name`` looks in. The identifiers are looked up in the
    organisations ``scope`` reads (a constant, not the outer row's): one index range per value, then the events."""
    exact, prefixes = set(), set()
    for value in values:
        canonical = canonical_identifier(value)
        if value.startswith("urn:epc:idpat:") and canonical:
            prefixes.add(canonical)  # a pattern: every identifier under it
        exact.add(canonical or value)
    named = sa.or_(
        EpcisIdentifier.value.in_(sorted(exact | prefixes)),
        *(EpcisIdentifier.value.startswith(f"{p}/", autoescape=True) for p in sorted(prefixes)),
    )
    return EpcisEvent.id.in_(
        sa.select(EpcisIdentifier.epcis_event_id).where(
            organisations(EpcisIdentifier), EpcisIdentifier.field.in_(MATCHES[name]), named
        )
    )


def parse(args) -> Query:
    """The query ``args`` (a request's) ask for; ``QueryError`` names the first parameter that cannot run."""
    unknown = sorted(set(args) - KNOWN)
    if unknown:
        raise QueryError(
            unknown[0],
            _("This repository does not support the parameter %(name)s. It supports: %(known)s.", name=unknown[0],
              known=", ".join(sorted(KNOWN))),
        )  # fmt: skip
    for name, value in args.items(multi=True):
        if not value.isprintable() or len(value) > MAX_VALUE:
            raise QueryError(
                name,
                _("%(name)s holds a control character or is longer than %(n)s characters.", name=name, n=MAX_VALUE),
            )
    query = Query()
    if "perPage" in args:
        raw = args["perPage"]
        if not raw.isdigit() or int(raw) < 1:
            raise QueryError("perPage", _("perPage is a whole number of events, 1 or more."))
        query.per_page = min(int(raw), MAX_PER_PAGE)
    if "nextPageToken" in args:
        try:
            after, moment, fingerprint = _serializer().loads(args["nextPageToken"])
            query.after_time = dt.datetime.fromisoformat(moment) if moment else None
        except (BadSignature, ValueError, TypeError):
            raise QueryError("nextPageToken", _("This nextPageToken is not one this repository gave.")) from None
        if fingerprint != _fingerprint(args) or not isinstance(after, int):
            raise QueryError("nextPageToken", _("This nextPageToken belongs to a query with other parameters."))
        query.after = after
    for name, (column, op) in TIMES.items():
        if name in args:
            moment = _time(name, args[name])
            query.conditions.append(column >= moment if op == "ge" else column < moment)
            if query.order != "record_time":
                query.order = column.key
    if "eventType" in args:
        query.conditions.append(EpcisEvent.event_type.in_(_values(args, "eventType")))
    if "EQ_bizStep" in args:
        query.conditions.append(EpcisEvent.biz_step.in_([biz_step_of(v) for v in _values(args, "EQ_bizStep")]))
    if "EQ_bizLocation" in args:
        locations = [canonical_identifier(v) or v for v in _values(args, "EQ_bizLocation")]
        query.conditions.append(EpcisEvent.biz_location.in_(locations))
    if "EQ_eventID" in args:
        query.conditions.append(EpcisEvent.event_hash.in_(_values(args, "EQ_eventID")))
    query.matches = [(name, _values(args, name)) for name in MATCHES if name in args]
    return query


def _organisations(scope: Scope):
    """A condition on any model with ``organisation_id``: the organisations whose events ``scope`` reads."""
    if scope.organisation_id is not None:
        return lambda model: of_org(model, scope.organisation_id)
    sharing = sa.select(EpcisSharing.organisation_id).where(EpcisSharing.public == PublicEvents.LOTS)
    return lambda model: model.organisation_id.in_(sharing)


def visible(scope: Scope):
    """The condition on ``EpcisEvent`` for what ``scope`` may read."""
    condition = _organisations(scope)(EpcisEvent)
    return condition if scope.organisation_id is not None else sa.and_(condition, EpcisEvent.public.is_(True))


def run(scope: Scope, query: Query) -> tuple[list[EpcisEvent], bool]:
    """One page of events and whether another follows."""
    organisations = _organisations(scope)
    matching = [_identifier_condition(name, values, organisations) for name, values in query.matches]
    if query.order == "id":
        order, after = (EpcisEvent.id,), EpcisEvent.id > query.after
    else:
        # In stored order the databases would walk every event and test each one's time (a day of a year: 1/365
        # of them match), not knowing that ids and times rise together; by the time, the index holds the span.
        column = getattr(EpcisEvent, query.order)
        order = (column, EpcisEvent.id)
        after = (
            sa.tuple_(column, EpcisEvent.id) > sa.tuple_(query.after_time, query.after)
            if query.after_time
            else sa.true()
        )
    rows = list(
        db.session.scalars(
            sa.select(EpcisEvent)
            .where(visible(scope), after, *query.conditions, *matching)
            .order_by(*order)
            .limit(query.per_page + 1)
        )
    )
    return rows[: query.per_page], len(rows) > query.per_page


def one(scope: Scope, event_id: str) -> EpcisEvent | None:
    return db.session.scalars(
        sa.select(EpcisEvent).where(visible(scope), EpcisEvent.event_hash == event_id).order_by(EpcisEvent.id).limit(1)
    ).first()


def event_types(scope: Scope) -> list[str]:
    present = db.session.scalars(sa.select(EpcisEvent.event_type).where(visible(scope)).distinct()).all()
    return sorted(set(EVENT_TYPES) | set(present))
