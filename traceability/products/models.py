from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from traceability.database import Archivable, Base, created_at, intpk, org_fk, str40, str255
from traceability.enums import enum_type
from traceability.units import Unit


class ProductKind(enum.StrEnum):
    FRESH = "fresh"
    PROCESSED = "processed"


PRODUCT_KIND_LABELS = {ProductKind.FRESH: _l("Fresh produce"), ProductKind.PROCESSED: _l("Processed product")}


class Product(Archivable, Base):
    __tablename__ = "products"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "code"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    code: Mapped[str40]
    name_vi: Mapped[str255]
    name_en: Mapped[str255 | None]
    kind: Mapped[ProductKind] = mapped_column(enum_type(ProductKind))
    unit: Mapped[Unit] = mapped_column(enum_type(Unit))
    # GTIN-14 (shorter GTINs are stored zero-padded); one brand owner per GTIN, hence unique overall.
    gtin: Mapped[str | None] = mapped_column(sa.String(14), unique=True)
    shelf_life_days: Mapped[int | None]
    ingredients: Mapped[str | None] = mapped_column(sa.Text)
    usage_instructions: Mapped[str | None] = mapped_column(sa.Text)
    storage_instructions: Mapped[str | None] = mapped_column(sa.Text)
    warnings: Mapped[str | None] = mapped_column(sa.Text)
    # The product's story, as sanitised HTML: shown on every public lot page (OCOP B5.1).
    story: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<Product {self.code}>"

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi
