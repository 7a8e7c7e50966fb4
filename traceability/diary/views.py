"""The diary's one page: the PDF, at the address the season page has always linked to."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from traceability.accounts.tenancy import get_scoped_or_404, org_required
from traceability.diary.services import diary_context
from traceability.farm.models import Planting
from traceability.pdf import render_pdf

bp = Blueprint("diary", __name__)


@bp.get("/plantings/<int:record_id>/diary.pdf")
@login_required
@org_required()
def planting_diary(record_id: int):
    """Nhật ký sản xuất: the season's whole record, as auditors ask for it."""
    planting = get_scoped_or_404(Planting, record_id)
    pdf = render_pdf("diary/diary.html", **diary_context(planting))
    filename = f"nhat-ky-{planting.plot.code}-{planting.sown_on:%Y%m%d}.pdf"
    return pdf, 200, {"Content-Type": "application/pdf", "Content-Disposition": f'inline; filename="{filename}"'}
