from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.accounts.models import User
from traceability.database import Base, created_at, intpk, org_fk, str40, str120, str255
from traceability.enums import enum_type
from traceability.farm.models import Household, Plot
from traceability.products.models import Product


class InspectionScope(enum.StrEnum):
    PLOT = "plot"
    HOUSEHOLD = "household"
    ORGANISATION = "organisation"


INSPECTION_SCOPE_LABELS = {
    InspectionScope.PLOT: _l("A plot"),
    InspectionScope.HOUSEHOLD: _l("A household"),
    InspectionScope.ORGANISATION: _l("The whole organisation"),
}


class Result(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "na"


RESULT_LABELS = {Result.PASS: _l("Pass"), Result.FAIL: _l("Fail"), Result.NOT_APPLICABLE: _l("Not applicable")}


class Inspection(Base):
    """An internal inspection against one version of a checklist (kept by code and version)."""

    __tablename__ = "inspections"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    scope: Mapped[InspectionScope] = mapped_column(enum_type(InspectionScope))
    plot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plots.id", ondelete="RESTRICT"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id", ondelete="RESTRICT"))
    checklist_code: Mapped[str40]
    checklist_version: Mapped[str40]
    inspected_on: Mapped[dt.date]
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    signed_off_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]

    plot: Mapped[Plot | None] = relationship()
    household: Mapped[Household | None] = relationship()
    inspector: Mapped[User] = relationship()
    results: Mapped[list[InspectionResult]] = relationship(back_populates="inspection", order_by="InspectionResult.id")
    non_conformities: Mapped[list[NonConformity]] = relationship(back_populates="inspection")


class InspectionResult(Base):
    __tablename__ = "inspection_results"
    __table_args__ = (sa.UniqueConstraint("inspection_id", "criterion_id"),)

    id: Mapped[intpk]
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[str40]
    result: Mapped[Result] = mapped_column(enum_type(Result))
    note: Mapped[str | None] = mapped_column(sa.Text)
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("photos.id", ondelete="RESTRICT"))

    inspection: Mapped[Inspection] = relationship(back_populates="results")


class NonConformity(Base):
    """A failed criterion and what will be done about it, by when."""

    __tablename__ = "non_conformities"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[str40]
    corrective_action: Mapped[str] = mapped_column(sa.Text)
    due_on: Mapped[dt.date]
    closed_on: Mapped[dt.date | None]
    closing_note: Mapped[str | None] = mapped_column(sa.Text)

    inspection: Mapped[Inspection] = relationship(back_populates="non_conformities")


class CertificateKind(enum.StrEnum):
    VIETGAP = "vietgap"
    ORGANIC = "organic"
    FOOD_SAFETY = "food_safety"  # giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm
    OCOP = "ocop"
    DECLARATION = "declaration"  # bản tự công bố sản phẩm: the product's declared quality standard
    OTHER = "other"


CERTIFICATE_KIND_LABELS = {
    CertificateKind.VIETGAP: _l("VietGAP"),
    CertificateKind.ORGANIC: _l("Organic"),
    CertificateKind.FOOD_SAFETY: _l("Food-safety facility"),
    CertificateKind.OCOP: _l("OCOP"),
    CertificateKind.DECLARATION: _l("Product declaration"),
    CertificateKind.OTHER: _l("Other"),
}

certificate_plots = sa.Table(
    "certificate_plots",
    Base.metadata,
    sa.Column("certificate_id", sa.ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("plot_id", sa.ForeignKey("plots.id", ondelete="RESTRICT"), primary_key=True),
)
certificate_households = sa.Table(
    "certificate_households",
    Base.metadata,
    sa.Column("certificate_id", sa.ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("household_id", sa.ForeignKey("households.id", ondelete="RESTRICT"), primary_key=True),
)
certificate_products = sa.Table(
    "certificate_products",
    Base.metadata,
    sa.Column("certificate_id", sa.ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="RESTRICT"), primary_key=True),
)


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        sa.CheckConstraint("valid_to >= valid_from", name="valid_range"),
        sa.CheckConstraint("stars IS NULL OR stars BETWEEN 1 AND 5", name="stars_range"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_type(CertificateKind))
    number: Mapped[str120]
    issuer: Mapped[str255]
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]
    # OCOP certificates only: the stars awarded (labels and public pages show them while valid).
    stars: Mapped[int | None] = mapped_column(sa.SmallInteger)
    created_at: Mapped[created_at]

    plots: Mapped[list[Plot]] = relationship(secondary=certificate_plots)
    households: Mapped[list[Household]] = relationship(secondary=certificate_households)
    products: Mapped[list[Product]] = relationship(secondary=certificate_products)

    def __repr__(self) -> str:
        return f"<Certificate {self.kind} {self.number}>"
