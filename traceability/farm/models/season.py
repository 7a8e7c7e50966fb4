"""Crop seasons on plots and what was applied to them.

These rows are projections of the event log (``traceability.events``): each is written together
with the event that records it, and a correction supersedes the row rather than editing history.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.database import Archivable, Base, created_at, intpk, org_fk, str40, str120, str255
from traceability.enums import enum_type
from traceability.farm.models.registry import Household, Plot
from traceability.i18n import format_date


class PlantingStatus(enum.StrEnum):
    GROWING = "growing"
    FINISHED = "finished"
    ABANDONED = "abandoned"


PLANTING_STATUS_LABELS = {
    PlantingStatus.GROWING: _l("Growing"),
    PlantingStatus.FINISHED: _l("Finished"),
    PlantingStatus.ABANDONED: _l("Abandoned"),
}


class Planting(Base):
    """One crop season on one plot."""

    __tablename__ = "plantings"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    plot_id: Mapped[int] = mapped_column(sa.ForeignKey("plots.id", ondelete="RESTRICT"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id", ondelete="RESTRICT"))
    crop: Mapped[str120]
    variety: Mapped[str120 | None]
    seed_source: Mapped[str255 | None]
    seed_lot: Mapped[str | None] = mapped_column(sa.String(60))
    sown_on: Mapped[dt.date]
    area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    expected_harvest_from: Mapped[dt.date | None]
    expected_harvest_to: Mapped[dt.date | None]
    status: Mapped[PlantingStatus] = mapped_column(enum_type(PlantingStatus), default=PlantingStatus.GROWING)
    # A banned active ingredient was applied: no harvest of this season may carry a VietGAP claim.
    non_conformant: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    plot: Mapped[Plot] = relationship()
    household: Mapped[Household | None] = relationship()
    # What made the season non-conformant is on the applications themselves (``banned_ingredient``):
    # the note is worded from them when read, in the reader's language, never stored as a sentence.
    banned_applications: Mapped[list[InputApplication]] = relationship(
        primaryjoin="and_(InputApplication.planting_id == Planting.id, InputApplication.banned_ingredient.is_not(None))",
        order_by="InputApplication.id",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<Planting {self.id} {self.crop}>"

    def non_conformity_text(self) -> str:
        """Why the season cannot be sold as VietGAP (the latest banned application recorded), in the
        language of the page or document."""
        if not self.banned_applications:
            return _("Not VietGAP: banned product used")
        application = self.banned_applications[-1]
        return _(
            "Banned active ingredient %(active)s applied on %(date)s (%(product)s).",
            active=application.banned_ingredient,
            date=format_date(application.applied_on),
            product=application.trade_name,
        )


class InputKind(enum.StrEnum):
    FERTILISER = "fertiliser"
    PLANT_PROTECTION = "plant_protection"  # thuốc bảo vệ thực vật: carries a pre-harvest interval
    OTHER = "other"


INPUT_KIND_LABELS = {
    InputKind.FERTILISER: _l("Fertiliser"),
    InputKind.PLANT_PROTECTION: _l("Plant-protection product"),
    InputKind.OTHER: _l("Other input"),
}


class PermittedInput(Archivable, Base):
    """The organisation's list of products its members may use (managers keep it)."""

    __tablename__ = "permitted_inputs"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "trade_name"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    kind: Mapped[InputKind] = mapped_column(enum_type(InputKind))
    trade_name: Mapped[str120]
    name_en: Mapped[str120 | None]  # for the English page; a brand name needs none
    active_ingredient: Mapped[str255 | None]
    phi_days: Mapped[int | None]  # from the product's label; required for plant-protection products
    dose_unit: Mapped[str | None] = mapped_column(sa.String(20))
    source: Mapped[str255 | None]  # where the PHI and registration were read
    created_at: Mapped[created_at]


class InputApplication(Base):
    """A fertiliser or plant-protection product applied to a planting, as recorded."""

    __tablename__ = "input_applications"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    planting_id: Mapped[int] = mapped_column(sa.ForeignKey("plantings.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[InputKind] = mapped_column(enum_type(InputKind))
    trade_name: Mapped[str120]
    active_ingredient: Mapped[str255 | None]
    dose: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    dose_unit: Mapped[str | None] = mapped_column(sa.String(20))
    area_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    method: Mapped[str40 | None]
    operator: Mapped[str120 | None]
    applied_on: Mapped[dt.date]
    phi_days: Mapped[int | None]
    # Flags decided when recorded, kept with the record.
    on_permitted_list: Mapped[bool] = mapped_column(default=True)
    banned_ingredient: Mapped[str120 | None]
    # Set when a correction replaced this row; the current rows are those without it.
    superseded: Mapped[bool] = mapped_column(default=False)

    planting: Mapped[Planting] = relationship()

    @property
    def harvest_allowed_from(self) -> dt.date | None:
        if self.phi_days is None:
            return None
        return self.applied_on + dt.timedelta(days=self.phi_days)
