"""What the records can answer in an OCOP self-assessment, with the evidence shown beside the answer.

Each finder looks at the organisation's own records for one product and returns a ``Finding``: a
value on the criterion's scale (a share in %, or a named level) and the facts it was read from,
worded when shown (``findings``). Which option of a criteria set the value means is data (``prefill_map`` in the set's
JSON), so a new set or version maps it without code. The producer may always choose otherwise,
giving a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from traceability.accounts.models import Organisation, OrganisationKind
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.models import Village
from traceability.lots.models import Lot, Party, Sale, UnitSerial
from traceability.ocop import figures
from traceability.products.models import Product
from traceability.quality.models import Certificate, CertificateKind
from traceability.quality.services import certified_plots
from traceability.rules import fold

PERIOD_DAYS = 365  # the records of the last year stand for "the product's raw material", "its sales"


@dataclass(frozen=True)
class Finding:
    value: object  # a percentage (Decimal) or a level name, mapped to an option by the set's prefill_map
    facts: dict  # what it was read from, JSON-ready: ``{"code": ..., ...}`` (see ``findings``)


def _decimal(value: Decimal) -> str:
    """A number kept in a finding: exact to four places, enough for any share or quantity shown."""
    return f"{round(Decimal(value), 4).normalize():f}"


def _since() -> dt.date:
    return local_today() - dt.timedelta(days=PERIOD_DAYS)


def local_raw_material_share(org: Organisation, product: Product, spec: dict) -> Finding | None:
    """Share of raw material grown on the organisation's own plots or bought from suppliers whose
    name or address names the commune, the province or one of its villages."""
    raw = figures.raw_material(org, product, _since())
    if not raw:
        return None
    # Set 1 asks what was grown in the commune; sets 7 and 20 what came from the province (data: scope).
    places = {fold(org.commune)} | {
        fold(name) for name in db.session.scalars(sa.select(Village.name).where(of_org(Village, org.id)))
    }
    if spec.get("scope") == "province":
        places.add(fold(org.province))
    suppliers = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Party).where(Party.id.in_({lot.supplier_id for lot, _q in raw if lot.supplier_id}))
        )
    }

    def local(lot: Lot) -> bool:
        if lot.planting_id:
            return True
        supplier = suppliers[lot.supplier_id]
        text = f" {fold(supplier.name)} {fold(supplier.address or '')} "
        return any(f" {place} " in text for place in places if place)

    units = {lot.unit for lot, _q in raw}
    total = sum(q for _lot, q in raw)
    own = sum(q for lot, q in raw if lot.planting_id)
    local_quantity = sum(q for lot, q in raw if local(lot))
    share = local_quantity / total * 100 if total else Decimal(0)  # compared unrounded, shown rounded
    place = org.province if spec.get("scope") == "province" else org.commune
    return Finding(
        share,
        {
            "code": "local_raw_material_share",
            "share": _decimal(share),
            "own": _decimal(own),
            "bought": _decimal(local_quantity - own),
            "total": _decimal(total),
            "unit": str(units.pop()) if len(units) == 1 else None,  # coconuts come in pieces, melons in kg
            "place": place,
            "lots": len(raw),
        },
    )


def certified_area(org: Organisation, product: Product, spec: dict) -> Finding:
    found = certified_plots(org.id, local_today())
    if not found.certificates:
        return Finding("none", {"code": "no_certificate"})
    return Finding(
        "national" if found.plots else "none",
        {
            "code": "certified_area",
            "certificates": [
                {"number": c.number, "issuer": c.issuer, "valid_to": c.valid_to.isoformat()} for c in found.certificates
            ],
            "plots": len(found.plots),
            "of_plots": found.of_plots,
            "area_m2": _decimal(found.area_m2),
        },
    )


def linkage_contracts(org: Organisation, product: Product, spec: dict) -> Finding | None:
    """Share of the product's sales of the last year made under an invoice or contract reference."""
    rows = db.session.execute(
        sa.select(Sale.quantity, Sale.invoice_ref)
        .join(Lot, Lot.id == Sale.lot_id)
        .where(of_org(Lot, org.id), Lot.product_id == product.id, Sale.sold_on >= _since())
    ).all()
    if not rows:
        return None
    total = sum(q for q, _ref in rows)
    referenced = sum(q for q, ref in rows if ref)
    share = referenced / total * 100
    return Finding(share, {"code": "linkage_contracts", "share": _decimal(share), "sales": len(rows)})


LEGAL_FORMS = {
    OrganisationKind.COOPERATIVE: "cooperative",
    OrganisationKind.COOPERATIVE_GROUP: "group",
    OrganisationKind.HOUSEHOLD_BUSINESS: "household",
    OrganisationKind.COMPANY: "company",
}


def legal_form(org: Organisation, product: Product, spec: dict) -> Finding | None:
    form = LEGAL_FORMS.get(org.kind)
    if form is None:
        return None
    return Finding(form, {"code": "legal_form", "kind": org.kind.value, "number": org.registration_number})


def traceable_label(org: Organisation, product: Product, spec: dict) -> Finding:
    # Sale lots are what carries a label; a product only processed so far has none yet.
    lots, _traced = figures.sale_lots([org.id]).get(product.id, (0, 0))
    if not lots:
        return Finding("none", {"code": "no_sale_lot"})
    serials = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(UnitSerial)
        .join(Lot, Lot.id == UnitSerial.lot_id)
        .where(Lot.product_id == product.id)
    )
    return Finding("traceable", {"code": "traceable_label", "lots": lots, "serials": serials})


def story_in_traceability(org: Organisation, product: Product, spec: dict) -> Finding:
    if product.story and product.story.strip():
        return Finding("in_traceability", {"code": "story_shown"})
    return Finding("none", {"code": "no_story"})


def _valid(org: Organisation, product: Product, kind: CertificateKind) -> list[Certificate]:
    today = local_today()
    return [
        c
        for c in db.session.scalars(
            sa.select(Certificate)
            .where(
                of_org(Certificate, org.id),
                Certificate.kind == kind,
                Certificate.valid_from <= today,
                Certificate.valid_to >= today,
            )
            .options(selectinload(Certificate.products))
        )
        if not c.products or product in c.products
    ]


def quality_declaration(org: Organisation, product: Product, spec: dict) -> Finding:
    found = _valid(org, product, CertificateKind.DECLARATION)
    if not found:
        return Finding("none", {"code": "no_declaration"})
    return Finding("declared", {"code": "declaration", "number": found[0].number, "issuer": found[0].issuer})


def quality_assurance(org: Organisation, product: Product, spec: dict) -> Finding:
    found = _valid(org, product, CertificateKind.FOOD_SAFETY)
    if not found:
        return Finding("none", {"code": "no_food_safety"})
    return Finding(
        "food_safety", {"code": "food_safety", "number": found[0].number, "valid_to": found[0].valid_to.isoformat()}
    )


FINDERS = {
    "local_raw_material_share": local_raw_material_share,
    "certified_area": certified_area,
    "linkage_contracts": linkage_contracts,
    "legal_form": legal_form,
    "traceable_label": traceable_label,
    "story_in_traceability": story_in_traceability,
    "quality_declaration": quality_declaration,
    "quality_assurance": quality_assurance,
}


def option_for(prefill_map: dict | None, value) -> int | None:
    """The option a finding means: ``{"above": [[75, 3]], "at_least": [[50, 2], [0, 1]]}`` for shares
    (strictly above, then at least, best first), or ``{"levels": {"none": 1, "national": 2}}``."""
    if not prefill_map or value is None:
        return None
    if isinstance(value, Decimal):  # the exact share: 74.99 % is not 75 %, and 75.01 % is above 75 %
        for floor, n in prefill_map.get("above", []):
            if value > Decimal(str(floor)):
                return n
        return next((n for floor, n in prefill_map.get("at_least", []) if value >= Decimal(str(floor))), None)
    return prefill_map.get("levels", {}).get(value)
