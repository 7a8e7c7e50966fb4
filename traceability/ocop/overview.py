"""The officials' view of OCOP in their commune or province: stars, sets, dossiers, expiries, and how
much of each product's sold lots can be traced back to a plot."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import jurisdiction_filter, of_org
from traceability.clock import local_today
from traceability.extensions import db
from traceability.ocop.criteria import all_sets
from traceability.ocop.figures import sale_lots
from traceability.ocop.models import DossierStatus, OcopDossier, OcopTransition
from traceability.ocop.workflow import RERATING_WINDOW, is_overdue, rerating_window
from traceability.products.models import Product
from traceability.quality.models import Certificate, CertificateKind

EXPIRY_HORIZON_DAYS = 180


@dataclass
class ProductRow:
    product: Product
    organisation: Organisation
    stars: int | None
    sale_lots: int
    traceable: int

    @property
    def traceable_share(self) -> float | None:
        return self.traceable / self.sale_lots if self.sale_lots else None


@dataclass
class Overview:
    by_stars: Counter = field(default_factory=Counter)
    by_set: Counter = field(default_factory=Counter)  # criteria set id → dossiers
    set_labels: dict[str, str] = field(default_factory=dict)  # criteria set id → "1. Thực phẩm…"
    by_status: Counter = field(default_factory=Counter)
    overdue: list[OcopDossier] = field(default_factory=list)
    dossiers: list[OcopDossier] = field(default_factory=list)  # with the commune or province now
    all_dossiers: list[OcopDossier] = field(default_factory=list)  # every one, drafts included
    producers: dict[int, str] = field(default_factory=dict)  # organisation id → name
    expiring: list[tuple[Certificate, int, bool]] = field(default_factory=list)  # (certificate, days, in window)
    products: list[ProductRow] = field(default_factory=list)


def overview(authority: Organisation) -> Overview:
    today = local_today()
    result = Overview()
    orgs = {o.id: o for o in db.session.scalars(sa.select(Organisation).where(jurisdiction_filter(authority)))}
    if not orgs:
        return result
    result.producers = {o.id: o.name for o in orgs.values()}
    ids = list(orgs)
    ocop = db.session.scalars(
        sa.select(Certificate)
        .where(
            Certificate.organisation_id.in_(ids),
            Certificate.kind == CertificateKind.OCOP,
            Certificate.valid_from <= today,
            Certificate.valid_to >= today,
        )
        .options(selectinload(Certificate.products))
    ).all()
    stars_of = {}
    for certificate in ocop:
        for product in certificate.products:
            stars_of[product.id] = max(stars_of.get(product.id) or 0, certificate.stars or 0)
        days = (certificate.valid_to - today).days
        if days <= EXPIRY_HORIZON_DAYS:
            in_window = RERATING_WINDOW[1] <= days <= RERATING_WINDOW[0]
            result.expiring.append((certificate, days, in_window))
    result.expiring.sort(key=lambda row: row[1])
    dossiers = db.session.scalars(
        sa.select(OcopDossier).where(OcopDossier.organisation_id.in_(ids)).options(selectinload(OcopDossier.product))
    ).all()
    sets = all_sets()
    for dossier in dossiers:
        result.by_status[dossier.status] += 1
        known = sets.get(dossier.criteria_set)
        result.by_set[dossier.criteria_set] += 1
        result.set_labels[dossier.criteria_set] = (
            f"{known.set_number}. {known.name_vi}" if known else dossier.criteria_set
        )
        result.all_dossiers.append(dossier)
        if is_overdue(dossier, today):
            result.overdue.append(dossier)
        if dossier.status in (DossierStatus.SUBMITTED, DossierStatus.REVIEWED, DossierStatus.SENT):
            result.dossiers.append(dossier)
    traced = sale_lots(ids)
    products = db.session.scalars(
        sa.select(Product)
        .where(Product.organisation_id.in_(ids), Product.archived_at.is_(None))
        .order_by(Product.name_vi)
    ).all()
    for product in products:
        stars = stars_of.get(product.id)
        result.by_stars[stars or 0] += 1
        total, traceable = traced.get(product.id, (0, 0))
        result.products.append(ProductRow(product, orgs[product.organisation_id], stars, total, traceable))
    return result


def bars(counts: dict, labels: dict | None = None, links=None) -> list[tuple[str, int, float, str | None]]:
    """(label, value, share of the largest, link to the list behind it) for a horizontal bar chart
    drawn as SVG in the template; ``links(key)`` gives the link."""
    largest = max(counts.values(), default=0) or 1
    return [
        (str((labels or {}).get(key, key)), value, value / largest, links(key) if links else None)
        for key, value in counts.items()
    ]


def dossiers_of(result: Overview, *, status: DossierStatus | None, criteria_set: str | None) -> list[OcopDossier]:
    """The overview's dossiers (drafts included) of one status or criteria set, newest first."""
    chosen = [
        d
        for d in result.all_dossiers
        if (status is None or d.status == status) and (criteria_set is None or d.criteria_set == criteria_set)
    ]
    return sorted(chosen, key=lambda d: d.id, reverse=True)


@dataclass
class Reminder:
    text_key: str  # "returned" or "rerating"
    dossier: OcopDossier | None = None
    comment: str | None = None
    certificate: Certificate | None = None
    window: tuple | None = None


def producer_reminders(org_id: int) -> list[Reminder]:
    """For the producer's home page: dossiers sent back with comments, and OCOP certificates whose
    re-rating dossier is due within the next 180 days (filed 180 to 120 days before expiry)."""
    today = local_today()
    reminders = []
    for dossier in db.session.scalars(
        sa.select(OcopDossier).where(of_org(OcopDossier, org_id), OcopDossier.status == DossierStatus.RETURNED)
    ):
        comment = db.session.scalar(
            sa.select(OcopTransition.comment)
            .where(OcopTransition.dossier_id == dossier.id)
            .order_by(OcopTransition.id.desc())
            .limit(1)
        )
        reminders.append(Reminder("returned", dossier=dossier, comment=comment))
    for certificate in db.session.scalars(
        sa.select(Certificate).where(
            of_org(Certificate, org_id),
            Certificate.kind == CertificateKind.OCOP,
            Certificate.valid_to >= today,
        )
    ):
        opens, closes = rerating_window(certificate)
        if opens - today <= dt.timedelta(days=EXPIRY_HORIZON_DAYS) and today <= closes:
            reminders.append(Reminder("rerating", certificate=certificate, window=(opens, closes)))
    return reminders
