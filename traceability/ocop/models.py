"""An OCOP dossier: a product's self-assessment under one criteria set, its evidence and its path
from the producer through the commune to the province's rating."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from traceability.database import Base, created_at, intpk, org_fk, str40, str255
from traceability.enums import enum_type
from traceability.ocop.findings import describe
from traceability.products.models import Product


class DossierStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # with the commune, which checks it within 15 working days
    RETURNED = "returned"  # back with the producer, with the commune's or province's comments
    REVIEWED = "reviewed"  # the commune has filled its assessment (Mẫu 03)
    SENT = "sent"  # with the province's OCOP council
    RATED = "rated"  # stars decided; a certificate is recorded when 3★ or more


DOSSIER_STATUS_LABELS = {
    DossierStatus.DRAFT: _l("Draft"),
    DossierStatus.SUBMITTED: _l("Submitted to the commune"),
    DossierStatus.RETURNED: _l("Returned for changes"),
    DossierStatus.REVIEWED: _l("Reviewed by the commune"),
    DossierStatus.SENT: _l("Sent to the province"),
    DossierStatus.RATED: _l("Rated"),
}


# The buttons of the dossier's path (see ocop.workflow.STEPS).
STEP_LABELS = {
    "submit": _l("Submit to the commune"),
    "return_commune": _l("Return to the producer"),
    "review": _l("Record the commune's assessment (Mẫu 03)"),
    "send": _l("Send to the province"),
    "return_province": _l("Return to the producer"),
    "rate": _l("Record the rating decision"),
}


class ApplicationType(enum.StrEnum):
    FIRST = "first"
    UPGRADE = "upgrade"
    RERATING = "rerating"


APPLICATION_TYPE_LABELS = {
    ApplicationType.FIRST: _l("First rating"),
    ApplicationType.UPGRADE: _l("Rating for more stars"),
    ApplicationType.RERATING: _l("Re-rating before the certificate expires"),
}


class OcopDossier(Base):
    __tablename__ = "ocop_dossiers"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    # The criteria set's id and version: a rating stays explainable after the rules change.
    criteria_set: Mapped[str] = mapped_column(sa.String(60))
    application_type: Mapped[ApplicationType] = mapped_column(enum_type(ApplicationType))
    status: Mapped[DossierStatus] = mapped_column(enum_type(DossierStatus), default=DossierStatus.DRAFT, index=True)
    # Mẫu 02 II: figures only the producer knows, for the last full year.
    results_year: Mapped[int | None]
    revenue_vnd: Mapped[Decimal | None] = mapped_column(sa.Numeric(16, 0))
    profit_vnd: Mapped[Decimal | None] = mapped_column(sa.Numeric(16, 0))
    plan: Mapped[str | None] = mapped_column(sa.Text)  # Mẫu 02 IV: the plan ahead
    # Mẫu 03, filled by the commune: local raw material, local labour, origin of the idea, local identity.
    commune_assessment: Mapped[dict | None] = mapped_column(sa.JSON)
    submitted_on: Mapped[dt.date | None]
    stars: Mapped[int | None]
    decision_number: Mapped[str | None] = mapped_column(sa.String(120))
    decided_on: Mapped[dt.date | None]
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id", ondelete="RESTRICT"))
    created_at: Mapped[created_at]

    product: Mapped[Product] = relationship()
    answers: Mapped[list[OcopAnswer]] = relationship(back_populates="dossier", order_by="OcopAnswer.id")


class OcopAnswer(Base):
    """One criterion's answer: the option chosen, what the records suggested, and why they differ."""

    __tablename__ = "ocop_answers"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "criterion_id"),)

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("ocop_dossiers.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[str] = mapped_column(sa.String(12))
    option_n: Mapped[int | None]
    suggested_n: Mapped[int | None]  # from the records, when they can answer
    # What the records show, as facts (``findings``), for a criterion they answer; the producer's own
    # note for one they cannot.
    finding: Mapped[dict | None] = mapped_column(sa.JSON)
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    override_reason: Mapped[str | None] = mapped_column(sa.Text)

    dossier: Mapped[OcopDossier] = relationship(back_populates="answers")

    def evidence_text(self) -> str | None:
        """What shows the answer, in the language of the page or the PDF."""
        return describe(self.finding) if self.finding else self.evidence


class OcopAttachment(Base):
    """A file of evidence (PDF, JPEG or PNG, checked by content), kept where photos are (blobs.py)."""

    __tablename__ = "ocop_attachments"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("ocop_dossiers.id", ondelete="RESTRICT"), index=True)
    criterion_id: Mapped[str | None] = mapped_column(sa.String(12))
    title: Mapped[str255]
    filename: Mapped[str255]
    mimetype: Mapped[str40]
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))  # or, in object storage, data_key
    data_key: Mapped[str | None] = mapped_column(sa.String(200))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[created_at]


class OcopTransition(Base):
    """A step of the dossier's path, with its actor and comment; each is also an event in the log."""

    __tablename__ = "ocop_transitions"

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("ocop_dossiers.id", ondelete="RESTRICT"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    from_status: Mapped[DossierStatus] = mapped_column(enum_type(DossierStatus))
    to_status: Mapped[DossierStatus] = mapped_column(enum_type(DossierStatus))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[created_at]
