from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.database import Archivable, Base, created_at, intpk, org_fk, str20, str120, str255
from traceability.enums import enum_type
from traceability.farm.models import Planting, Plot
from traceability.i18n import format_number
from traceability.products.models import Product
from traceability.units import Unit


class LotKind(enum.StrEnum):
    HARVEST = "harvest"
    PROCESSED = "processed"
    SALE = "sale"


class LotStatus(enum.StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    RECALLED = "recalled"
    EXPIRED = "expired"


LOT_KIND_LABELS = {
    LotKind.HARVEST: _l("Harvest"),
    LotKind.PROCESSED: _l("Processed"),
    LotKind.SALE: _l("For sale"),
}

LOT_STATUS_LABELS = {
    LotStatus.ACTIVE: _l("Active"),
    LotStatus.CONSUMED: _l("Used up"),
    LotStatus.RECALLED: _l("Recalled"),
    LotStatus.EXPIRED: _l("Expired"),
}

lot_certificates = sa.Table(
    "lot_certificates",
    Base.metadata,
    sa.Column("lot_id", sa.ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("certificate_id", sa.ForeignKey("certificates.id", ondelete="RESTRICT"), primary_key=True),
)


class Lot(Base):
    """A quantity of one product with one history. Its code is safe as a GS1 batch/lot (AI 10)."""

    __tablename__ = "lots"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "code"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("remaining_quantity >= 0", name="remaining_not_negative"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    code: Mapped[str20]
    kind: Mapped[LotKind] = mapped_column(enum_type(LotKind))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 3))
    unit: Mapped[Unit] = mapped_column(enum_type(Unit, length=10))
    remaining_quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 3))
    status: Mapped[LotStatus] = mapped_column(enum_type(LotStatus), default=LotStatus.ACTIVE)
    produced_on: Mapped[dt.date]
    expires_on: Mapped[dt.date | None]
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"))
    created_at: Mapped[created_at]

    # Harvest lots
    planting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plantings.id", ondelete="RESTRICT"), index=True)
    plot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plots.id", ondelete="RESTRICT"), index=True)
    harvester: Mapped[str120 | None]
    grade: Mapped[str | None] = mapped_column(sa.String(20))
    # Accepted but to be reviewed: more than the plot could plausibly have grown. What was compared
    # is kept as numbers (the season's harvests with this one, the area, the plausible most for it),
    # so the note is worded when read, in the reader's language.
    yield_flagged: Mapped[bool] = mapped_column(default=False)
    yield_season_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 3))
    yield_area_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    yield_max_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 3))
    # May the lot be sold as VietGAP? Decided at harvest from certificates and the planting's record.
    vietgap_claim: Mapped[bool] = mapped_column(default=False)
    # Does its history reach a harvest from one of our plots? Fixed when it is made (its inputs never
    # change): a harvest's plot, any input's for a processed lot, its source's for a sale lot. The officials'
    # "traceable share" counts it instead of walking every sale lot's lineage back on each view.
    from_plot: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # What the lot is when it has no product yet (a harvest lot's crop, a bought-in raw material).
    crop: Mapped[str120 | None]

    # Sale lots: units of a net content each (quantity counts the units).
    net_content: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    net_unit: Mapped[Unit | None] = mapped_column(enum_type(Unit, length=10))

    # Bought-in lots: who sold it to us and under what code.
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("parties.id", ondelete="RESTRICT"))
    supplier_lot_code: Mapped[str | None] = mapped_column(sa.String(60))
    recall_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recalls.id", ondelete="RESTRICT", use_alter=True), index=True
    )

    product: Mapped[Product | None] = relationship()
    supplier: Mapped[Party | None] = relationship()
    planting: Mapped[Planting | None] = relationship()
    plot: Mapped[Plot | None] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(secondary=lot_certificates)  # noqa: F821

    def __repr__(self) -> str:
        return f"<Lot {self.code}>"

    @property
    def label(self) -> str:
        return self.product.name_vi if self.product else (self.crop or self.code)

    def yield_text(self) -> str:
        """Why the harvest is to be reviewed, in the language of the page or document."""
        facts = {
            "total": format_number(self.yield_season_kg),
            "area": format_number(self.yield_area_m2),
            "crop": self.crop or "",
        }
        if self.yield_max_kg is None:  # flagged before it was kept, and its old note unreadable (0008)
            return _(
                "This season's harvests (%(total)s kg) are more than %(area)s m² of %(crop)s can plausibly yield.",
                **facts,
            )
        return _(
            "This season's harvests (%(total)s kg) exceed the plausible %(ceiling)s kg for %(area)s m² of %(crop)s.",
            ceiling=format_number(self.yield_max_kg),
            **facts,
        )


class LotLink(Base):
    """An edge of the lot graph: ``quantity`` of ``input_lot`` went into ``output_lot`` at ``event``."""

    __tablename__ = "lot_links"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), index=True)
    input_lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="RESTRICT"), index=True)
    output_lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 3))  # in the input lot's unit


class PartyKind(enum.StrEnum):
    TRADER = "trader"
    SHOP = "shop"
    SUPERMARKET = "supermarket"
    CONSUMER = "consumer"
    EXPORTER = "exporter"
    PROCESSOR = "processor"
    FARMER = "farmer"
    OTHER = "other"


PARTY_KIND_LABELS = {
    PartyKind.TRADER: _l("Trader"),
    PartyKind.SHOP: _l("Shop"),
    PartyKind.SUPERMARKET: _l("Supermarket"),
    PartyKind.CONSUMER: _l("Consumer"),
    PartyKind.EXPORTER: _l("Exporter"),
    PartyKind.PROCESSOR: _l("Processor"),
    PartyKind.FARMER: _l("Farmer"),
    PartyKind.OTHER: _l("Other"),
}


class Party(Archivable, Base):
    """A buyer or a supplier. Contact details are private: never on a public page or label."""

    __tablename__ = "parties"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    name: Mapped[str120]
    kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str255 | None]
    address: Mapped[str255 | None]
    created_at: Mapped[created_at]


class Sale(Base):
    """Part of a lot shipped to a buyer: the one step forward that a recall needs."""

    __tablename__ = "sales"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="RESTRICT"), index=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("parties.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 3))  # in the lot's unit (units for sale lots)
    sold_on: Mapped[dt.date]
    invoice_ref: Mapped[str | None] = mapped_column(sa.String(60))

    lot: Mapped[Lot] = relationship()
    buyer: Mapped[Party] = relationship()


class UnitSerial(Base):
    """One packed unit's serial: random, unguessable, unique everywhere (printed in its QR)."""

    __tablename__ = "unit_serials"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="RESTRICT"), index=True)
    serial: Mapped[str20] = mapped_column(unique=True)


class ProcessingRun(Base):
    """A transformation: input lots (partly) used, steps, output lots; its yield checked."""

    __tablename__ = "processing_runs"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    processed_on: Mapped[dt.date]
    steps: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"step", "on", "operator"}]
    yield_ratio: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 6))
    expected_min: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 6))
    expected_max: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 6))
    # Outside the expected range: accepted only with a reason, and stays flagged.
    yield_flagged: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)


class ProcessingYield(Archivable, Base):
    """Expected output per unit of input for one raw material and one product (managers edit it)."""

    __tablename__ = "processing_yields"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "input_name", "output_product_id"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    input_name: Mapped[str120]  # the input lot's crop or product name, e.g. "Nghệ"
    output_product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"))
    # Output (kg or litres) per kilogram (or piece) of input.
    min_ratio: Mapped[Decimal] = mapped_column(sa.Numeric(12, 6))
    max_ratio: Mapped[Decimal] = mapped_column(sa.Numeric(12, 6))
    source: Mapped[str255 | None]

    output_product: Mapped[Product] = relationship()


class Disposal(enum.StrEnum):
    RELABEL = "relabel"  # fix the product or its label
    CHANGE_OF_USE = "change_of_use"
    RE_EXPORT = "re_export"
    DESTRUCTION = "destruction"


DISPOSAL_LABELS = {
    Disposal.RELABEL: _l("Relabel or fix the product"),
    Disposal.CHANGE_OF_USE: _l("Change of use"),
    Disposal.RE_EXPORT: _l("Re-export"),
    Disposal.DESTRUCTION: _l("Destruction"),
}


class Recall(Base):
    __tablename__ = "recalls"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(sa.Text)
    opened_on: Mapped[dt.date]
    closed_on: Mapped[dt.date | None]
    disposal: Mapped[Disposal | None] = mapped_column(enum_type(Disposal))
    disposal_note: Mapped[str | None] = mapped_column(sa.Text)

    lot: Mapped[Lot] = relationship(foreign_keys=[lot_id])
