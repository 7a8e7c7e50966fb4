"""EPCIS 2.0 REST bindings under ``/epcis`` (GS1's ``openapi.yaml``), for the operations a partner needs:
discovery (``OPTIONS``), ``GET /events`` with the standard filters and paging, one event by its ID, the event
types, and ``POST /capture`` with its capture jobs.

A token (``Authorization: Bearer``) reads its organisation's events, our own and those captured from
suppliers. Without one, only what organisations chose to share (``EpcisSharing``) is served. Errors are RFC
7807 problems with GS1's exception types; nothing here answers 500 on a partner's input.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from traceability import replica
from traceability.accounts.policy import Write, may_write
from traceability.accounts.tenancy import of_org
from traceability.accounts.tokens import authenticate
from traceability.epcis import capture as capturing
from traceability.epcis import query
from traceability.epcis.documents import context
from traceability.epcis.export import document_of
from traceability.epcis.hashing import document_events
from traceability.epcis.models import EpcisCapture
from traceability.extensions import csrf, db

bp = Blueprint("epcis", __name__, url_prefix="/epcis")
csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged cross-site request to ride on

VERSION = "2.0.0"
DISCOVERY = {
    "GS1-EPCIS-Version": VERSION,
    "GS1-EPCIS-Min": VERSION,
    "GS1-EPCIS-Max": VERSION,
    "GS1-CBV-Version": VERSION,
    "GS1-CBV-Min": VERSION,
    "GS1-CBV-Max": VERSION,
    "GS1-EPC-Format": "Always_GS1_Digital_Link",
    "GS1-Vendor-Version": "traceability-0.1",
    "GS1-EPCIS-Capture-Limit": str(capturing.CAPTURE_LIMIT),
    "GS1-EPCIS-Capture-File-Size-Limit": str(capturing.FILE_SIZE_LIMIT),
    "GS1-Capture-Error-Behaviour": "rollback",
}
JSON_TYPES = ("application/json", "application/ld+json")


def problem(status: int, kind: str, title: str, headers: dict | None = None, **members) -> Response:
    """An RFC 7807 problem of GS1's exception ``kind``; ``members`` add to it (the parameter at fault)."""
    body = {"type": f"epcisException:{kind}", "title": title, "status": status, **members}
    return Response(json.dumps(body, ensure_ascii=False), status, headers or {}, mimetype="application/problem+json")


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, headers or {}, mimetype="application/json")


def _version(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() and len(p) < 6 for p in parts) else None


@bp.before_request
def identify_caller():
    g.epcis_token = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token, role = authenticate(header[7:].strip()) or (None, None)
        if role is None:
            return problem(401, "SecurityException", _("Send a valid API token: Authorization: Bearer …"))
        g.epcis_token, g.epcis_role = token, role
    g.epcis_scope = query.Scope(g.epcis_token.organisation_id if g.epcis_token else None)
    return _negotiate()


def _negotiate():
    """A client that needs another EPCIS or CBV version, or another format than JSON, is told so (406)."""
    ours = _version(VERSION)
    for name in ("GS1-EPCIS-Min", "GS1-CBV-Min", "GS1-EPCIS-Max", "GS1-CBV-Max"):
        if name in request.headers:
            asked = _version(request.headers[name])
            if asked is None or (name.endswith("Min") and asked > ours) or (name.endswith("Max") and asked < ours):
                return problem(
                    406, "NotAcceptableException", _("This repository speaks EPCIS and CBV %(v)s only.", v=VERSION)
                )
    if request.headers.get("GS1-EPC-Format", "No_Preference") not in ("No_Preference", "Always_GS1_Digital_Link"):
        return problem(406, "NotAcceptableException", _("Identifiers are served as GS1 Digital Link URIs only."))
    accepted = request.accept_mimetypes
    if (
        request.method == "GET"
        and accepted
        and not any(accepted.quality(t) for t in (*JSON_TYPES, "application/problem+json"))
    ):
        return problem(406, "NotAcceptableException", _("Events are served as JSON-LD (application/json)."))
    return None


@bp.after_request
def gs1_headers(response: Response) -> Response:
    for name, value in DISCOVERY.items():
        response.headers.setdefault(name, value)
    return response


def _options(allow: str) -> Response:
    response = Response(status=204, headers={"Allow": allow})
    del response.headers["Content-Type"]  # no body
    return response


@bp.route("", methods=["OPTIONS"], provide_automatic_options=False)
@bp.route("/", methods=["OPTIONS"], provide_automatic_options=False)
def discovery():
    return _options("OPTIONS, GET")


@bp.get("")
@bp.get("/")
def top_level():
    return answer({"@context": context(), "type": "Collection", "member": ["events", "eventTypes", "capture"]})


@bp.route("/events", methods=["OPTIONS"], provide_automatic_options=False)
@bp.route("/eventTypes", methods=["OPTIONS"], provide_automatic_options=False)
@bp.route("/events/<path:event_id>", methods=["OPTIONS"], provide_automatic_options=False)
@bp.route("/capture/<capture_id>", methods=["OPTIONS"], provide_automatic_options=False)
def read_options(**_ids):
    return _options("OPTIONS, GET")


@bp.route("/capture", methods=["OPTIONS"], provide_automatic_options=False)
def capture_options():
    return _options("OPTIONS, POST, GET")


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Whatever the app refuses under /epcis (an id past its range, a control character in a path) is refused
    in GS1's problem shape too, not the web pages' or the JSON API's."""
    if exc.code == 404:
        return problem(404, "NoSuchResourceException", _("There is no such resource here."))
    return problem(exc.code or 500, "ImplementationException", exc.description or exc.name)


@bp.errorhandler(query.QueryError)
def query_error(exc: query.QueryError):
    return problem(400, "QueryParameterException", exc.message, parameter=exc.parameter)


def _query_document(events: list[dict]) -> dict:
    document = document_of(events)
    document["type"] = "EPCISQueryDocument"
    document["epcisBody"] = {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": document["epcisBody"]}}
    return document


@bp.get("/events")
@replica.reads
def events():
    parsed = query.parse(request.args)
    rows, more = query.run(g.epcis_scope, parsed)
    headers = {}
    if more:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "nextPageToken"]
        token = query.page_token(rows[-1], parsed, request.args)
        link = url_for(".events", _external=True) + "?" + urlencode([*args, ("nextPageToken", token)])
        headers["Link"] = f'<{link}>; rel="next"'
    return answer(_query_document([r.document for r in rows]), headers=headers)


@bp.get("/events/<path:event_id>")
@replica.reads
def event(event_id: str):
    found = query.one(g.epcis_scope, event_id)
    if found is None and request.query_string and not event_id.endswith("?ver=CBV2.0"):
        # An event hash sent with its "?ver=CBV2.0" unencoded arrives as a query string: it is still its ID.
        found = query.one(g.epcis_scope, f"{event_id}?{request.query_string.decode('latin-1')}")
    if found is None:
        return problem(404, "NoSuchResourceException", _("There is no event with this eventID here."))
    return answer(_query_document([found.document]))


@bp.get("/eventTypes")
@replica.reads
def event_types():
    return answer({"@context": context(), "type": "Collection", "member": query.event_types(g.epcis_scope)})


def _writer():
    if g.epcis_token is None:
        return problem(401, "SecurityException", _("Send a valid API token: Authorization: Bearer …"))
    if not may_write(g.epcis_role, Write.TRADE):
        return problem(403, "SecurityException", _("Your role does not allow this."))
    return None


@bp.post("/capture")
def capture():
    refused = _writer()
    if refused:
        return refused
    limits = {k: DISCOVERY[k] for k in ("GS1-EPCIS-Capture-Limit", "GS1-EPCIS-Capture-File-Size-Limit")}
    if (request.content_length or 0) > capturing.FILE_SIZE_LIMIT:
        return problem(
            413,
            "CaptureLimitExceededException",
            _("The document is larger than %(n)s bytes.", n=capturing.FILE_SIZE_LIMIT),
            headers=limits,
        )
    if request.headers.get("GS1-Capture-Error-Behaviour", "rollback") != "rollback":
        # All or nothing only: a supplier's history half stored would tell a lot's story with gaps.
        return problem(
            400, "ValidationException", _("This repository captures a document whole or not at all (rollback).")
        )
    if request.mimetype not in JSON_TYPES:
        return problem(
            415, "UnsupportedMediaTypeException", _("Send the document as application/json or application/ld+json.")
        )
    body = request.get_data(cache=False)
    if len(body) > capturing.FILE_SIZE_LIMIT:  # sent without a length (chunked): measured as read
        return problem(
            413,
            "CaptureLimitExceededException",
            _("The document is larger than %(n)s bytes.", n=capturing.FILE_SIZE_LIMIT),
            headers=limits,
        )
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return problem(400, "ValidationException", _("The body is not valid JSON (UTF-8)."))
    refused = capturing.unreadable(document)
    if refused:
        return problem(400, "ValidationException", refused)
    events = document_events(document) if isinstance(document, dict) else []
    if len(events) > capturing.CAPTURE_LIMIT:
        return problem(
            413,
            "CaptureLimitExceededException",
            _("A document may hold at most %(n)s events; send the rest in another.", n=capturing.CAPTURE_LIMIT),
            headers=limits,
        )
    job = capturing.capture(g.epcis_token.organisation, g.epcis_token, document)
    return Response(status=202, headers={"Location": url_for(".capture_job", capture_id=job.id)})


@bp.get("/capture")
def capture_jobs():
    refused = _writer()
    if refused:
        return refused
    jobs = db.session.scalars(
        db.select(EpcisCapture)
        .where(of_org(EpcisCapture, g.epcis_token.organisation_id))
        .order_by(EpcisCapture.id.desc())
        .limit(query.PER_PAGE)
    )
    return answer({"captureJobs": [capturing.job_json(j) for j in jobs]})


@bp.get("/capture/<capture_id>")
def capture_job(capture_id: str):
    refused = _writer()
    if refused:
        return refused
    job = None
    if capture_id.isdigit() and int(capture_id) < 2**31:
        job = db.session.scalar(
            db.select(EpcisCapture).where(
                EpcisCapture.id == int(capture_id), of_org(EpcisCapture, g.epcis_token.organisation_id)
            )
        )
    if job is None:
        return problem(404, "NoSuchResourceException", _("There is no capture job %(id)s here.", id=capture_id))
    return answer(capturing.job_json(job))
