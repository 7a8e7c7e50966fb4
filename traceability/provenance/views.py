"""The pages a QR code opens, at the GS1 Digital Link path. No login; public facts only.

The lot page is the same for everyone: cacheable, with ETag and Last-Modified, so a phone on a weak
connection that comes back gets a 304. A unit's page (``/21/{serial}``) counts the scan and shows
the counters, so it is never cached.
"""

from __future__ import annotations

import time

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

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import MAX_ID
from traceability.clock import local_today
from traceability.extensions import db
from traceability.gs1 import has_valid_check_digit
from traceability.labels.digital_link import NO_PRODUCT, label_uri
from traceability.lots.models import Lot, UnitSerial
from traceability.photos.models import Photo
from traceability.products.models import Product
from traceability.provenance import page_cache
from traceability.provenance.forms import PlaceForm
from traceability.provenance.services import as_json, find_lot, provenance, public_photo, schema_org
from traceability.scans import services as scans

bp = Blueprint("provenance", __name__)

MAX_LOT_CODE = 20  # GS1 AI 10 is X..20
MAX_SERIAL = 20  # GS1 AI 21 is X..20
PIP_LINK_TYPES = (None, "", "gs1:pip", "pip", "gs1:defaultLink", "defaultLink")


@bp.before_request
def remember_language():
    """A buyer switches language with a link (?lang=en); no account, so the session keeps it."""
    language = request.args.get("lang")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language


def not_found(lot: Lot | None = None, product: Product | None = None, *, serial: str | None = None):
    """The honest answer to a code we do not know, naming the producer when we know who it would be."""
    producer = None
    if lot is not None or product is not None:
        producer = db.session.get(Organisation, (lot or product).organisation_id)
    body = render_template("provenance/not_found.html", producer=producer, lot=lot, serial=serial)
    return body, 404, {"Cache-Control": "no-store"}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/ld+json"])
    return best in ("application/json", "application/ld+json")


def _linkset(lot: Lot) -> Response:
    """``?linkType=linkset``: what a GS1 resolver lists for this identifier (RFC 9264 linkset)."""
    anchor = label_uri(db.session.get(Organisation, lot.organisation_id), lot)
    response = jsonify(
        {
            "linkset": [
                {
                    "anchor": anchor,
                    "https://gs1.org/voc/pip": [
                        {
                            "href": anchor,
                            "title": lot.product.name_vi if lot.product else lot.label,
                            "hreflang": ["vi", "en"],
                            "type": "text/html",
                        }
                    ],
                }
            ]
        }
    )
    response.mimetype = "application/linkset+json"
    return response


def _render(lot: Lot, unit: UnitSerial | None, summary) -> tuple[Response, object]:
    p = provenance(lot)
    if _wants_json():
        response = jsonify(as_json(p, serial=unit.serial if unit else None, scans=summary))
    else:
        response = Response(
            render_template(
                "provenance/lot.html",
                p=p,
                unit=unit,
                scans=summary,
                place_form=PlaceForm() if unit else None,
                # From PUBLIC_BASE_URL, never the Host header: the page is cached.
                schema=schema_org(p, label_uri(p.organisation, lot)),
                lang_links={"vi": "?lang=vi", "en": "?lang=en"},
            )
        )
    response.vary.update(("Accept", "Cookie"))
    return response, p.last_modified


def _conditional(response: Response, last_modified) -> Response:
    # Phones on weak connections come back to the same label: keep it a few minutes, then revalidate.
    response.cache_control.public = True
    response.cache_control.max_age = 60  # short: a recall must reach a buyer who scans again
    response.last_modified = last_modified
    response.add_etag()
    return response.make_conditional(request)


def _lot_page(find, missing=not_found):
    """A lot's page (no serial): the same for every buyer, so served from the page cache when the
    organisation has recorded nothing since it was built (see ``page_cache``)."""
    link_type = request.args.get("linkType")
    if link_type not in PIP_LINK_TYPES:
        lot = find()
        if lot is None:
            return missing()
        if link_type in ("linkset", "all", "gs1:linkset"):
            return _linkset(lot)
        # A resolver answers an unknown link type with its default link: this page.
        return redirect(request.base_url, 307)
    max_age = current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]
    key = (request.path, g.lang, _wants_json())
    today = local_today()
    pages = current_app.extensions.setdefault("public_page_cache", page_cache.PageCache())
    # A page carrying a message for this visitor (a flash) is neither served from nor put in the cache.
    cacheable = bool(max_age) and not session.get("_flashes")
    cached = pages.get(key, max_age) if cacheable else None
    if cached is not None:
        fresh = time.monotonic() - cached.checked_at < current_app.config["PUBLIC_PAGE_RECHECK_SECONDS"]
        if not fresh and page_cache.organisation_version(cached.organisation_id, today) == cached.version:
            pages.checked(key, cached)
            fresh = True
        if fresh and cached.version[1] == today:
            response = Response(cached.body, mimetype=cached.mimetype)
            response.vary.update(("Accept", "Cookie"))
            return _conditional(response, cached.last_modified)
    lot = find()
    if lot is None:
        return missing()
    version = page_cache.organisation_version(lot.organisation_id, today)  # before reading: never newer than the page
    response, last_modified = _render(lot, None, None)
    if cacheable:
        now = time.monotonic()
        pages.put(
            key,
            page_cache.CachedPage(
                lot.organisation_id, version, response.get_data(), response.mimetype, last_modified, now, now
            ),
        )
    return _conditional(response, last_modified)


def _unit(lot: Lot | None, serial: str) -> UnitSerial | None:
    """The lot's unit with this serial as printed (serials are upper case; a phone may lower them)."""
    if lot is None:
        return None
    return db.session.scalar(
        sa.select(UnitSerial).where(UnitSerial.lot_id == lot.id, UnitSerial.serial == serial.upper())
    )


def _unit_page(lot: Lot | None, serial: str):
    """A unit's page counts the scan and shows the counters: built every time, never cached."""
    if lot is None:
        return not_found()
    unit = _unit(lot, serial)
    if unit is None:
        return not_found(lot, serial=serial)
    # HEAD (link previews, checkers) reads the page without counting as a buyer's scan.
    if request.method == "GET":
        scans.record_scan(unit, remote_addr=request.remote_addr, user_agent=request.user_agent.string)
    summary = scans.summaries([unit.id])[unit.id]
    response, _last_modified = _render(lot, unit, summary)
    response.headers["Cache-Control"] = "no-store"
    return response


def _lot_by_gtin(gtin: str, lot_code: str) -> tuple[Lot | None, Product | None]:
    if (
        len(lot_code) > MAX_LOT_CODE
        or len(gtin) != 14
        or not (gtin.isascii() and gtin.isdigit())
        or not has_valid_check_digit(gtin)
    ):
        return None, None
    lot = find_lot(None, lot_code, gtin=gtin)
    product = lot.product if lot else db.session.scalar(sa.select(Product).where(Product.gtin == gtin))
    return lot, product


def _lot_by_organisation(org_code: str, product_code: str, lot_code: str) -> Lot | None:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code[:40]))
    if org is None or len(lot_code) > MAX_LOT_CODE:
        return None
    lot = find_lot(org, lot_code)
    # The product segment must be the lot's, as printed: no other spelling reaches (or floods the cache).
    if lot is None or product_code != (lot.product.code if lot.product else NO_PRODUCT):
        return None
    return lot


@bp.get("/01/<gtin>/10/<lot_code>")
@bp.get("/01/<gtin>/10/<lot_code>/21/<serial>")
def by_gtin(gtin: str, lot_code: str, serial: str | None = None):
    if serial is None:
        return _lot_page(
            lambda: _lot_by_gtin(gtin, lot_code)[0], missing=lambda: not_found(None, _lot_by_gtin(gtin, lot_code)[1])
        )
    lot, product = _lot_by_gtin(gtin, lot_code)
    if lot is None or len(serial) > MAX_SERIAL:
        return not_found(None, product)
    return _unit_page(lot, serial)


@bp.get("/o/<org_code>/p/<product_code>/10/<lot_code>")
@bp.get("/o/<org_code>/p/<product_code>/10/<lot_code>/21/<serial>")
def by_organisation(org_code: str, product_code: str, lot_code: str, serial: str | None = None):
    if serial is None:
        return _lot_page(lambda: _lot_by_organisation(org_code, product_code, lot_code))
    if len(serial) > MAX_SERIAL:
        return not_found()
    return _unit_page(_lot_by_organisation(org_code, product_code, lot_code), serial)


def _place(lot: Lot | None, serial: str):
    unit = _unit(lot, serial)
    if unit is None:
        return not_found(lot, serial=serial)
    form = PlaceForm()
    if not form.validate_on_submit():
        flash(_("Choose the province where you bought it."), "error")
    elif scans.tell_place(unit, form.province.data, remote_addr=request.remote_addr):
        flash(_("Thank you: this helps the producer spot copied labels."), "success")
    else:
        flash(_("Open the page by scanning the label first, then choose a province."), "error")
    return redirect(request.base_url.rsplit("/", 1)[0], 303)


@bp.post("/01/<gtin>/10/<lot_code>/21/<serial>/place")
def place_by_gtin(gtin: str, lot_code: str, serial: str):
    return _place(_lot_by_gtin(gtin, lot_code)[0], serial)


@bp.post("/o/<org_code>/p/<product_code>/10/<lot_code>/21/<serial>/place")
def place_by_organisation(org_code: str, product_code: str, lot_code: str, serial: str):
    return _place(_lot_by_organisation(org_code, product_code, lot_code), serial)


@bp.get("/public/photos/<int:photo_id>.jpg")
def photo(photo_id: int):
    """A lot record's photo thumbnail, public because the lot's page shows it; nothing else is served."""
    found = public_photo(photo_id) if 0 < photo_id <= MAX_ID else None
    if found is None:
        abort(404)
    thumbnail = db.session.scalar(sa.select(Photo.thumbnail).where(Photo.id == found.id))
    response = Response(thumbnail, mimetype="image/jpeg")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.set_etag(found.sha256)
    return response.make_conditional(request)
