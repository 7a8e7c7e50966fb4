"""Lots and traces as JSON: public facts only (no buyer contact details, no household phones)."""

from __future__ import annotations

from traceability.lots.lineage import Trace
from traceability.lots.models import Lot


def lot_json(lot: Lot) -> dict:
    return {
        "code": lot.code,
        "kind": lot.kind.value,
        "status": lot.status.value,
        "product": lot.product.code if lot.product else None,
        "crop": lot.crop,
        "quantity": f"{lot.quantity.normalize():f}",
        "remaining_quantity": f"{lot.remaining_quantity.normalize():f}",
        "unit": lot.unit,
        "produced_on": lot.produced_on.isoformat(),
        "expires_on": lot.expires_on.isoformat() if lot.expires_on else None,
        "vietgap_claim": lot.vietgap_claim,
        "yield_flagged": lot.yield_flagged,
        "plot": lot.plot.code if lot.plot else None,
    }


def trace_json(trace: Trace, direction: str) -> dict:
    codes = {x.id: x.code for x in trace.lots}
    result = {
        "lot": trace.root.code,
        "direction": direction,
        "lots": [{**lot_json(x), "depth": trace.depth[x.id]} for x in trace.lots],
        "links": [
            {
                "input": codes.get(link.input_lot_id),
                "output": codes.get(link.output_lot_id),
                "quantity": f"{link.quantity.normalize():f}",
            }
            for link in trace.links
        ],
    }
    if direction == "forward":
        result["sales"] = [
            {
                "lot": s.lot_code,
                "buyer": s.buyer_name,
                "quantity": f"{s.quantity.normalize():f}",
                "sold_on": s.sold_on.isoformat(),
            }
            for s in trace.sales
        ]
    else:
        result["plantings"] = [
            {"plot": p.plot.code, "crop": p.crop, "sown_on": p.sown_on.isoformat()} for p in trace.plantings
        ]
        result["input_applications"] = [
            {"trade_name": a.trade_name, "applied_on": a.applied_on.isoformat(), "phi_days": a.phi_days}
            for a in trace.applications
        ]
    return result
