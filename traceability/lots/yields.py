"""Expected yields of processing: per raw material and product, the organisation's own ranges first,
then the defaults kept as data in ``rules/processing_yields.json``."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.lots.models import ProcessingYield
from traceability.products.models import Product
from traceability.rules import fold, load


def expected_yield(org_id: int, input_name: str, product: Product) -> tuple[Decimal, Decimal, str] | None:
    """The organisation's own range first, then the defaults in ``rules/processing_yields.json``."""
    row = db.session.scalar(
        sa.select(ProcessingYield).where(
            of_org(ProcessingYield, org_id),
            ProcessingYield.output_product_id == product.id,
            ProcessingYield.input_name == input_name,
            ProcessingYield.archived_at.is_(None),
        )
    )
    if row:
        return row.min_ratio, row.max_ratio, row.source or ""
    for entry in load("processing_yields")["yields"]:
        if fold(entry["input_name"]) == fold(input_name) and entry["output_match"] in fold(product.name_vi):
            return Decimal(str(entry["min_ratio"])), Decimal(str(entry["max_ratio"])), entry["basis"]
    return None


def save_processing_yield(
    org: Organisation,
    row: ProcessingYield | None,
    *,
    input_name: str,
    output_product_id: int,
    min_ratio: Decimal,
    max_ratio: Decimal,
    source: str | None = None,
) -> ProcessingYield:
    """A manager's own expected range, which takes precedence over the defaults."""
    product = db.session.scalar(sa.select(Product).where(Product.id == output_product_id, of_org(Product, org.id)))
    if product is None:
        raise DomainError(_("Choose a product from the list."), "output_product_id")
    if min_ratio is None or max_ratio is None or min_ratio <= 0 or max_ratio < min_ratio:
        raise DomainError(_("Give a lowest and a highest yield, the lowest more than 0."), "max_ratio")
    clash = db.session.scalar(
        sa.select(ProcessingYield.id).where(
            of_org(ProcessingYield, org.id),
            ProcessingYield.input_name == input_name,
            ProcessingYield.output_product_id == product.id,
            ProcessingYield.id != (row.id if row else 0),
        )
    )
    if clash:
        raise DomainError(_("There is already a range for this raw material and product."), "input_name")
    row = row or ProcessingYield(organisation_id=org.id)
    row.input_name, row.output_product_id, row.min_ratio, row.max_ratio, row.source = (
        input_name,
        product.id,
        min_ratio,
        max_ratio,
        source,
    )
    db.session.add(row)
    db.session.flush()
    return row


def default_yields() -> dict:
    """The defaults that apply where the organisation has no range of its own, with their basis."""
    return load("processing_yields")
