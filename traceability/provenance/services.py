"""What a buyer sees when scanning a label: public facts only, read through ``lots.lineage``.

Public means: the organisation, its village and commune, plots by their code and village, seasons,
products applied (with pre-harvest intervals honestly compared with the harvest day), inspections
and their results, processing and packing. Never household names, phone numbers, ID numbers,
buyers, or coordinates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.epcis import upstream
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.models import InputKind
from traceability.farm.services.permitted import english_input_names
from traceability.farm.services.seasons import crop_name_en
from traceability.i18n import format_number
from traceability.lots import lineage
from traceability.lots.models import Lot, LotKind, LotLink, ProcessingRun
from traceability.photos.models import Photo
from traceability.products.models import Product
from traceability.quality.certificates import valid_ocop
from traceability.quality.models import CertificateKind, Inspection, Result
from traceability.rules import fold
from traceability.transparency import witness
from traceability.transparency.proofs import for_events

# Steps of one day come in the order the work is done: sow, tend, inspect, harvest, process, pack.
WORK_ORDER = {
    "planting": 0,
    "fertiliser": 1,
    "plant_protection": 1,
    "input": 1,
    "inspection": 2,
    "harvest": 3,
    "supplier": 3,  # the supplier's own steps (EPCIS capture), before we bought the lot in
    "receiving": 3,
    "processing": 4,
    "packing": 5,
}


ORIGINS_SHOWN = 3  # plots named in the header; a blend of many harvests says how many more


@dataclass
class Step:
    day: dt.date
    kind: str  # a key of WORK_ORDER
    title: str
    detail: str = ""
    late: bool = False
    title_lang: str | None = None  # "vi" when the title has no English form and the page is English
    note: str = ""  # the producer's own words (processing steps), in the language they were written in
    note_lang: str | None = None


def _named(vietnamese: str, english: str | None) -> tuple[str, str | None]:
    """A registry name in the page's language, with "vi" when an English page can only show the
    Vietnamese (the page marks it ``lang="vi"`` so a reader or a screen reader says it rightly)."""
    if str(get_locale()) != "en":
        return vietnamese, None
    return (english, None) if english else (vietnamese, "vi")


@dataclass
class Provenance:
    lot: Lot
    organisation: Organisation
    product: Product | None
    steps: list[Step] = field(default_factory=list)
    last_spray: dict | None = None
    certificates: list = field(default_factory=list)
    ocop: list = field(default_factory=list)
    digest: str = ""
    event_count: int = 0
    expired: bool = False
    last_modified: dt.datetime | None = None
    photos: list = field(default_factory=list)  # (photo id, caption) of the lot's own records
    product_name: tuple[str, str | None] = ("", None)  # (name, "vi" when only the Vietnamese exists)
    origins: list = field(default_factory=list)  # (plot code, village) the harvests came from, first few
    more_origins: int = 0  # plots beyond those
    harvested: tuple[dt.date, dt.date] | None = None  # first and last harvest day behind the lot
    log: dict | None = None  # the events' inclusion proofs and the checkpoint (transparency.proofs)
    confirmed: tuple[str, dt.datetime] | None = None  # the first witness of that checkpoint, and when


def find_lot(
    org: Organisation | None, lot_code: str, *, gtin: str | None = None, product_code: str | None = None
) -> Lot | None:
    query = sa.select(Lot).where(Lot.code == lot_code)
    if gtin is not None:
        query = query.join(Product, Product.id == Lot.product_id).where(Product.gtin == gtin)
    else:
        query = query.where(of_org(Lot, org.id))
    return db.session.scalar(query)


def provenance(lot: Lot) -> Provenance:
    org = db.session.get(Organisation, lot.organisation_id)
    trace = lineage.trace_back(lot)
    lot_ids = [x.id for x in trace.lots]
    by_id = {x.id: x for x in trace.lots}
    result = Provenance(
        lot=lot,
        organisation=org,
        product=lot.product,
        expired=bool(lot.expires_on and lot.expires_on < local_today()),
        product_name=_named(lot.product.name_vi, lot.product.name_en) if lot.product else _named(lot.label, None),
    )
    event_ids = {x.event_id for x in trace.lots}
    events = {e.id: e for e in db.session.scalars(sa.select(Event).where(Event.id.in_(event_ids)))}
    runs = {
        r.event_id: r for r in db.session.scalars(sa.select(ProcessingRun).where(ProcessingRun.event_id.in_(event_ids)))
    }
    plantings = {p.id: p for p in trace.plantings}
    origins = list(dict.fromkeys((p.plot.code, p.plot.village.name) for p in trace.plantings))
    result.origins, result.more_origins = origins[:ORIGINS_SHOWN], max(0, len(origins) - ORIGINS_SHOWN)
    harvest_days = [x.produced_on for x in trace.lots if x.kind is LotKind.HARVEST and x.planting_id]
    result.harvested = (min(harvest_days), max(harvest_days)) if harvest_days else None
    for planting in trace.plantings:
        crop, crop_lang = _named(planting.crop, crop_name_en(planting.crop))
        result.steps.append(
            Step(
                planting.sown_on,
                "planting",
                crop,
                f"{planting.plot.code} · {planting.plot.village.name}",
                title_lang=crop_lang,
            )
        )
    english = english_input_names(org.id)
    for application in trace.applications:
        kind = {InputKind.FERTILISER: "fertiliser", InputKind.PLANT_PROTECTION: "plant_protection"}.get(
            application.kind, "input"
        )
        active = application.active_ingredient
        detail = _("active ingredient: %(name)s", name=active) if active and kind == "plant_protection" else ""
        # A spray's brand reads the same in both languages; a fertiliser is often plain Vietnamese words.
        name, name_lang = (
            (application.trade_name, None)
            if kind == "plant_protection"
            else _named(application.trade_name, english.get(fold(application.trade_name)))
        )
        result.steps.append(Step(application.applied_on, kind, name, detail, title_lang=name_lang))
    for x in trace.lots:
        event = events.get(x.event_id)
        late = bool(event and event.late)
        if x.kind is LotKind.HARVEST and x.planting_id:
            result.steps.append(
                Step(x.produced_on, "harvest", x.code, f"{x.quantity.normalize():f}\u00a0{x.unit.label}", late)
            )
        elif x.supplier_id:
            for step in upstream.supplier_history(x.organisation_id, x.supplier_lot_code):
                result.steps.append(Step(step.day, "supplier", step.step, _("their own record")))
            result.steps.append(Step(x.produced_on, "receiving", x.code, x.crop or "", late))
        elif x.kind is LotKind.PROCESSED and x.event_id in runs:
            run = runs[x.event_id]
            steps = ", ".join(s.get("step", "") for s in run.steps)
            ratio = _("yield %(pct)s %%", pct=format_number(run.yield_ratio * 100, 2)) if run.yield_ratio else ""
            name, name_lang = _lot_name(x)
            _same, note_lang = _named(steps, None)  # written by the producer, in Vietnamese
            result.steps.append(Step(x.produced_on, "processing", name, ratio, late, name_lang, steps, note_lang))
        elif x.kind is LotKind.SALE:
            name, name_lang = _lot_name(x)
            detail = f"{x.quantity.normalize():f}\u00a0×\u00a0{x.net_content.normalize():f}\u00a0{x.net_unit.label}"
            result.steps.append(Step(x.produced_on, "packing", name, detail, late, name_lang))
    _inspections(result, trace, plantings)
    _last_spray(result, trace, by_id)
    result.certificates = [c for c in lot.certificates if c.kind is not CertificateKind.OCOP]
    result.ocop = valid_ocop(lot.organisation_id, lot.product_id)
    result.steps.sort(key=lambda s: (s.day, WORK_ORDER[s.kind]))  # on one day, in the order the work is done
    _digest(result, lot_ids, trace)
    result.photos = db.session.execute(
        sa.select(Photo.id, Photo.caption).where(Photo.event_id.in_(event_ids)).order_by(Photo.id)
    ).all()
    return result


def _lot_name(lot: Lot) -> tuple[str, str | None]:
    if lot.product:
        return _named(lot.product.name_vi, lot.product.name_en)
    return _named(lot.label, crop_name_en(lot.crop) if lot.crop else None)


def public_photo(photo_id: int) -> Photo | None:
    """A photo is public only when it belongs to a lot's own record (harvest, processing, packing)."""
    return db.session.scalar(sa.select(Photo).join(Lot, Lot.event_id == Photo.event_id).where(Photo.id == photo_id))


def _inspections(result: Provenance, trace, plantings) -> None:
    plot_ids = {p.plot_id for p in plantings.values()}
    household_ids = {p.household_id for p in plantings.values() if p.household_id}
    if not plot_ids:
        return
    first = min(p.sown_on for p in plantings.values())
    last = max(x.produced_on for x in trace.lots)
    conditions = [Inspection.plot_id.in_(plot_ids), Inspection.scope == "organisation"]
    if household_ids:
        conditions.append(Inspection.household_id.in_(household_ids))
    for inspection in db.session.scalars(
        sa.select(Inspection)
        .where(
            of_org(Inspection, result.organisation.id),
            Inspection.signed_off_at.is_not(None),
            sa.or_(*conditions),
            Inspection.inspected_on.between(first - dt.timedelta(days=365), last),
        )
        .options(selectinload(Inspection.results))
    ):
        passed = sum(r.result is Result.PASS for r in inspection.results)
        failed = sum(r.result is Result.FAIL for r in inspection.results)
        result.steps.append(
            Step(
                inspection.inspected_on,
                "inspection",
                inspection.checklist_version,
                _("%(passed)s criteria passed, %(failed)s failed", passed=passed, failed=failed),
            )
        )


def _last_spray(result: Provenance, trace, by_id) -> None:
    """The last plant-protection spray before harvest, against its pre-harvest interval."""
    harvests = {x.planting_id: x.produced_on for x in by_id.values() if x.planting_id}
    sprays = [a for a in trace.applications if a.phi_days is not None]
    if not sprays:
        return
    last = max(sprays, key=lambda a: a.applied_on)
    harvest_day = harvests.get(last.planting_id)
    if harvest_day is None:
        return
    days = (harvest_day - last.applied_on).days
    result.last_spray = {
        "product": last.trade_name,
        "date": last.applied_on,
        "days_before_harvest": days,
        "phi_days": last.phi_days,
        "respected": days >= last.phi_days,
    }


def event_ids_of(trace) -> list[int]:
    """The events behind a lot's history: its lots and theirs back to the field, the runs that linked
    them, and the sprays and fertilisers of their seasons, in log order."""
    lot_ids = [x.id for x in trace.lots]
    link_events = db.session.scalars(sa.select(LotLink.event_id).where(LotLink.output_lot_id.in_(lot_ids))).all()
    return sorted({x.event_id for x in trace.lots} | set(link_events) | {a.event_id for a in trace.applications})


def _digest(result: Provenance, lot_ids, trace) -> None:
    """A fingerprint of this lot's events in the hash chain: anyone holding the log can recompute it."""
    event_ids = event_ids_of(trace)
    result.log = for_events(result.organisation.id, event_ids)
    if result.log and result.log["witnesses"]:
        first = result.log["witnesses"][0]
        at = dt.datetime.fromisoformat(first["at"].removesuffix("Z"))
        result.confirmed = (witness.display_name(first["name"]), at)
    hashes = db.session.scalars(sa.select(Event.hash).where(Event.id.in_(event_ids)).order_by(Event.id)).all()
    result.digest = hashlib.sha256("".join(hashes).encode()).hexdigest()
    result.event_count = len(hashes)
    # A recall or a certificate is an event of the organisation, not of the lot: its latest event
    # bounds every change to the page. Dates shown relative to today (expiry) turn with the day.
    latest = db.session.scalar(sa.select(sa.func.max(Event.recorded_at)).where(of_org(Event, result.organisation.id)))
    midnight = dt.datetime.combine(local_today(), dt.time(), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    midnight = midnight.astimezone(dt.UTC).replace(tzinfo=None)
    result.last_modified = max(latest or midnight, midnight).replace(microsecond=0, tzinfo=dt.UTC)


def as_json(p: Provenance, *, serial: str | None = None, scans=None) -> dict:
    """The same public facts for machines (``Accept: application/json``)."""
    lot, org, product = p.lot, p.organisation, p.product
    return {
        "lot": {
            "code": lot.code,
            "status": lot.status.value,
            "produced_on": lot.produced_on.isoformat(),
            "expires_on": lot.expires_on.isoformat() if lot.expires_on else None,
            "expired": p.expired,
            "recalled": lot.status.value == "recalled",
        },
        "product": {"name": product.name_vi, "name_en": product.name_en, "gtin": product.gtin} if product else None,
        "producer": {
            "name": org.name,
            "village": org.village,
            "commune": org.commune,
            "province": org.province,
            "phone": org.public_phone,
        },
        "origin": {
            "plots": [{"code": code, "village": village} for code, village in p.origins],
            "more_plots": p.more_origins,
            "harvested": [day.isoformat() for day in p.harvested] if p.harvested else None,
        },
        "ocop": [{"stars": c.stars, "number": c.number, "valid_to": c.valid_to.isoformat()} for c in p.ocop],
        "certificates": [
            {"kind": c.kind.value, "number": c.number, "issuer": c.issuer, "valid_to": c.valid_to.isoformat()}
            for c in p.certificates
        ],
        "last_spray": {**p.last_spray, "date": p.last_spray["date"].isoformat()} if p.last_spray else None,
        "journey": [
            {
                "date": s.day.isoformat(),
                "kind": s.kind,
                "title": s.title,
                "detail": " · ".join(part for part in (s.note, s.detail) if part),
                "recorded_late": s.late,
            }
            for s in p.steps
        ],
        "verification": {"algorithm": "sha256", "events": p.event_count, "digest": p.digest},
        "log": p.log,
        "unit": None
        if serial is None
        else {
            "serial": serial,
            "known": scans is not None,
            "scans": scans.count if scans else 0,
            "first_scanned_at": scans.first_at.isoformat() + "Z" if scans and scans.first_at else None,
            "suspicious": bool(scans and scans.suspicious),
        },
    }


def schema_org(p: Provenance, url: str) -> dict:
    """schema.org JSON-LD for search engines and apps reading the page: the product and its lot."""
    product, org, lot = p.product, p.organisation, p.lot
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "url": url,
        "name": product.name_vi if product else lot.label,
        "productID": lot.code,
        "manufacturer": {
            "@type": "Organization",
            "name": org.name,
            "address": {
                "@type": "PostalAddress",
                "addressLocality": org.commune,
                "addressRegion": org.province,
                "addressCountry": "VN",
            },
        },
        "productionDate": lot.produced_on.isoformat(),
        "countryOfOrigin": "VN",
    }
    if product and product.gtin:
        data["gtin14"] = product.gtin
    if lot.expires_on:
        data["expirationDate"] = lot.expires_on.isoformat()
    awards = [f"OCOP {c.stars}★ {c.number}" if c.stars else f"OCOP {c.number}" for c in p.ocop]
    awards += [f"{c.kind.value.upper()} {c.number}" for c in p.certificates]
    if awards:
        data["award"] = awards
    return data
