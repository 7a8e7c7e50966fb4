"""Products: codes, GTINs and label texts. Services flush; the view commits."""

from __future__ import annotations

import nh3
import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.gs1 import normalise_gtin
from traceability.products.models import Product, ProductKind
from traceability.registry import check_code
from traceability.units import Unit

# The story is formatted text from the producer, shown on public pages: only harmless markup survives.
STORY_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h3", "h4", "blockquote"}


def save_product(
    org: Organisation,
    product: Product | None,
    *,
    code: str,
    name_vi: str,
    kind: str,
    unit: str,
    name_en: str | None = None,
    gtin: str | None = None,
    shelf_life_days: int | None = None,
    ingredients: str | None = None,
    usage_instructions: str | None = None,
    storage_instructions: str | None = None,
    warnings: str | None = None,
) -> Product:
    code = check_code(Product, org.id, code, product.id if product else None)
    gtin_norm = None
    if gtin:
        gtin_norm = normalise_gtin(gtin)
        if gtin_norm is None:
            raise DomainError(
                _("This GTIN is not valid: it needs 8, 12, 13 or 14 digits and a correct check digit."), "gtin"
            )
        taken = db.session.scalar(
            sa.select(Product.id).where(Product.gtin == gtin_norm, Product.id != (product.id if product else 0))
        )
        if taken:
            raise DomainError(_("This GTIN is already used by another product."), "gtin")
    if shelf_life_days is not None and not (0 < shelf_life_days <= 3650):
        raise DomainError(_("The shelf life is between 1 and 3650 days."), "shelf_life_days")
    product = product or Product(organisation_id=org.id)
    product.code = code
    product.name_vi = name_vi
    product.name_en = name_en
    product.kind = ProductKind(kind)
    product.unit = Unit(unit)
    product.gtin = gtin_norm
    product.shelf_life_days = shelf_life_days
    product.ingredients = ingredients
    product.usage_instructions = usage_instructions
    product.storage_instructions = storage_instructions
    product.warnings = warnings
    db.session.add(product)
    db.session.flush()
    return product


def sanitise_story(html: str | None) -> str | None:
    if not html or not html.strip():
        return None
    return nh3.clean(html, tags=STORY_TAGS, attributes={}, link_rel=None).strip() or None


def set_story(product: Product, html: str | None) -> None:
    product.story = sanitise_story(html)
