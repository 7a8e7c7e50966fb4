"""Labels from the web: a lot's QR as PNG, and a print sheet as PDF (small runs, in the request)."""
from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from traceability.errors import DomainError
from traceability.exports.identifiers import lot_uri
from traceability.labels.qr import qr_png
from traceability.labels.sheets import SIZES, render_sheet
from traceability.lots.models import Lot
from traceability.tenancy import get_scoped_or_404, org_required

bp = Blueprint("labels", __name__)
IN_REQUEST_LIMIT = 500  # longer runs need the background print job


@bp.get("/lots/<int:record_id>/qr.png")
@login_required
@org_required()
def lot_qr(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    return Response(qr_png(lot_uri(g.org, lot)), mimetype="image/png",
                    headers={"Content-Disposition": f'attachment; filename="qr-{lot.code}.png"'})


@bp.get("/lots/<int:record_id>/labels.pdf")
@login_required
@org_required()
def lot_labels(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    size = request.args.get("size", "70x37")
    per_unit = request.args.get("per") == "unit"
    copies = request.args.get("copies", type=int) or 1
    if size not in SIZES or (per_unit and lot.quantity > IN_REQUEST_LIMIT) or not 1 <= copies <= IN_REQUEST_LIMIT:
        flash(_("Up to %(n)s labels can be printed from this page.", n=IN_REQUEST_LIMIT), "error")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    try:
        pdf = render_sheet(g.org, lot, size=size, per_unit=per_unit, roll=request.args.get("roll") == "1",
                           copies=copies)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="nhan-{lot.code}-{size}.pdf"'})
