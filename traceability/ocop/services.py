"""OCOP dossiers: started from the records, answered criterion by criterion, scored as the council would."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import of_org
from traceability.errors import DomainError, FieldErrors
from traceability.extensions import db
from traceability.ocop import prefill
from traceability.ocop.criteria import CriteriaSet, get_set
from traceability.ocop.findings import NOTHING
from traceability.ocop.models import ApplicationType, DossierStatus, OcopAnswer, OcopAttachment, OcopDossier
from traceability.ocop.scoring import Score, score
from traceability.products.models import Product
from traceability.products.services import set_story

EDITABLE = (DossierStatus.DRAFT, DossierStatus.RETURNED)


def criteria_set_of(dossier: OcopDossier) -> CriteriaSet:
    criteria_set = get_set(dossier.criteria_set)
    if criteria_set is None:  # a set file removed: the dossier names it, the data must come back
        raise DomainError(_("The criteria set %(id)s is no longer installed.", id=dossier.criteria_set))
    return criteria_set


def start_dossier(
    org: Organisation, user: User, *, product_id: int, criteria_set: str, application_type: str = ApplicationType.FIRST
) -> OcopDossier:
    product = db.session.scalar(sa.select(Product).where(Product.id == product_id, of_org(Product, org.id)))
    if product is None:
        raise DomainError(_("Choose from the list."), "product_id")
    if get_set(criteria_set) is None:
        raise DomainError(_("Choose from the list."), "criteria_set")
    try:
        application_type = ApplicationType(application_type)
    except ValueError:
        raise DomainError(_("Choose from the list."), "application_type") from None
    dossier = OcopDossier(
        organisation_id=org.id,
        product_id=product.id,
        criteria_set=criteria_set,
        application_type=application_type,
        status=DossierStatus.DRAFT,
    )
    db.session.add(dossier)
    db.session.flush()
    refresh_from_records(dossier)
    return dossier


def refresh_from_records(dossier: OcopDossier) -> None:
    """Fill what the records can answer. An answer the producer changed, with a reason, is kept."""
    org = db.session.get(Organisation, dossier.organisation_id)
    product = db.session.get(Product, dossier.product_id)
    existing = {a.criterion_id: a for a in dossier.answers}
    for criterion in criteria_set_of(dossier).criteria:
        finder = prefill.FINDERS.get(criterion.prefill or "")
        if finder is None:
            continue
        prefill_map = (
            next(
                (
                    c.get("prefill_map")
                    for p in criteria_set_of(dossier).raw["parts"]
                    for s in p["sections"]
                    for c in s["criteria"]
                    if c["id"] == criterion.id
                ),
                None,
            )
            or {}
        )
        finding = finder(org, product, prefill_map)
        answer = existing.get(criterion.id)
        if answer is None:
            answer = OcopAnswer(dossier_id=dossier.id, criterion_id=criterion.id)
            dossier.answers.append(answer)
        # The records' facts, worded when shown; a criterion the records answer takes no note.
        answer.evidence = None
        if finding is None:
            answer.suggested_n, answer.finding = None, dict(NOTHING)
            continue
        answer.suggested_n = prefill.option_for(prefill_map, finding.value)
        answer.finding = finding.facts
        # The records' answer replaces the option unless the producer chose otherwise with a reason;
        # when the records suggest nothing, the producer's own choice stays.
        if answer.suggested_n is not None and not answer.override_reason:
            answer.option_n = answer.suggested_n
    db.session.flush()


def check_editable(dossier: OcopDossier) -> None:
    if dossier.status not in EDITABLE:
        raise DomainError(_("The dossier is with the commune or the province: it cannot be changed now."))


def save_answers(dossier: OcopDossier, entries: dict[str, tuple[int | None, str | None, str | None]]) -> None:
    """One part's answers, each ``criterion id → (option, note, reason)``: all saved, or none, with
    every criterion's problem named at once."""
    errors = {}
    for criterion_id, (option_n, note, override_reason) in entries.items():
        try:
            with db.session.begin_nested():
                save_answer(dossier, criterion_id, option_n, note=note, override_reason=override_reason)
        except DomainError as error:
            errors[criterion_id] = error.message
    if errors:
        raise FieldErrors(errors)


def save_answer(
    dossier: OcopDossier,
    criterion_id: str,
    option_n: int | None,
    *,
    note: str | None = None,
    override_reason: str | None = None,
) -> OcopAnswer:
    check_editable(dossier)
    criterion = criteria_set_of(dossier).criterion(criterion_id)
    if criterion is None:
        raise DomainError(
            _("%(id)s is not a criterion of %(set)s.", id=criterion_id, set=dossier.criteria_set), "criterion_id"
        )
    if option_n is not None and criterion.option(option_n) is None:
        raise DomainError(
            _(
                "%(id)s has no option %(n)s: choose 1 to %(last)s.",
                id=criterion_id,
                n=option_n,
                last=len(criterion.options),
            ),
            "option_n",
        )
    answer = next((a for a in dossier.answers if a.criterion_id == criterion_id), None)
    if answer is None:
        answer = OcopAnswer(dossier_id=dossier.id, criterion_id=criterion_id)
        dossier.answers.append(answer)
    override_reason = (override_reason or "").strip() or None
    if answer.suggested_n is not None and option_n != answer.suggested_n and not override_reason:
        raise DomainError(
            _("The records suggest option %(n)s. Say why you choose otherwise.", n=answer.suggested_n),
            "override_reason",
        )
    answer.option_n = option_n
    answer.override_reason = override_reason if option_n != answer.suggested_n else None
    if criterion.prefill is None:
        answer.evidence = (note or "").strip() or None
    db.session.flush()
    return answer


def dossier_score(dossier: OcopDossier) -> Score:
    answers = {a.criterion_id: a.option_n for a in dossier.answers if a.option_n is not None}
    return score(criteria_set_of(dossier), answers)


@dataclass
class Completeness:
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


def completeness(dossier: OcopDossier) -> Completeness:
    """What the dossier still lacks before the commune can take it (Mẫu 01, Mẫu 02, evidence)."""
    result = dossier_score(dossier)
    missing = [_("criterion %(id)s has no answer", id=c.id) for c in result.unanswered]
    product = db.session.get(Product, dossier.product_id)
    if not dossier.results_year or dossier.revenue_vnd is None or dossier.profit_vnd is None:
        missing.append(_("the year's revenue and profit (Mẫu 02, part II)"))
    if not (dossier.plan or "").strip():
        missing.append(_("the plan ahead (Mẫu 02, part IV)"))
    if not product.story:
        missing.append(_("the product's story"))
    has_files = db.session.scalar(
        sa.select(sa.func.count()).select_from(OcopAttachment).where(OcopAttachment.dossier_id == dossier.id)
    )
    if not has_files:
        missing.append(_("at least one attached document (business registration, test report, …)"))
    return Completeness(missing)


def save_details(
    dossier: OcopDossier,
    *,
    story: str | None,
    results_year: int | None,
    revenue_vnd: Decimal | None,
    profit_vnd: Decimal | None,
    plan: str | None,
) -> OcopDossier:
    """The dossier's figures and plan (Mẫu 02), and the product's story, which the public pages show too."""
    check_editable(dossier)
    set_story(db.session.get(Product, dossier.product_id), story)
    dossier.results_year, dossier.revenue_vnd, dossier.profit_vnd = results_year, revenue_vnd, profit_vnd
    dossier.plan = plan
    return dossier
