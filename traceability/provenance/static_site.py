"""Every public page as static HTML at the same paths, for codes that outlive the server.

``/01/{gtin}/10/{lot}`` becomes ``DIR/01/{gtin}/10/{lot}/index.html`` (English in ``en/index.html``
beside it), and likewise for each unit's ``/21/{serial}`` and each product's ``/01/{gtin}``, so any
static host that serves ``index.html`` for a directory keeps every printed code resolving. Links
inside the pages are relative (stylesheet, photos, language), so the tree works wherever it is put.
Unit pages in the export cannot count scans: they say the number was printed, without counters.

What else of the resolver a static host can serve is written too: each page's linkset as
``linkset.json`` beside it (only the links a static host answers: the pages), and the description
file at ``.well-known/gs1resolver``. Walking up, link types by query and CORS need the live server.

So that a mirror can be checked without the producer's server, each lot's public facts go beside
its page as ``index.json``, with the events' inclusion proofs and the cosigned checkpoint they lead
to; each organisation's log keys and newest checkpoint go to ``log/<code>/keys`` and
``log/<code>/checkpoint``, where the live server publishes them. The page's "check it" button reads
those files, and ``transparency/tlog.py`` checks an ``index.json`` as it checks a proof bundle.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from flask import current_app, g, render_template
from flask_babel import force_locale
from markupsafe import Markup

from traceability import blobs
from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.labels.digital_link import label_uri
from traceability.lots.models import Lot, UnitSerial
from traceability.photos.models import Photo
from traceability.provenance import links
from traceability.provenance.identifiers import Asked, Found, uri
from traceability.provenance.services import as_json, provenance, schema_org
from traceability.provenance.unit_pages import parts as unit_parts
from traceability.quality.certificates import valid_ocop
from traceability.transparency import checkpoints


@dataclass
class SiteSummary:
    lots: int = 0
    units: int = 0
    files: int = 0


def _relative(from_dir: str, target: str) -> str:
    return os.path.relpath(target, from_dir).replace(os.sep, "/")


def _write(root: Path, url_path: str, text: str, name: str = "index.html") -> None:
    path = root / url_path.strip("/") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _linkset(found: Found) -> str:
    return json.dumps(links.linkset(found, static=True), ensure_ascii=False, indent=1)


def _render(page_dir: str, language: str, p, unit, url: str, lot_path: str) -> str:
    """One page in one language, with links relative to ``page_dir`` (the page's own directory);
    a unit's page checks its lot's records from the lot's ``index.json``."""
    home = page_dir.removesuffix("/en")
    g.lang = language
    with force_locale(language):
        parts = unit_parts(
            unit.serial if unit else None, None, None
        )  # a printed number, without counters or the province form
        return render_template(
            "provenance/lot.html",
            p=p,
            slot=lambda name: Markup(parts[name]),
            schema=schema_org(p, url),
            lang_links={"vi": _relative(page_dir, home) + "/", "en": _relative(page_dir, home + "/en") + "/"},
            static_url=lambda name: _relative(page_dir, f"/static/{name}"),
            photo_url=lambda photo_id: _relative(page_dir, f"/public/photos/{photo_id}.jpg"),
            facts_url=_relative(page_dir, f"{lot_path}/index.json"),
            keys_url=_relative(page_dir, f"/log/{p.organisation.code}/keys"),
        )


def export_site(
    root: Path, *, org_code: str | None = None, report: Callable[[int, int], None] = lambda done, total: None
) -> SiteSummary:
    root.mkdir(parents=True, exist_ok=True)
    summary = SiteSummary()
    query = sa.select(Lot).where(Lot.product_id.is_not(None)).order_by(Lot.id)
    if org_code:
        query = query.join(Organisation, Organisation.id == Lot.organisation_id).where(Organisation.code == org_code)
    lots = db.session.scalars(query).all()
    orgs = {o.id: o for o in db.session.scalars(sa.select(Organisation))}
    base = current_app.config["PUBLIC_BASE_URL"]
    photo_ids: set[int] = set()
    products: dict = {}
    for done, lot in enumerate(lots, 1):
        org = orgs[lot.organisation_id]
        p = provenance(lot)
        photo_ids.update(photo_id for photo_id, _caption in p.photos)
        units = db.session.scalars(
            sa.select(UnitSerial).where(UnitSerial.lot_id == lot.id).order_by(UnitSerial.id)
        ).all()
        # Each page sits at the path of the URI its label carries.
        urls = [(None, label_uri(org, lot))] + [(u, label_uri(org, lot, u.serial)) for u in units]
        pages = [(unquote(urlsplit(url).path), unit, url) for unit, url in urls]
        lot_path = pages[0][0]
        with current_app.test_request_context(lot_path, base_url=base):
            for path, unit, page_url in pages:
                _write(root, path, _render(path, "vi", p, unit, page_url, lot_path))
                _write(root, f"{path}/en", _render(f"{path}/en", "en", p, unit, page_url, lot_path))
                _write(root, path, _linkset(Found(Asked(), org, lot.product, lot, unit)), "linkset.json")
                summary.files += 3
            _write(root, lot_path, json.dumps(as_json(p), ensure_ascii=False), "index.json")
            summary.files += 1
        products[lot.product_id] = (org, lot.product)
        summary.lots += 1
        summary.units += len(units)
        report(done, len(lots))
    for org, product in products.values():
        _product_pages(root, org, product, summary)
    with current_app.test_request_context("/", base_url=base):
        for org in {org.id: org for org, _product in products.values()}.values():
            _log_files(root, org, summary)
    with current_app.test_request_context("/", base_url=base):
        _write(root, "/.well-known", json.dumps(links.description(), ensure_ascii=False, indent=1), "gs1resolver")
    summary.files += 1
    _copy_assets(root, photo_ids, summary)
    return summary


def _product_pages(root: Path, org, product, summary: SiteSummary) -> None:
    """``/01/{gtin}``: the product, its producer, OCOP stars while valid, and the lots exported with it."""
    found = Found(Asked(), org, product)
    path = unquote(urlsplit(uri(found, "product")).path)
    lots = db.session.scalars(sa.select(Lot).where(Lot.product_id == product.id).order_by(Lot.produced_on.desc())).all()
    with current_app.test_request_context(path, base_url=current_app.config["PUBLIC_BASE_URL"]):
        for page_dir, language in ((path, "vi"), (f"{path}/en", "en")):
            g.lang = language
            with force_locale(language):
                html = render_template(
                    "provenance/product.html",
                    found=found,
                    product=product,
                    producer=org,
                    ocop=valid_ocop(org.id, product.id),
                    lots=[(lot, uri(Found(Asked(), org, product, lot), "lot")) for lot in lots],
                    lang_links={"vi": _relative(page_dir, path) + "/", "en": _relative(page_dir, path + "/en") + "/"},
                    static_url=lambda name, d=page_dir: _relative(d, f"/static/{name}"),
                )
            _write(root, page_dir, html)
        _write(root, path, _linkset(found), "linkset.json")
    summary.files += 3


def _log_files(root: Path, org: Organisation, summary: SiteSummary) -> None:
    """The organisation's log keys and newest checkpoint (with its cosignatures), as published live."""
    newest = checkpoints.latest(org.id)
    if newest is None:
        return
    _write(root, f"/log/{org.code}", checkpoints.keys_text(org), "keys")
    _write(root, f"/log/{org.code}", checkpoints.published(newest), "checkpoint")
    summary.files += 2


def _copy_assets(root: Path, photo_ids: set[int], summary: SiteSummary) -> None:
    static = Path(current_app.static_folder)
    for name in ("css/app.css", "favicon.svg", "js/verify.js"):
        target = root / "static" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(static / name, target)
        summary.files += 1
    if not photo_ids:
        return
    photos_dir = root / "public" / "photos"
    photos_dir.mkdir(parents=True, exist_ok=True)
    rows = db.session.execute(sa.select(Photo.id, Photo.thumbnail, Photo.thumbnail_key).where(Photo.id.in_(photo_ids)))
    for photo_id, thumbnail, key in rows:
        (photos_dir / f"{photo_id}.jpg").write_bytes(blobs.load(thumbnail, key))
        summary.files += 1
