"""A dossier's path: producer → commune (15 working days) → province → rating → certificate.

Who may take each step is decided here, not in the views: the producer's managers submit; the
commune's officials return, review (Mẫu 03) and send on; the province's officials return or rate.
Every step is an event in the producer's log, with its actor, and a row saying from where to where.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from traceability.accounts.policy import Write, writers
from traceability.accounts.tenancy import jurisdiction_filter, of_org
from traceability.clock import local_today
from traceability.errors import DomainError
from traceability.events.models import EventKind
from traceability.events.services import record_event
from traceability.extensions import db
from traceability.ocop.models import DossierStatus, OcopDossier, OcopTransition
from traceability.ocop.services import completeness
from traceability.quality.certificates import save_certificate
from traceability.quality.models import Certificate, CertificateKind

REVIEW_WORKING_DAYS = 15  # QĐ 26/2026: the commune checks a dossier within 15 working days
CERTIFICATE_MONTHS = 36
RERATING_WINDOW = (180, 120)  # a re-rating dossier is filed 180 to 120 days before expiry
PRODUCER_EDITORS = writers(Write.OCOP)


class NotAllowed(DomainError):
    """The user's role may not take this step."""


def add_working_days(start: dt.date, days: int) -> dt.date:
    """``days`` working days (Monday to Friday) after ``start``. Public holidays are not counted
    out: the deadline shown may be a day or two early around Tết, never late."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def review_due(dossier: OcopDossier) -> dt.date | None:
    if dossier.submitted_on is None:
        return None
    return add_working_days(dossier.submitted_on, REVIEW_WORKING_DAYS)


def is_overdue(dossier: OcopDossier, today: dt.date | None = None) -> bool:
    due = review_due(dossier)
    return dossier.status is DossierStatus.SUBMITTED and due is not None and (today or local_today()) > due


def authority_of(user: User, producer: Organisation, kind: OrganisationKind) -> Organisation | None:
    """The commune or province authority through which ``user`` is an official for ``producer``."""
    for authority in db.session.scalars(
        sa.select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id, Membership.role == Role.OFFICIAL, Organisation.kind == kind)
    ):
        if db.session.scalar(
            sa.select(Organisation.id).where(Organisation.id == producer.id, jurisdiction_filter(authority))
        ):
            return authority
    return None


@dataclass(frozen=True)
class Step:
    name: str
    from_statuses: tuple[DossierStatus, ...]
    to_status: DossierStatus
    actor: str  # "producer", "commune" or "province"


STEPS = {
    "submit": Step("submit", (DossierStatus.DRAFT, DossierStatus.RETURNED), DossierStatus.SUBMITTED, "producer"),
    "return_commune": Step(
        "return_commune", (DossierStatus.SUBMITTED, DossierStatus.REVIEWED), DossierStatus.RETURNED, "commune"
    ),
    "review": Step("review", (DossierStatus.SUBMITTED,), DossierStatus.REVIEWED, "commune"),
    "send": Step("send", (DossierStatus.REVIEWED,), DossierStatus.SENT, "commune"),
    "return_province": Step("return_province", (DossierStatus.SENT,), DossierStatus.RETURNED, "province"),
    "rate": Step("rate", (DossierStatus.SENT,), DossierStatus.RATED, "province"),
}


def allowed_steps(user: User, dossier: OcopDossier) -> list[str]:
    """The steps ``user`` may take on the dossier now: what the page offers as buttons."""
    producer = db.session.get(Organisation, dossier.organisation_id)
    return [
        name
        for name, step in STEPS.items()
        if dossier.status in step.from_statuses and _may_act(user, producer, step.actor)
    ]


def _may_act(user: User, producer: Organisation, actor: str) -> bool:
    if actor == "producer":
        return (
            db.session.scalar(
                sa.select(Membership.role).where(Membership.user_id == user.id, of_org(Membership, producer.id))
            )
            in PRODUCER_EDITORS
        )
    kind = OrganisationKind.COMMUNE_AUTHORITY if actor == "commune" else OrganisationKind.PROVINCE_AUTHORITY
    return authority_of(user, producer, kind) is not None


def take_step(
    dossier: OcopDossier,
    user: User,
    name: str,
    *,
    comment: str | None = None,
    assessment: dict | None = None,
    stars: int | None = None,
    decision_number: str | None = None,
    decided_on: dt.date | None = None,
) -> OcopTransition:
    step = STEPS.get(name)
    if step is None:
        raise DomainError(_("Unknown step."))
    producer = db.session.get(Organisation, dossier.organisation_id)
    if not _may_act(user, producer, step.actor):
        raise NotAllowed(_("Your role does not allow this step."))
    if dossier.status not in step.from_statuses:
        raise DomainError(_("The dossier is %(status)s: this step is not possible now.", status=dossier.status.value))
    comment = (comment or "").strip() or None
    if name.startswith("return") and not comment:
        raise DomainError(_("Say what the producer must change."), "comment")
    if name == "submit":
        missing = completeness(dossier).missing
        if missing:
            raise DomainError(_("The dossier is not complete. Still missing: %(list)s.", list="; ".join(missing)))
        dossier.submitted_on = local_today()
    elif name == "review":
        dossier.commune_assessment = _check_assessment(assessment)
    elif name == "rate":
        _rate(dossier, user, stars, decision_number, decided_on)
    previous = dossier.status
    dossier.status = step.to_status
    event = record_event(
        producer,
        EventKind.OCOP_DOSSIER,
        occurred_on=local_today(),
        recorded_by=user,
        payload={
            "dossier": dossier.id,
            "product": dossier.product.code,
            "step": name,
            "from": previous.value,
            "to": step.to_status.value,
            "comment": comment,
            "stars": dossier.stars if name == "rate" else None,
        },
    )
    transition = OcopTransition(
        dossier_id=dossier.id,
        event_id=event.id,
        from_status=previous,
        to_status=step.to_status,
        actor_id=user.id,
        comment=comment,
    )
    db.session.add(transition)
    db.session.flush()
    return transition


ASSESSMENT_FIELDS = ("local_raw_material", "local_labour", "origin_of_idea", "local_identity")


def _check_assessment(assessment: dict | None) -> dict:
    """Mẫu 03: the commune's word on the four things it knows best, each a short text."""
    assessment = assessment or {}
    missing = [f for f in ASSESSMENT_FIELDS if not str(assessment.get(f) or "").strip()]
    if missing:
        raise DomainError(_("Fill in every part of the commune's assessment."), missing[0])
    return {f: str(assessment[f]).strip()[:2000] for f in ASSESSMENT_FIELDS}


def _rate(dossier: OcopDossier, user: User, stars, decision_number, decided_on) -> None:
    if stars not in (1, 2, 3, 4, 5):
        raise DomainError(_("Choose the stars awarded (1 to 5)."), "stars")
    decision_number = (decision_number or "").strip()
    if stars >= 3 and not decision_number:
        raise DomainError(_("Give the number of the recognition decision."), "decision_number")
    decided_on = decided_on or local_today()
    dossier.stars, dossier.decision_number, dossier.decided_on = stars, decision_number or None, decided_on
    if stars >= 3:  # 1★ and 2★ are not recognised: no certificate (QĐ 26/2026 Art. 4)
        producer = db.session.get(Organisation, dossier.organisation_id)
        authority = authority_of(user, producer, OrganisationKind.PROVINCE_AUTHORITY)
        certificate = save_certificate(
            producer,
            user,
            kind=CertificateKind.OCOP,
            stars=stars,
            number=decision_number,
            issuer=authority.name if authority else _("Provincial People's Committee"),
            valid_from=decided_on,
            valid_to=add_months(decided_on, CERTIFICATE_MONTHS) - dt.timedelta(days=1),
            product_ids=[dossier.product_id],
        )
        dossier.certificate_id = certificate.id


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def rerating_window(certificate: Certificate) -> tuple[dt.date, dt.date]:
    """When the re-rating dossier is due: from 180 to 120 days before the certificate expires."""
    return (
        certificate.valid_to - dt.timedelta(days=RERATING_WINDOW[0]),
        certificate.valid_to - dt.timedelta(days=RERATING_WINDOW[1]),
    )
