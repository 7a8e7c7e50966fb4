"""The list of lots, a lot's own page, and its trace back and forward."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, render_template, request
from flask_login import login_required

from traceability.accounts.tenancy import current_records, get_scoped_or_404, org_required
from traceability.epcis import upstream
from traceability.extensions import db
from traceability.lots import lineage, search
from traceability.lots.models import LOT_KIND_LABELS, LOT_STATUS_LABELS, Lot, LotKind, UnitSerial
from traceability.lots.views import bp
from traceability.products.models import Product


@bp.get("/lots")
@login_required
@org_required()
def lots():
    asked = search.read(request.args)
    found = search.find(g.org.id, asked)
    products = current_records(Product, Product.code)
    return render_template(
        "lots/lots.html",
        search=asked,
        found=found,
        products=products,
        kinds=LOT_KIND_LABELS,
        statuses=LOT_STATUS_LABELS,
    )


@bp.get("/lots/<int:record_id>")
@login_required
@org_required()
def lot_detail(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    # Labels with a QR per unit are offered only for a lot packed with unit serials.
    serialised = db.session.scalar(sa.select(sa.exists().where(UnitSerial.lot_id == lot.id)))
    return render_template("lots/lot.html", lot=lot, kinds=LotKind, serialised=serialised)


@bp.get("/lots/<int:record_id>/trace")
@login_required
@org_required()
def lot_trace(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    back = lineage.trace_back(lot)
    # The supplier's own events for what was bought in (captured by EPCIS): a query or a few per bought-in lot.
    suppliers = {
        x.id: upstream.supplier_history(x.organisation_id, x.supplier_lot_code) for x in back.lots if x.supplier_id
    }
    return render_template(
        "lots/trace.html", lot=lot, back=back, forward=lineage.trace_forward(lot), suppliers=suppliers
    )
