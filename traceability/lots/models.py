from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.database import Base, created_at, intpk, org_fk, str20, str120
from traceability.enums import enum_type
from traceability.farm.models import Planting, Plot
from traceability.products.models import Product


class LotKind(enum.StrEnum):
    HARVEST = "harvest"
    PROCESSED = "processed"
    SALE = "sale"


class LotStatus(enum.StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    RECALLED = "recalled"
    EXPIRED = "expired"


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
    product_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 3))
    unit: Mapped[str] = mapped_column(sa.String(10))
    remaining_quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 3))
    status: Mapped[LotStatus] = mapped_column(enum_type(LotStatus), default=LotStatus.ACTIVE)
    produced_on: Mapped[dt.date]
    expires_on: Mapped[Optional[dt.date]]
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"))
    created_at: Mapped[created_at]

    # Harvest lots
    planting_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("plantings.id", ondelete="RESTRICT"), index=True)
    plot_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("plots.id", ondelete="RESTRICT"), index=True)
    harvester: Mapped[Optional[str120]]
    grade: Mapped[Optional[str]] = mapped_column(sa.String(20))
    # Accepted but to be reviewed: more than the plot could plausibly have grown.
    yield_flagged: Mapped[bool] = mapped_column(default=False)
    yield_note: Mapped[Optional[str]] = mapped_column(sa.Text)
    # May the lot be sold as VietGAP? Decided at harvest from certificates and the planting's record.
    vietgap_claim: Mapped[bool] = mapped_column(default=False)

    product: Mapped[Optional[Product]] = relationship()
    planting: Mapped[Optional[Planting]] = relationship()
    plot: Mapped[Optional[Plot]] = relationship()
    certificates: Mapped[list["Certificate"]] = relationship(secondary=lot_certificates)  # noqa: F821

    def __repr__(self) -> str:
        return f"<Lot {self.code}>"
