"""The answers of the resolver's levels: pages for people, JSON and linksets for machines.

Pages the same for every visitor (a lot's page, a product's page, a linkset) come from the
process's page cache while the organisation has recorded nothing since they were built
(``page_cache``); a unit's page is its lot's kept page with the unit filled in (``unit_pages``).
A page that walked up (a lot or serial not in the records) names the code the visitor holds, so
it is never cached.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from traceability.clock import local_today
from traceability.extensions import db
from traceability.lots.models import Lot, LotKind, LotStatus, Recall
from traceability.provenance import links, page_cache
from traceability.provenance.identifiers import Found, uri
from traceability.provenance.services import as_json, provenance, schema_org
from traceability.quality.certificates import valid_ocop
from traceability.scans.services import ScanSummary

LANG_LINKS = {"vi": "?lang=vi", "en": "?lang=en"}
LOTS_ON_SALE = 20  # the newest ones; a product page is not a catalogue


def wants(*kinds: str) -> str:
    """The representation asked for by ``Accept``: "html", "json" or "linkset" (HTML when unsure)."""
    offered = {"text/html": "html", "application/json": "json", "application/ld+json": "json"}
    offered[links.LINKSET_TYPE] = "linkset"
    best = request.accept_mimetypes.best_match(list(offered))
    kind = offered.get(best, "html")
    if kind == "linkset" and request.accept_mimetypes[links.LINKSET_TYPE] <= request.accept_mimetypes["text/html"]:
        kind = "html"  # "*/*" alone must not turn a browser's page into JSON
    return kind if kind in kinds else "html"


def not_found(found: Found | None = None, *, status: int = 404):
    """The honest answer to a code we do not know, naming the producer when we know who it would be."""
    body = render_template(
        "provenance/not_found.html", producer=found.organisation if found else None, invalid=status == 400
    )
    return body, status, {"Cache-Control": "no-store"}


def invalid():
    """A path that is not a valid code at all: 400, the same friendly page."""
    return not_found(status=400)


def no_such_link(found: Found, rel: str):
    """A link type this item does not have: 404, and the linkset says which it has."""
    return jsonify(error=_("This code has no link of the type %(type)s.", type=rel), linkset=links.linkset(found)), 404


def _finish(response: Response, last_modified) -> Response:
    response.vary.update(("Accept", "Accept-Language", "Cookie"))
    # Phones on weak connections come back to the same label: keep it a minute, then revalidate.
    response.cache_control.public = True
    response.cache_control.max_age = 60  # short: a recall must reach a buyer who scans again
    response.last_modified = last_modified
    response.add_etag()
    return response.make_conditional(request)


def shared(kind: str, find: Callable[[], Found | None], build: Callable[[Found], tuple[Response, object]]) -> Response:
    """A page the same for every visitor: from the cache when its organisation's records have not
    changed, else ``build(find())``."""
    key = (request.path.rstrip("/"), g.lang, kind)
    cached = page_cache.fresh(key)
    if cached is not None:
        return _finish(Response(cached.body, mimetype=cached.mimetype), cached.last_modified)
    found = find()
    if found is None:
        return not_found()
    if found.missing:
        response, _last_modified = build(found)
        response.headers["Cache-Control"] = "no-store"
        return response
    version = page_cache.organisation_version(found.organisation.id, local_today())  # before reading: never newer
    keepable = page_cache.keepable()
    response, last_modified = build(found)
    if keepable:
        page_cache.keep(key, found.organisation.id, version, response.get_data(), response.mimetype, last_modified)
    return _finish(response, last_modified)


def lot_page(found: Found) -> tuple[Response, object]:
    """The lot's page (or, walking up from a serial never printed, the lot's page with that warning)."""
    return lot_html(found, slot=lambda name: "")


def lot_html(found: Found, slot: Callable[[str], str]) -> tuple[Response, object]:
    p = provenance(found.lot)
    body = render_template(
        "provenance/lot.html",
        p=p,
        slot=lambda name: Markup(slot(name)),
        missing_serial=found.asked.serial if found.missing == "serial" else None,
        # From PUBLIC_BASE_URL, never the Host header: the page is cached.
        schema=schema_org(p, uri(found, "lot")),
        lang_links=LANG_LINKS,
    )
    return Response(body), p.last_modified


def lot_json(found: Found, summary: ScanSummary | None = None) -> tuple[Response, object]:
    """The same public facts for machines (``Accept: application/json``, ``gs1:traceability``)."""
    p = provenance(found.lot)
    return jsonify(as_json(p, serial=found.unit.serial if found.unit else None, scans=summary)), p.last_modified


def product_page(found: Found) -> tuple[Response, object]:
    """The product level: producer, OCOP stars while valid, the lots on sale now; and, when the
    visitor's code named a lot or serial that is not in the records, that warning first."""
    product = found.product
    on_sale = _lots_on_sale(found)
    ocop = valid_ocop(found.organisation.id, product.id)
    if wants("html", "json") == "json":
        return jsonify(_product_json(found, on_sale, ocop)), None
    body = render_template(
        "provenance/product.html",
        found=found,
        product=product,
        producer=found.organisation,
        ocop=ocop,
        lots=[(lot, links_uri(found, lot)) for lot in on_sale],
        lang_links=LANG_LINKS,
    )
    return Response(body), None


def links_uri(found: Found, lot: Lot) -> str:
    return uri(Found(found.asked, found.organisation, found.product, lot), "lot")


def _lots_on_sale(found: Found) -> list[Lot]:
    """Sale lots of the product with something left, not recalled and not past their date."""
    today = local_today()
    return list(
        db.session.scalars(
            sa.select(Lot)
            .where(
                Lot.organisation_id == found.organisation.id,
                Lot.product_id == found.product.id,
                Lot.kind == LotKind.SALE,
                Lot.status == LotStatus.ACTIVE,
                Lot.remaining_quantity > 0,
                sa.or_(Lot.expires_on.is_(None), Lot.expires_on >= today),
            )
            .order_by(Lot.produced_on.desc(), Lot.id.desc())
            .limit(LOTS_ON_SALE)
        )
    )


def _product_json(found: Found, on_sale: list[Lot], ocop) -> dict:
    product, org = found.product, found.organisation
    return {
        "product": {"name": product.name_vi, "name_en": product.name_en, "gtin": product.gtin},
        "producer": {"name": org.name, "village": org.village, "commune": org.commune, "province": org.province},
        "ocop": [{"stars": c.stars, "number": c.number, "valid_to": c.valid_to.isoformat()} for c in ocop],
        "lots_on_sale": [{"code": lot.code, "uri": links_uri(found, lot)} for lot in on_sale],
        "asked": {"missing": found.missing, "lot": found.asked.lot, "serial": found.asked.serial},
    }


def served(found: Found, rel: str) -> Response:
    """The link types the resolver answers itself, as JSON from the records."""
    if rel == "recallStatus":
        lot = found.lot
        recall = db.session.get(Recall, lot.recall_id) if lot.recall_id else None
        data = {"lot": lot.code, "recalled": lot.status == LotStatus.RECALLED}
        data["since"] = recall.opened_on.isoformat() if data["recalled"] and recall else None
        response = jsonify(data)
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
    if rel == "traceability":
        response, _last_modified = lot_json(found)
        return response
    # certificationInfo: what the lot's or the product's page shows, valid today
    ocop = valid_ocop(found.organisation.id, found.product.id) if found.product else []
    certificates = links.valid_certificates(found.lot) if found.level != "product" else []
    return jsonify(
        ocop=[{"stars": c.stars, "number": c.number, "valid_to": c.valid_to.isoformat()} for c in ocop],
        certificates=[
            {"kind": c.kind.value, "number": c.number, "issuer": c.issuer, "valid_to": c.valid_to.isoformat()}
            for c in certificates
        ],
    )


def linkset(found: Found) -> tuple[Response, object]:
    response = jsonify(links.linkset(found))
    response.mimetype = links.LINKSET_TYPE
    return response, None
