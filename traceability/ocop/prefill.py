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
from traceability.farm.models import Plot, Village
from traceability.lots import lineage
from traceability.lots.models import Lot, LotKind, LotLink, Party, Sale, UnitSerial
from traceability.products.models import Product
from traceability.quality.models import Certificate, CertificateKind
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


def _raw_material(org: Organisation, product: Product) -> list[tuple[Lot, Decimal]]:
    """The harvest and bought-in lots that went into the product's lots of the last year, with the
    quantity each gave (read from the links, so a harvest split between products counts once each)."""
    made_from = lineage.walk(
        sa.select(Lot.id).where(of_org(Lot, org.id), Lot.product_id == product.id, Lot.produced_on >= _since()),
        forward=False,
    ).subquery()
    rows = db.session.execute(
        sa.select(Lot, sa.func.sum(LotLink.quantity))
        .join(LotLink, LotLink.input_lot_id == Lot.id)
        .where(
            Lot.id.in_(sa.select(made_from.c.lot_id)),
            LotLink.output_lot_id.in_(sa.select(made_from.c.lot_id)),
            sa.or_(Lot.planting_id.is_not(None), Lot.supplier_id.is_not(None)),
        )
        .group_by(Lot.id)
    ).all()
    return [(lot, Decimal(quantity)) for lot, quantity in rows]


def local_raw_material_share(org: Organisation, product: Product, spec: dict) -> Finding | None:
    """Share of raw material grown on the organisation's own plots or bought from suppliers whose
    name or address names the commune, the province or one of its villages."""
    raw = _raw_material(org, product)
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
    today = local_today()
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(
            of_org(Certificate, org.id),
            Certificate.kind.in_([CertificateKind.VIETGAP, CertificateKind.ORGANIC]),
            Certificate.valid_from <= today,
            Certificate.valid_to >= today,
        )
        .options(selectinload(Certificate.plots), selectinload(Certificate.households))
    ).all()
    if not certificates:
        return Finding("none", {"code": "no_certificate"})
    plots = db.session.scalars(sa.select(Plot).where(of_org(Plot, org.id), Plot.archived_at.is_(None))).all()
    covered = [p for p in plots if any(_covers(c, p) for c in certificates)]
    area = sum((p.area_m2 for p in covered), Decimal(0))
    return Finding(
        "national" if covered else "none",
        {
            "code": "certified_area",
            "certificates": [
                {"number": c.number, "issuer": c.issuer, "valid_to": c.valid_to.isoformat()} for c in certificates
            ],
            "plots": len(covered),
            "of_plots": len(plots),
            "area_m2": _decimal(area),
        },
    )


def _covers(certificate: Certificate, plot: Plot) -> bool:
    if not certificate.plots and not certificate.households:
        return True
    return plot in certificate.plots or (
        plot.household_id is not None and any(h.id == plot.household_id for h in certificate.households)
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
    serials = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(UnitSerial)
        .join(Lot, Lot.id == UnitSerial.lot_id)
        .where(Lot.product_id == product.id)
    )
    # Sale lots are what carries a label; a product only processed so far has none yet.
    lots = db.session.scalar(
        sa.select(sa.func.count()).select_from(Lot).where(Lot.product_id == product.id, Lot.kind == LotKind.SALE)
    )
    if not lots:
        return Finding("none", {"code": "no_sale_lot"})
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
