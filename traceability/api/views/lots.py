"""Lots through the API: products, processing, packing, sales, recalls, a lot and its trace."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, url_for
from flask_babel import gettext as _

from traceability.accounts.policy import Write, writers
from traceability.accounts.tenancy import current_records
from traceability.api.endpoint import bp, endpoint
from traceability.api.errors import ApiError
from traceability.api.schemas.lots import (
    SERIALS_SHOWN,
    LotOut,
    PackedOut,
    PackingIn,
    ProcessingIn,
    ProcessingOut,
    ProductOut,
    ProductsOut,
    RecalledBuyer,
    RecallIn,
    RecallOut,
    SaleIn,
    SaleOut,
    TraceOut,
    TraceQuery,
)
from traceability.clock import local_today
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.lots import lineage, recalls, trade
from traceability.lots.models import UnitSerial
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.lots.services import lot_in_org
from traceability.products.models import Product


def lot_or_404(code: str):
    try:
        return lot_in_org(g.org.id, code)
    except DomainError:
        raise ApiError(404, "not_found", _("There is no lot %(code)s in your organisation.", code=code)) from None


@bp.get("/products")
@endpoint(ProductsOut)
def products():
    """Products of the token's organisation"""
    return ProductsOut(products=[ProductOut.of(p) for p in current_records(Product, Product.code)])


@bp.post("/processing-runs")
@endpoint(ProcessingOut, status=201, roles=writers(Write.TRADE), body=ProcessingIn)
def create_processing_run(body: ProcessingIn):
    """Process input lots into output lots (mass balance checked)"""
    processed = record_processing(
        g.org,
        g.api_user,
        processed_on=body.processed_on or local_today(),
        inputs=[RunInput(x.lot_code, x.quantity) for x in body.inputs],
        outputs=[RunOutput(x.product_code, x.quantity, x.unit) for x in body.outputs],
        steps=[{"step": s} for s in body.steps],
        reason=body.reason,
    )
    run = processed.run
    return ProcessingOut(
        yield_ratio=str(run.yield_ratio),
        yield_flagged=run.yield_flagged,
        outputs=[LotOut.of(x) for x in processed.outputs],
    )


@bp.post("/packings")
@endpoint(PackedOut, status=201, roles=writers(Write.TRADE), body=PackingIn)
def create_packing(body: PackingIn):
    """Pack part of a lot into a sale lot of units (with their serials, when asked for)"""
    fields = body.model_dump()
    fields["packed_on"] = body.packed_on or local_today()
    packed = pack(g.org, g.api_user, **fields)
    serials = None
    if body.serials and packed.quantity <= SERIALS_SHOWN:
        serials = list(
            db.session.scalars(
                sa.select(UnitSerial.serial).where(UnitSerial.lot_id == packed.id).order_by(UnitSerial.id)
            )
        )
    return PackedOut(
        **LotOut.fields_of(packed),
        serials=serials,
        units_url=url_for("api.lot_units", code=packed.code, _external=True),
    )


@bp.post("/sales")
@endpoint(SaleOut, status=201, roles=writers(Write.TRADE), body=SaleIn)
def create_sale(body: SaleIn):
    """Sell part of a lot to a buyer"""
    fields = body.model_dump()
    fields["sold_on"] = body.sold_on or local_today()
    sale = trade.record_sale(g.org, g.api_user, **fields)
    return SaleOut(id=sale.id, lot=LotOut.of(sale.lot))


@bp.post("/lots/<code>/recall")
@endpoint(RecallOut, status=201, roles=writers(Write.TRADE), body=RecallIn)
def recall_lot(code: str, body: RecallIn):
    """Recall a lot and everything made from it"""
    recall = recalls.open_recall(
        g.org, g.api_user, lot_code=lot_or_404(code).code, reason=body.reason, opened_on=body.opened_on or local_today()
    )
    report = recalls.recall_report(recall)
    return RecallOut(
        id=recall.id,
        lots=[x.code for x in report["lots"]],
        buyers=[
            RecalledBuyer(name=e["buyer"].name, quantity=sum(s.quantity for s in e["sales"])) for e in report["buyers"]
        ],
    )


@bp.get("/lots/<code>")
@endpoint(LotOut)
def get_lot(code: str):
    """One lot"""
    return LotOut.of(lot_or_404(code))


@bp.get("/lots/<code>/trace")
@endpoint(TraceOut, query=TraceQuery)
def trace_lot(code: str, query: TraceQuery):
    """Trace back to the plots or forward to the buyers"""
    lot = lot_or_404(code)
    trace = lineage.trace_back(lot) if query.direction == "back" else lineage.trace_forward(lot)
    return TraceOut.of(trace, query.direction)
