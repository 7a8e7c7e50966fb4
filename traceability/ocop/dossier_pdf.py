"""The dossier as the commune receives it: one A4 PDF in Vietnamese (Mẫu 01, Mẫu 02, evidence list,
story, label sample, Mẫu 03 once filled), and a ZIP of that PDF with every attached file."""

from __future__ import annotations

import base64
import io
import zipfile

import sqlalchemy as sa
from flask_babel import force_locale

from traceability import blobs
from traceability.accounts.models import Organisation
from traceability.clock import local_today
from traceability.extensions import db
from traceability.labels.digital_link import label_uri
from traceability.labels.qr import qr_png
from traceability.lots.models import Lot, LotKind
from traceability.ocop import figures, services
from traceability.ocop.models import OcopAttachment, OcopDossier, OcopTransition
from traceability.pdf import PDF_LANGUAGE, render_pdf
from traceability.products.models import Product


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
        figures=figures.production(org, product),
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
            sa.select(OcopAttachment.filename, OcopAttachment.data, OcopAttachment.data_key)
            .where(OcopAttachment.dossier_id == dossier.id)
            .order_by(OcopAttachment.id)
        )
        for number, (filename, data, key) in enumerate(rows, 1):
            archive.writestr(f"minh-chung/{number:02d}-{filename}", blobs.load(data, key))
    return out.getvalue()
