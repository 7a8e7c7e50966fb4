"""Label sheets as PDF: A4 with cut margins, or one label per page for roll printers.

Each label carries the fields its product kind must show (``rules/label_fields.json``), the QR of
its Digital Link URI (one per unit serial, or one per lot), and the VietGAP mark only when a
certificate covered the lot. Layout is plain floats: WeasyPrint lays them out several times faster
than grid or flex, which matters for long runs.
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter

from traceability.accounts.models import Organisation
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.i18n import format_date
from traceability.labels import vector
from traceability.labels.digital_link import label_uri
from traceability.lots.models import Lot, UnitSerial
from traceability.pdf import render_pdf
from traceability.quality.certificates import valid_ocop
from traceability.rules import load
from traceability.units import Unit

SIZES = {"50x30": (50, 30), "70x37": (70, 37), "100x70": (100, 70)}  # mm, width × height
A4 = (210, 297)
MARGIN = 8  # mm around the sheet, for the printer and the guillotine
SIDE_LINES_MM = 5  # under the QR: the serial's line and the marks


@dataclass
class Label:
    url: str  # what its QR code carries
    serial: str | None


def label_facts(lot: Lot, org: Organisation) -> dict:
    product = lot.product
    net = (
        f"{lot.net_content.normalize():f} {lot.net_unit}"
        if lot.net_content
        else (f"{lot.quantity.normalize():f} {lot.unit}" if lot.unit != Unit.PIECE else None)
    )
    return {
        "name": product.name_vi if product else None,
        "responsible_party": org.name,
        "address": org.address or None,
        "origin": "Việt Nam",
        "net_quantity": net,
        "production_date": lot.produced_on,
        "expiry_date": lot.expires_on,
        "ingredients": product.ingredients if product else None,
        "storage_instructions": product.storage_instructions if product else None,
        "usage_or_storage_instructions": (product.usage_instructions or product.storage_instructions)
        if product
        else None,
        "usage_instructions": product.usage_instructions if product else None,
        "warnings": product.warnings if product else None,
    }


def check_mandatory(lot: Lot, facts: dict) -> None:
    """Refuse a label that lacks a field its product kind must carry, naming the field."""
    if lot.product is None:
        raise DomainError(_("Only lots of a product can be labelled; this lot has no product."))
    rules = load("label_fields")
    missing = [name for name in rules["kinds"][lot.product.kind.value] if not facts.get(name)]
    if missing:
        names = rules["labels_en" if str(get_locale()) == "en" else "labels_vi"]
        raise DomainError(
            _(
                "The label lacks: %(fields)s. Complete the product or the lot first.",
                fields=", ".join(names[m] for m in missing),
            )
        )


def _layout(width: int, height: int) -> dict:
    """Font size (pt) and QR side (mm) per label size. The QR keeps at least 40 % of a small
    label's width (the 50×30 one still decodes at 300 dpi, see the tests); the text gets the rest."""
    qr_mm = min(height - 3 - SIDE_LINES_MM, round(width * 0.4))
    return {"font": 4.6 if width < 60 else (5.2 if width < 80 else 7), "qr_mm": qr_mm, "text_mm": width - qr_mm - 4}


def label_lines(lot: Lot, facts: dict, small: bool) -> list[tuple[str, str]]:
    """The label's text as (field, line) pairs: only what the product kind must show when ``small``,
    else with the optional instructions and warnings too."""
    mandatory = set(load("label_fields")["kinds"][lot.product.kind.value])
    net = f" · Định lượng: {facts['net_quantity']}" if facts["net_quantity"] else ""
    expiry = f" · HSD: {format_date(facts['expiry_date'])}" if facts["expiry_date"] else ""
    lines = [
        ("name", facts["name"]),
        ("responsible_party", f"{facts['responsible_party']}, {facts['address']}"),
        ("origin", f"Xuất xứ: {facts['origin']}{net}"),
        ("production_date", f"NSX: {format_date(facts['production_date'])}{expiry}"),
    ]
    optional = [
        ("ingredients", "Thành phần", facts["ingredients"]),
        ("usage_instructions", "HDSD", facts["usage_instructions"]),
        ("storage_instructions", "Bảo quản", facts["storage_instructions"]),
        ("warnings", "Cảnh báo", facts["warnings"]),
    ]
    if small and "usage_or_storage_instructions" in mandatory:
        # Either one satisfies the rule; the small label keeps the first the product has.
        first = next(name for name in ("usage_instructions", "storage_instructions") if facts[name])
        mandatory.add(first)
    for name, prefix, value in optional:
        if value and (not small or name in mandatory):
            lines.append((name, f"{prefix}: {value}"))
    return lines


def fitting_lines(lot: Lot, facts: dict, size: str) -> list[tuple[str, str]]:
    """The fullest text that fits the size: everything, else the mandatory fields alone, else refused.
    (Labels under 60 mm wide carry the mandatory fields only.)"""
    width, _height = parse_size(size)
    for small in (True,) if width < 60 else (False, True):
        lines = label_lines(lot, facts, small)
        if _fits(lot, lines, size):
            return lines
    larger = [name for name, (w, h) in SIZES.items() if w * h > width * SIZES[size][1]]
    raise DomainError(
        _(
            "The mandatory text does not fit on a %(size)s mm label. Choose a larger size: %(sizes)s.",
            size=size.replace("x", "×"),
            sizes=", ".join(larger) or "—",
        ),
        "size",
    )


def _fits(lot: Lot, lines: list[tuple[str, str]], size: str) -> bool:
    """Whether ``lines`` fit a label of ``size`` rather than being cut off at its edge.

    Flows the text as ``labels/sheet.html`` does, in the column beside the QR, at DejaVu Sans'
    average advance (about 0.55 em), line height 1.15 and 0.4 mm between paragraphs. An
    estimate: the tests check it against where WeasyPrint puts the words.
    """
    width, height = parse_size(size)
    layout = _layout(width, height)
    y = 0.0  # mm from the top of the text area
    for name, text in [*lines, ("lot", f"Số lô: {lot.code}")]:
        em_mm = (layout["font"] + (1.5 if name == "name" else 0)) * 25.4 / 72
        y += math.ceil(len(text) / max(1, int(layout["text_mm"] / (em_mm * 0.55)))) * em_mm * 1.15 + 0.4
    return y <= height - 3  # 1.5 mm padding top and bottom


def labels_for(org: Organisation, lot: Lot, per_unit: bool) -> list[Label]:
    if per_unit:
        serials = db.session.scalars(
            sa.select(UnitSerial.serial).where(UnitSerial.lot_id == lot.id).order_by(UnitSerial.id)
        ).all()
        if not serials:
            raise DomainError(_("This lot has no unit serials: print one QR per lot instead."))
        return [Label(label_uri(org, lot, s), s) for s in serials]
    return [Label(label_uri(org, lot), None)]


def parse_size(size: str) -> tuple[int, int]:
    if size not in SIZES:
        raise DomainError(_("Choose a label size: %(sizes)s.", sizes=", ".join(SIZES)), "size")
    return SIZES[size]


def render_sheet(
    org: Organisation, lot: Lot, *, size: str = "70x37", per_unit: bool = False, roll: bool = False, copies: int = 1
) -> bytes:
    return render_sheet_in_chunks(
        org, lot, size=size, per_unit=per_unit, roll=roll, copies=copies, report=lambda done, total: None
    )


def render_sheet_in_chunks(
    org: Organisation,
    lot: Lot,
    *,
    size: str,
    per_unit: bool,
    roll: bool,
    copies: int,
    report,
    chunk: int = 270,
    codes: bool = True,
) -> bytes:
    """The sheet: one page of identical labels laid out once by WeasyPrint and reused for every page,
    each label's QR code and serial drawn in (``vector.add_page``), progress reported between chunks.

    The QR symbols of the next chunk are computed in a second process meanwhile on long runs; nothing
    is computed for the whole run up front. ``codes=False`` leaves the QR boxes empty (the
    benchmark's text-only baseline)."""
    labels, facts = _prepare(org, lot, size, per_unit, copies)
    placement = _placement(size, roll)
    per_page = placement.per_page
    chunk = max(per_page, chunk - chunk % per_page)  # whole pages
    templates = {
        count: _template_page(org, lot, facts, size, roll, count)
        for count in {min(per_page, len(labels)), len(labels) % per_page}
        if count
    }
    # A first chunk of one page: the pipeline fills at once, and progress shows from the start.
    bounds = [0, *range(per_page, len(labels), chunk), len(labels)]
    ranges = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
    writer = PdfWriter()
    with vector.matrix_source(len(labels) if codes else 0) as pool:

        def symbols(a: int, b: int):
            distinct = list(dict.fromkeys(label.url for label in labels[a:b])) if codes else []
            if pool is None:
                return distinct, [vector.qr_ops(u) for u in distinct]
            return distinct, pool.map_async(vector.qr_ops, distinct, chunksize=27)

        pending = symbols(*ranges[0])
        for number, (a, b) in enumerate(ranges):
            distinct, computed = pending
            by_url = dict(zip(distinct, computed if isinstance(computed, list) else computed.get(), strict=True))
            if number + 1 < len(ranges):
                pending = symbols(*ranges[number + 1])  # the next chunk's codes while this one is drawn
            for first in range(a, b, per_page):
                page_labels = labels[first : first + per_page]
                vector.add_page(
                    writer,
                    templates[len(page_labels)],
                    placement,
                    facts["font"],
                    [(by_url.get(label.url), label.serial) for label in page_labels],
                )
            report(b, len(labels))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _template_page(org: Organisation, lot: Lot, facts: dict, size: str, roll: bool, count: int):
    """The page every sheet page reuses: ``count`` labels' text, their QR boxes and serial lines empty."""
    return PdfReader(io.BytesIO(_sheet_pdf(org, lot, facts, count, size, roll))).pages[0]


def _placement(size: str, roll: bool) -> vector.Placement:
    width, height = parse_size(size)
    if roll:
        return vector.Placement(width, height, _layout(width, height)["qr_mm"], 0, 1, 1, height)
    columns = max(1, (A4[0] - 2 * MARGIN) // width)
    rows = max(1, (A4[1] - 2 * MARGIN) // height)
    return vector.Placement(width, height, _layout(width, height)["qr_mm"], MARGIN, columns, columns * rows, A4[1])


def _prepare(org: Organisation, lot: Lot, size: str, per_unit: bool, copies: int) -> tuple[list[Label], dict]:
    parse_size(size)
    facts = label_facts(lot, org)
    check_mandatory(lot, facts)
    facts["lines"] = fitting_lines(lot, facts, size)
    facts["font"] = _layout(*parse_size(size))["font"]
    labels = labels_for(org, lot, per_unit)
    if not per_unit:
        labels = labels * max(1, copies)  # the count was checked when the print was asked for
    return labels, facts


def _sheet_pdf(org: Organisation, lot: Lot, facts: dict, count: int, size: str, roll: bool) -> bytes:
    """``count`` labels' text (one page's worth), with an empty box where each QR will be drawn."""
    width, height = parse_size(size)
    return render_pdf(
        "labels/sheet.html",
        lot=lot,
        org=org,
        facts=facts,
        count=count,
        width=width,
        height=height,
        roll=roll,
        margin=MARGIN,
        lines=facts["lines"],
        vietgap=lot.vietgap_claim,
        ocop=valid_ocop(lot.organisation_id, lot.product_id),
        **_layout(width, height),
    )
