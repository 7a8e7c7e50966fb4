"""A unit's page for a crowd of buyers: its lot's kept page, with the unit's own parts filled in.

A printed code names one unit for good, so which organisation, lot and unit a code names is kept per
process (``traceability.memory``) for ``PUBLIC_PAGE_CACHE_SECONDS``, the bound every kept public page
has for changes made outside the event log (a product's GTIN). The lot's page is kept with the
unit's parts as slots (``page_cache``), and the unit's counters come from ``scans.counters``. A
buyer's scan of a unit whose lot's page is kept thus costs no query: the scan is appended to the
process's spool (``scans.recorder``) and the page is the kept one with a small card filled in.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, g, request
from markupsafe import escape

from traceability import memory
from traceability.clock import local_today
from traceability.i18n import format_date
from traceability.provenance import identifiers, page_cache, pages
from traceability.provenance.identifiers import Asked, Found
from traceability.scans.services import ScanSummary

SIZE = 20_000  # codes per process
PLACE_URL = "__UNIT_PLACE_URL__"  # in a kept page: the unit's own path, filled per scan


@dataclass(frozen=True)
class UnitRef:
    """What a unit's page needs of the unit once its lot's page is kept: no database objects."""

    id: int
    organisation_id: int
    lot_id: int
    serial: str
    stored_at: float


def _refs() -> memory.Kept[UnitRef]:
    return current_app.extensions.setdefault("unit_refs", memory.Kept(SIZE))


def _key(asked: Asked) -> tuple:
    return asked.gtin, asked.org_code, asked.product_code, asked.lot, asked.serial.upper()


def named(asked: Asked) -> tuple[UnitRef | None, Found | None, list | None]:
    """The unit ``asked`` names, from memory or from the records, with what was found when the
    records were read (None when not even the product is ours, a level above when walked up) and,
    when they were read in the same statement, the unit's scans (for ``counters.shown``)."""
    if asked.serial is None or asked.unkept:
        return None, identifiers.find(asked), None
    max_age = current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]
    ref = _refs().get(_key(asked), max_age)
    if ref is not None:
        return ref, None, None
    found, groups = None, None
    read = identifiers.unit_and_scans(asked)  # a buyer's scan, by far the commonest question
    if read is not None:
        numbers, groups = read
    else:
        found = identifiers.find(asked)  # walking up, or the organisation's own stem
        if found is None or found.unit is None:
            return None, found, None
        numbers = (found.unit.id, found.unit.organisation_id, found.unit.lot_id, found.unit.serial)
    ref = UnitRef(*numbers, stored_at=memory.now())
    if max_age:
        _refs().put(_key(asked), ref)
    return ref, found, groups


def _macros():
    return current_app.jinja_env.get_template("provenance/_unit.html").module


def parts(serial: str | None, scans: ScanSummary | None, place_url: str | None) -> dict[str, str]:
    """What a unit adds to its lot's page: the copied-code warning, its card, the way to the province
    form. The form is a page of its own, so a scan sets no cookie (the form's CSRF token needs one)."""
    macros = _macros()
    return {
        "warning": macros.warning(scans) if scans and scans.suspicious else "",
        "unit": _card(serial, scans) if serial and scans else macros.unit_card(serial),
        "place": macros.place(place_url) if place_url else "",
    }


SERIAL, FIRST_ON, COUNT = "__UNIT_SERIAL__", "__UNIT_FIRST_ON__", "__UNIT_COUNT__"


def _card(serial: str, scans: ScanSummary) -> str:
    """The unit's card with its counters: rendered once per language with stand-ins for the three
    values (the translated sentence puts them where its language wants), then filled for each scan."""
    first_on = format_date(scans.first_on) if scans.first_at else None
    cards = current_app.extensions.setdefault("unit_cards", {})
    key = (g.lang, first_on is not None)
    if key not in cards:
        cards[key] = str(_macros().unit_card(SERIAL, FIRST_ON if first_on else None, COUNT))
    card = cards[key].replace(SERIAL, str(escape(serial))).replace(COUNT, str(scans.count))
    return card.replace(FIRST_ON, first_on) if first_on else card


def _marker(name: str) -> str:
    return f"<!--unit:{name}-->"


def _shell(asked: Asked, ref: UnitRef, found: Found | None) -> bytes | None:
    """The lot's page with the unit's slots, kept while the organisation's records do not change."""
    key = (ref.organisation_id, ref.lot_id, g.lang, "unit-shell")
    cached = page_cache.fresh(key)
    if cached is not None:
        return cached.body
    version = page_cache.organisation_version(ref.organisation_id, local_today())  # before reading
    keepable = page_cache.keepable()
    found = found or identifiers.find(asked)
    if found is None or found.unit is None:
        return None
    plain = Found(Asked(), found.organisation, found.product, found.lot)  # the lot alone, nothing missing
    place = parts(None, None, PLACE_URL)["place"]  # the same for every unit but for its path
    response, _last_modified = pages.lot_html(plain, slot=lambda name: place if name == "place" else _marker(name))
    body = response.get_data()
    if keepable:
        page_cache.keep(key, ref.organisation_id, version, body, response.mimetype, None)
    return body


def html(asked: Asked, ref: UnitRef, found: Found | None, summary: ScanSummary) -> Response:
    """The unit's page: the kept shell, its warning and card filled in. No lineage walked."""
    shell = _shell(asked, ref, found)
    if shell is None:  # the unit is gone from the records since it was kept
        _refs().forget(_key(asked))
        return current_app.make_response(pages.not_found())
    filled = parts(ref.serial, summary, None)
    body = shell.replace(_marker("warning").encode(), str(filled["warning"]).encode())
    body = body.replace(_marker("unit").encode(), str(filled["unit"]).encode())
    place_url = escape(request.path.rstrip("/") + "/place")  # the unit's own path, as asked
    return Response(body.replace(PLACE_URL.encode(), str(place_url).encode()), mimetype="text/html")


def json(asked: Asked, found: Found | None, summary: ScanSummary) -> Response:
    """The same facts for machines (``Accept: application/json``): read from the records each time."""
    found = found or identifiers.find(asked)
    if found is None or found.unit is None:
        return current_app.make_response(pages.not_found())
    response, _last_modified = pages.lot_json(found, summary)
    return response
