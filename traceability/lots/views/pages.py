"""The list of lots, a lot's own page, and its trace back and forward."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required
from sqlalchemy.orm import joinedload

from traceability.accounts.tenancy import get_scoped_or_404, org_required, scoped
from traceability.extensions import db
from traceability.lots import lineage
from traceability.lots.models import Lot, LotKind
from traceability.lots.views import bp


@bp.get("/lots")
@login_required
@org_required()
def lots():
    rows = db.session.scalars(
        scoped(Lot)
        .options(joinedload(Lot.plot), joinedload(Lot.planting))
        .order_by(Lot.produced_on.desc(), Lot.id.desc())
        .limit(200)
    ).all()
    return render_template("lots/lots.html", lots=rows)


@bp.get("/lots/<int:record_id>")
@login_required
@org_required()
def lot_detail(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    return render_template("lots/lot.html", lot=lot, kinds=LotKind)


@bp.get("/lots/<int:record_id>/trace")
@login_required
@org_required()
def lot_trace(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    return render_template("lots/trace.html", lot=lot, back=lineage.trace_back(lot), forward=lineage.trace_forward(lot))
