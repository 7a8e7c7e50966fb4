"""The dossier as the commune receives it: one A4 PDF in Vietnamese (Mẫu 01, Mẫu 02, evidence list,
story, label sample, Mẫu 03 once filled), and a ZIP of that PDF with every attached file."""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale

from traceability.accounts.models import Membership, Organisation, Role
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.models import Household, Plot
from traceability.labels.digital_link import label_uri
from traceability.labels.qr import qr_png
from traceability.lots.models import Lot, LotKind
from traceability.ocop import services
from traceability.ocop.models import OcopAttachment, OcopDossier, OcopTransition
from traceability.pdf import PDF_LANGUAGE, render_pdf
from traceability.products.models import Product


@dataclass
class YearVolume:
    year: int
    harvested_kg: Decimal  # everything the organisation harvested that year
    made: Decimal  # of the product, before packing (processed products), in its unit
    unit: str
    packed_units: Decimal  # bags, bottles… of the product packed for sale


def production_figures(org: Organisation, product: Product) -> dict:
    """Mẫu 02 part II from the records: members, households, area, and volumes per year."""
    members = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(of_org(Membership, org.id), Membership.role != Role.OFFICIAL)
    )
    households = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Household)
        .where(of_org(Household, org.id), Household.archived_at.is_(None))
    )
    area = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Plot.area_m2), 0)).where(
            of_org(Plot, org.id), Plot.archived_at.is_(None)
        )
    )
    year = sa.extract("year", Lot.produced_on)
    harvested = dict(
        db.session.execute(
            sa.select(year, sa.func.sum(Lot.quantity))
            .where(of_org(Lot, org.id), Lot.kind == LotKind.HARVEST)
            .group_by(year)
        ).all()
    )
    made, packed = {}, {}
    for y, kind, quantity in db.session.execute(
        sa.select(year, Lot.kind, sa.func.sum(Lot.quantity))
        .where(of_org(Lot, org.id), Lot.product_id == product.id)
        .group_by(year, Lot.kind)
    ):
        target = packed if kind is LotKind.SALE else made
        target[int(y)] = target.get(int(y), Decimal(0)) + Decimal(quantity or 0)
    harvested = {int(y): Decimal(q or 0) for y, q in harvested.items()}
    years = sorted(set(harvested) | set(made) | set(packed), reverse=True)[:3]
    volumes = [
        YearVolume(
            y, harvested.get(y, Decimal(0)), made.get(y, Decimal(0)), product.unit.value, packed.get(y, Decimal(0))
        )
        for y in years
    ]
    return {"members": members, "households": households, "area_m2": Decimal(area or 0), "volumes": volumes}


def _label_sample(org: Organisation, product: Product) -> dict | None:
    lot = db.session.scalar(
        sa.select(Lot)
        .where(Lot.product_id == product.id, Lot.kind == LotKind.SALE)
        .order_by(Lot.produced_on.desc())
        .limit(1)
    )
    if lot is None:
        return None
    url = label_uri(org, lot)
    return {
        "lot": lot,
        "url": url,
        "qr": "data:image/png;base64," + base64.b64encode(qr_png(url, module_px=8)).decode(),
    }


def _in_vietnamese(build, *args):
    """What a service words for the PDF (what the dossier still lacks), in the PDF's language."""
    with force_locale(PDF_LANGUAGE):
        return build(*args)


def render_dossier_pdf(dossier: OcopDossier) -> bytes:
    org = db.session.get(Organisation, dossier.organisation_id)
    product = db.session.get(Product, dossier.product_id)
    criteria_set = services.criteria_set_of(dossier)
    answers = {a.criterion_id: a for a in dossier.answers}
    attachments = db.session.execute(
        sa.select(
            OcopAttachment.id,
            OcopAttachment.title,
            OcopAttachment.filename,
            OcopAttachment.criterion_id,
            OcopAttachment.size,
        )
        .where(OcopAttachment.dossier_id == dossier.id)
        .order_by(OcopAttachment.id)
    ).all()
    transitions = db.session.scalars(
        sa.select(OcopTransition).where(OcopTransition.dossier_id == dossier.id).order_by(OcopTransition.id)
    ).all()
    return render_pdf(
        "ocop/dossier_pdf.html",
        d=dossier,
        org=org,
        product=product,
        cs=criteria_set,
        answers=answers,
        result=services.dossier_score(dossier),
        completeness=_in_vietnamese(services.completeness, dossier),
        attachments=attachments,
        figures=production_figures(org, product),
        label=_label_sample(org, product),
        transitions=transitions,
        printed_on=local_today(),
    )


def dossier_zip(dossier: OcopDossier) -> bytes:
    """The PDF and every attachment, named in the order of the evidence list."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"ho-so-ocop-{dossier.id}.pdf", render_dossier_pdf(dossier))
        rows = db.session.execute(
            sa.select(OcopAttachment.filename, OcopAttachment.data)
            .where(OcopAttachment.dossier_id == dossier.id)
            .order_by(OcopAttachment.id)
        )
        for number, (filename, data) in enumerate(rows, 1):
            archive.writestr(f"minh-chung/{number:02d}-{filename}", data)
    return out.getvalue()
