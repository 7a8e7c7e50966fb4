from __future__ import annotations

import enum
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.database import Archivable, Base, created_at, intpk, org_fk, str40, str120
from traceability.enums import enum_type


class Village(Archivable, Base):
    __tablename__ = "villages"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    name: Mapped[str120]
    commune: Mapped[str120]
    province: Mapped[str120]
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<Village {self.name}>"


class Household(Archivable, Base):
    """A member household: people who may never log in. Its phone number is private."""

    __tablename__ = "households"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    name: Mapped[str120]
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("villages.id", ondelete="RESTRICT"), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[created_at]

    village: Mapped[Village] = relationship()

    def __repr__(self) -> str:
        return f"<Household {self.name}>"


class VietGapStatus(enum.StrEnum):
    NONE = "none"
    CONVERTING = "converting"  # following VietGAP, not yet certified
    CERTIFIED = "certified"


VIETGAP_STATUS_LABELS = {
    VietGapStatus.NONE: _l("Not VietGAP"),
    VietGapStatus.CONVERTING: _l("Converting to VietGAP"),
    VietGapStatus.CERTIFIED: _l("VietGAP certified"),
}


class Plot(Archivable, Base):
    __tablename__ = "plots"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "code"),
        sa.CheckConstraint("area_m2 > 0", name="area_positive"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    code: Mapped[str40]
    name: Mapped[str120]
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("villages.id", ondelete="RESTRICT"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id", ondelete="RESTRICT"), index=True)
    area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    crop: Mapped[str120]
    # Field coordinates (WGS 84). A plot is not a home, but public pages still show only the village.
    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    vietgap_status: Mapped[VietGapStatus] = mapped_column(enum_type(VietGapStatus), default=VietGapStatus.NONE)
    created_at: Mapped[created_at]

    village: Mapped[Village] = relationship()
    household: Mapped[Household | None] = relationship()

    def __repr__(self) -> str:
        return f"<Plot {self.code}>"
