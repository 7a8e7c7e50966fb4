"""Internal inspections against a versioned checklist, non-conformities, and certificates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import in_org, of_org
from traceability.database import utcnow
from traceability.errors import DomainError, FieldErrors
from traceability.events.models import EventKind
from traceability.events.services import check_not_future, record_event
from traceability.extensions import db
from traceability.farm.models import Household, Plot
from traceability.quality.models import (
    Certificate,
    CertificateKind,
    Inspection,
    InspectionResult,
    InspectionScope,
    NonConformity,
    Result,
)
from traceability.rules import load

CHECKLIST = "vietgap_tcvn_11892_1_2017"  # the checklist new inspections use
CHECKLIST_FILES = {("vietgap-crops", "TCVN 11892-1:2017"): CHECKLIST}  # every version ever used stays here


def checklist(code: str | None = None, version: str | None = None) -> dict:
    """The checklist an inspection was made under (the current one when not given)."""
    name = CHECKLIST_FILES[(code, version)] if code else CHECKLIST
    return load(name)


def criteria_by_id(data: dict) -> dict[str, dict]:
    return {c["id"]: {**c, "group": g} for g in data["groups"] for c in g["criteria"]}


def start_inspection(
    org: Organisation,
    inspector: User,
    *,
    scope: InspectionScope | str,
    inspected_on: dt.date,
    plot_id: int | None = None,
    household_id: int | None = None,
) -> Inspection:
    scope = InspectionScope(scope)
    plot = household = None
    if scope is InspectionScope.PLOT:
        plot = in_org(Plot, org, plot_id, field="plot_id", active=True, message=_("Choose a plot from the list."))
        household = plot.household
    elif scope is InspectionScope.HOUSEHOLD:
        household = in_org(
            Household,
            org,
            household_id,
            field="household_id",
            active=True,
            message=_("Choose a household from the list."),
        )
    check_not_future(inspected_on, "inspected_on")
    data = checklist()
    event = record_event(
        org,
        EventKind.INSPECTION,
        occurred_on=inspected_on,
        recorded_by=inspector,
        plot_id=plot.id if plot else None,
        for_household=household,
        date_field="inspected_on",
        payload={"scope": scope, "checklist": data["code"], "version": data["version"]},
    )
    inspection = Inspection(
        organisation_id=org.id,
        event_id=event.id,
        scope=scope,
        plot=plot,
        household=household,
        checklist_code=data["code"],
        checklist_version=data["version"],
        inspected_on=inspected_on,
        inspector=inspector,
    )
    db.session.add(inspection)
    db.session.flush()
    return inspection


def _editable(inspection: Inspection) -> None:
    if inspection.signed_off_at is not None:
        raise DomainError(_("This inspection is signed off: it can no longer be changed."))


def record_results(inspection: Inspection, results: dict[str, tuple[Result | str, str | None]]) -> None:
    """Set the result (and note) of some criteria; criteria not in ``results`` are left as they are.

    Each result must be pass, fail or not applicable, and a failure must say what was found; every
    criterion that breaks this is named at once (``FieldErrors``), and nothing is saved."""
    _editable(inspection)
    known = criteria_by_id(checklist(inspection.checklist_code, inspection.checklist_version))
    errors = {}
    for criterion_id, (result, note) in results.items():
        if criterion_id not in known:
            raise DomainError(_("Unknown criterion %(id)s.", id=criterion_id))
        if result not in {r.value for r in Result}:
            errors[criterion_id] = _("Choose pass, fail or not applicable.")
        elif result == Result.FAIL and not note:
            errors[criterion_id] = _("Say what was found.")
    if errors:
        raise FieldErrors(errors)
    existing = {r.criterion_id: r for r in inspection.results}
    for criterion_id, (result, note) in results.items():
        row = existing.get(criterion_id)
        if row is None:
            row = InspectionResult(inspection=inspection, criterion_id=criterion_id, result=Result(result))
            db.session.add(row)
        row.result = Result(result)
        row.note = note
    db.session.flush()


def add_non_conformity(
    inspection: Inspection, *, criterion_id: str, corrective_action: str, due_on: dt.date
) -> NonConformity:
    _editable(inspection)
    failed = {r.criterion_id for r in inspection.results if r.result is Result.FAIL}
    if criterion_id not in failed:
        raise DomainError(_("A non-conformity belongs to a criterion that failed."), "criterion_id")
    if due_on < inspection.inspected_on:
        raise DomainError(_("The due date is before the inspection."), "due_on")
    nc = NonConformity(
        organisation_id=inspection.organisation_id,
        inspection=inspection,
        criterion_id=criterion_id,
        corrective_action=corrective_action,
        due_on=due_on,
    )
    db.session.add(nc)
    db.session.flush()
    return nc


def sign_off(inspection: Inspection, inspector: User) -> Inspection:
    """The inspector signs: every criterion answered, every failure with a corrective action."""
    _editable(inspection)
    if inspector.id != inspection.inspector_id:
        raise DomainError(_("Only the inspector who made the inspection signs it off."))
    known = criteria_by_id(checklist(inspection.checklist_code, inspection.checklist_version))
    answered = {r.criterion_id for r in inspection.results}
    missing = [cid for cid in known if cid not in answered]
    if missing:
        raise DomainError(_("%(n)s criteria have no result yet, first %(id)s.", n=len(missing), id=missing[0]))
    failed = {r.criterion_id for r in inspection.results if r.result is Result.FAIL}
    covered = {nc.criterion_id for nc in inspection.non_conformities}
    if failed - covered:
        raise DomainError(
            _("Give a corrective action for every failed criterion, first %(id)s.", id=sorted(failed - covered)[0])
        )
    inspection.signed_off_at = utcnow()
    return inspection


def close_non_conformity(nc: NonConformity, *, closed_on: dt.date, note: str | None) -> NonConformity:
    if nc.closed_on is not None:
        raise DomainError(_("This non-conformity is already closed."))
    check_not_future(closed_on, "closed_on")
    nc.closed_on = closed_on
    nc.closing_note = note
    return nc


@dataclass
class QualityAlerts:
    overdue: list[NonConformity]
    expiring: list[tuple[Certificate, int]]  # (certificate, days left): warned at 90 and again at 30
    last_inspection: dt.date | None
    inspection_due: bool  # no signed-off internal inspection in the last 12 months


def quality_alerts(org_id: int, today: dt.date) -> QualityAlerts:
    overdue = db.session.scalars(
        sa.select(NonConformity)
        .where(of_org(NonConformity, org_id), NonConformity.closed_on.is_(None), NonConformity.due_on < today)
        .order_by(NonConformity.due_on)
    ).all()
    expiring = db.session.scalars(
        sa.select(Certificate)
        .where(
            of_org(Certificate, org_id),
            Certificate.valid_to >= today,
            Certificate.valid_to <= today + dt.timedelta(days=90),
        )
        .order_by(Certificate.valid_to)
    ).all()
    last = db.session.scalar(
        sa.select(sa.func.max(Inspection.inspected_on)).where(
            of_org(Inspection, org_id), Inspection.signed_off_at.is_not(None)
        )
    )
    due = last is None or last < today - dt.timedelta(days=365)
    return QualityAlerts(list(overdue), [(c, (c.valid_to - today).days) for c in expiring], last, due)


@dataclass(frozen=True)
class CertifiedPlots:
    """The plots a valid VietGAP or organic certificate covers: the one figure the dashboard and the
    OCOP dossier (criterion A1.2) both state, whatever each plot's own VietGAP status says."""

    certificates: list[Certificate]
    plots: list[Plot]  # covered, not archived
    of_plots: int  # every plot not archived

    @property
    def area_m2(self):
        return sum((p.area_m2 for p in self.plots), 0)

    @property
    def plot_ids(self) -> set[int]:
        return {p.id for p in self.plots}


def certified_plots(org_id: int, today: dt.date) -> CertifiedPlots:
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(
            of_org(Certificate, org_id),
            Certificate.kind.in_([CertificateKind.VIETGAP, CertificateKind.ORGANIC]),
            Certificate.valid_from <= today,
            Certificate.valid_to >= today,
        )
        .order_by(Certificate.valid_to)
        .options(selectinload(Certificate.plots), selectinload(Certificate.households))
    ).all()
    plots = db.session.scalars(
        sa.select(Plot).where(of_org(Plot, org_id), Plot.archived_at.is_(None)).order_by(Plot.code)
    ).all()
    covered = [p for p in plots if any(_covers(c, p) for c in certificates)]
    return CertifiedPlots(list(certificates), covered, len(plots))


def _covers(certificate: Certificate, plot: Plot) -> bool:
    """A certificate naming no plot and no household covers the whole organisation."""
    if not certificate.plots and not certificate.households:
        return True
    return plot in certificate.plots or (
        plot.household_id is not None and any(h.id == plot.household_id for h in certificate.households)
    )
