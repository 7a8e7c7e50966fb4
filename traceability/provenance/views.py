"""The resolver: what a QR code's URI answers, to a buyer's phone and to any GS1 client. No login.

Every path under ``/01/`` (GS1 Digital Link) and ``/o/`` (the organisation's own stem) comes here
and is parsed by the module that builds what labels print (``identifiers.parse``): a path it
refuses is 400. A valid path resolves to the most specific level in the records, walking up
(``identifiers.find``), then to what was asked of it:

- nothing in particular: the level's default link, its public page, served here (200);
- ``?linkType=linkset`` (or ``all``), or ``Accept: application/linkset+json``: the linkset (200);
- ``?linkType=gs1:…``: that link, served here when it is this level's own JSON, else a 307 to it
  with the query string passed on; 404 when the item has no such link.

GET, HEAD and OPTIONS, CORS for any origin, and ``Link: …; rel="linkset"`` on every answer. The
conformance rules are in ``docs`` (``gs1-resolver`` section of the README) and in the tests.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from werkzeug.routing import PathConverter

from traceability import blobs, replica
from traceability.database import MAX_ID
from traceability.extensions import db
from traceability.labels.digital_link import DigitalLinkError
from traceability.photos.models import Photo
from traceability.provenance import identifiers, links, pages, unit_pages
from traceability.provenance.forms import PlaceForm
from traceability.provenance.services import public_photo
from traceability.scans import counters, recorder, visitors
from traceability.scans import services as scans

bp = Blueprint("provenance", __name__)
RESOLVER_METHODS = ["GET", "HEAD", "OPTIONS"]
# GS1's linksetContext.jsonld, unmodified, from github.com/gs1/linkset at commit 571bb7d3 (Apache-2.0).
CONTEXT_FILE = Path(__file__).parent / "linkset-context.jsonld"


class AnyPath(PathConverter):
    """Everything after the stem, even empty or with doubled slashes: the parser judges it, not the router."""

    regex = ".*"
    part_isolating = False  # werkzeug guesses from the regex, which has no "/"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("anypath", AnyPath))


@bp.before_request
def remember_language():
    """A buyer switches language with a link (?lang=en); no account, so the session keeps it."""
    language = request.args.get("lang")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language


def _as_sent() -> tuple[str, str]:
    """Path and query exactly as the client sent them, before the server decoded any %XX."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is None:
        return quote(request.path), request.query_string.decode("latin-1")
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        return parts.path, parts.query
    path, _sep, query = raw.partition("?")
    return path, query.partition("#")[0]


@bp.route("/01/<anypath:rest>", methods=RESOLVER_METHODS, merge_slashes=False)
@bp.route("/o/<anypath:rest>", methods=RESOLVER_METHODS, merge_slashes=False)
@replica.reads
def resolve(rest: str):
    if request.method == "OPTIONS":
        return _preflight()
    path, query = _as_sent()
    if len(path) + len(query) > identifiers.MAX_REQUEST_URI:
        abort(414)
    try:
        asked = identifiers.parse(path, query)
    except DigitalLinkError:
        return pages.invalid()
    rel = links.link_type(request.args.get("linkType"))
    kind = pages.wants("html", "json", "linkset")
    if rel in links.LINKSET_WORDS or (rel is None and kind == "linkset"):
        return _linkset(pages.shared("linkset", lambda: identifiers.find(asked), pages.linkset))
    kind = "html" if kind == "linkset" else kind
    if rel in (None, "defaultLink"):
        return _default(asked, kind)
    found = identifiers.find(asked)
    if found is None:
        return pages.not_found()
    chosen = links.select(found, rel)
    if chosen is None:
        return pages.no_such_link(found, rel)
    level, link = chosen
    if level == found.level and rel in links.SERVED:
        return pages.served(found, rel)
    if level == found.level:
        return _default(asked, kind)  # this level's own page under another name (a product's gs1:pip)
    return redirect(_passing_query(link.href), 307)


def _default(asked: identifiers.Asked, kind: str):
    """The public page of the level asked for (or walked up to), as ``kind`` ("html" or "json")."""
    if asked.serial is None and not asked.unkept:
        if asked.lot is None:
            return pages.shared(kind, lambda: identifiers.find(asked), pages.product_page)
        build = pages.lot_json if kind == "json" else pages.lot_page
        return pages.shared(kind, lambda: identifiers.find(asked), lambda f: _lot_or_product(f, build))
    ref, found, groups = unit_pages.named(asked)
    if ref is not None:
        return _unit_page(asked, ref, found, groups, kind)
    if found is None:
        return pages.not_found()
    response, _last_modified = pages.product_page(found) if found.level == "product" else pages.lot_page(found)
    response.headers["Cache-Control"] = "no-store"  # it names the code the visitor holds
    return response


def _lot_or_product(found: identifiers.Found, build):
    return build(found) if found.lot is not None else pages.product_page(found)


def _unit_page(asked: identifiers.Asked, ref: unit_pages.UnitRef, found: identifiers.Found | None, groups, kind: str):
    """A unit's page counts the scan (a person's only) and shows the counters: filled in every time."""
    reason = visitors.why_not_a_person(request.method, request.headers, request.args, wants_html=kind == "html")
    scan = None
    if reason is None:
        scan = scans.scan_of(
            ref.organisation_id, ref.id, remote_addr=request.remote_addr, user_agent=request.user_agent.string
        )
        recorder.recorder().submit(scan)  # written a moment later, beside this request
    summary = counters.shown(ref.id, scan, groups=groups)
    if kind == "json":
        response = unit_pages.json(asked, found, summary)
    else:
        response = unit_pages.html(asked, ref, found, summary)
    response.headers["Cache-Control"] = "no-store"
    response.vary.update(("Accept", "Accept-Language", "Cookie"))
    return response


def _passing_query(href: str) -> str:
    """The target, with the request's query string (but its linkType) passed on."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "linkType"]
    if not kept:
        return href
    return href + ("&" if "?" in href else "?") + urlencode(kept)


def _linkset(response: Response) -> Response:
    context = current_app.config["PUBLIC_BASE_URL"] + links.CONTEXT_PATH
    response.headers.add("Link", f'<{context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"')
    return response


def _preflight() -> Response:
    response = Response(status=204)
    response.headers["Allow"] = ", ".join(RESOLVER_METHODS)
    response.headers["Access-Control-Allow-Methods"] = ", ".join(RESOLVER_METHODS)
    asked = request.headers.get("Access-Control-Request-Headers")
    response.headers["Access-Control-Allow-Headers"] = (
        asked or "Accept, Accept-Language, If-None-Match, If-Modified-Since"
    )
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.after_request
def resolver_headers(response: Response) -> Response:
    """CORS for any origin on what the resolver answers, and the linkset's address on every answer."""
    if request.endpoint not in ("provenance.resolve", "provenance.description", "provenance.linkset_context"):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Link, Location, Content-Type, ETag, Last-Modified"
    if request.endpoint == "provenance.resolve" and response.status_code != 400:
        path, _query = _as_sent()
        anchor = current_app.config["PUBLIC_BASE_URL"] + (path.rstrip("/") or path)
        response.headers.add("Link", f'<{anchor}?linkType=linkset>; rel="linkset"; type="{links.LINKSET_TYPE}"')
    return response


@bp.get("/.well-known/gs1resolver")
def description():
    response = jsonify(links.description())
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get(links.CONTEXT_PATH)
def linkset_context():
    """GS1's JSON-LD context for linksets, served from here so a client needs no other host."""
    response = Response(_context(), mimetype="application/ld+json")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@functools.cache
def _context() -> bytes:
    return CONTEXT_FILE.read_bytes()


def _place(rest: str):
    """ "Where did you buy it?": a page of its own (GET), and the buyer's answer (POST)."""
    path, query = _as_sent()
    try:
        asked = identifiers.parse(path.removesuffix("/place"), query)
    except DigitalLinkError:
        return pages.invalid()
    found = identifiers.find(asked)
    if found is None or found.unit is None:
        return pages.not_found(found)
    form = PlaceForm()
    unit_path = urlsplit(identifiers.uri(found, "unit")).path
    if request.method == "GET":
        return (
            render_template(
                "provenance/place.html",
                found=found,
                form=form,
                product_name=found.product.name(g.lang) if found.product else found.lot.label,
                place_url=f"{unit_path}/place",
                back_url=unit_path,
            ),
            200,
            {"Cache-Control": "no-store"},
        )
    recorder.recorder().flush()  # the scan the buyer just made may still be in the spool
    if not form.validate_on_submit():
        flash(_("Choose the province where you bought it."), "error")
    elif scans.tell_place(found.unit, form.province.data, remote_addr=request.remote_addr):
        counters.forget(found.unit.id)  # the place shows on the page the buyer is sent back to
        flash(_("Thank you: this helps the producer spot copied labels."), "success")
    else:
        flash(_("Open the page by scanning the label first, then choose a province."), "error")
    return redirect(unit_path, 303)


@bp.route("/01/<anypath:rest>/place", methods=["GET", "POST"], merge_slashes=False)
def place_by_gtin(rest: str):
    return _place(rest)


@bp.route("/o/<anypath:rest>/place", methods=["GET", "POST"], merge_slashes=False)
def place_by_organisation(rest: str):
    return _place(rest)


@bp.get("/public/photos/<int:photo_id>.jpg")
@replica.reads
def photo(photo_id: int):
    """A lot record's photo thumbnail, public because the lot's page shows it; nothing else is served."""
    found = public_photo(photo_id) if 0 < photo_id <= MAX_ID else None
    if found is None:
        abort(404)
    thumbnail, key = db.session.execute(
        sa.select(Photo.thumbnail, Photo.thumbnail_key).where(Photo.id == found.id)
    ).one()
    response = Response(blobs.load(thumbnail, key), mimetype="image/jpeg")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.set_etag(found.sha256)
    return response.make_conditional(request)
