"""Certificates (VietGAP, organic, food safety, OCOP ratings): recorded with their scope, and the
questions the rest of the system asks of them — which cover a plot on a day, which OCOP stars a
label or public page may show today."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import all_in_org, of_org
from traceability.clock import local_today
from traceability.errors import DomainError
from traceability.events.models import EventKind
from traceability.events.services import record_event
from traceability.extensions import db
from traceability.farm.models import Household, Plot
from traceability.products.models import Product
from traceability.quality.models import Certificate, CertificateKind


def save_certificate(
    org: Organisation,
    user: User,
    *,
    kind: CertificateKind | str,
    number: str,
    issuer: str,
    valid_from: dt.date,
    valid_to: dt.date,
    plot_ids=(),
    household_ids=(),
    product_ids=(),
    stars: int | str | None = None,
) -> Certificate:
    if valid_to < valid_from:
        raise DomainError(_("The end of validity is before its start."), "valid_to")
    kind = CertificateKind(kind)
    try:
        stars = int(stars) if stars not in (None, "") else None
    except (TypeError, ValueError):
        stars = 0  # refused just below, with the field named
    if kind is CertificateKind.OCOP and stars not in (1, 2, 3, 4, 5):
        raise DomainError(_("Choose the stars awarded (1 to 5)."), "stars")
    if kind is not CertificateKind.OCOP:
        stars = None  # stars belong to OCOP ratings only
    plots = all_in_org(Plot, org, plot_ids, field="plot_ids")
    households = all_in_org(Household, org, household_ids, field="household_ids")
    products = all_in_org(Product, org, product_ids, field="product_ids")
    event = record_event(
        org,
        EventKind.CERTIFICATE,
        occurred_on=min(valid_from, local_today()),
        recorded_by=user,
        date_field="valid_from",
        payload={
            "kind": CertificateKind(kind),
            "number": number,
            "issuer": issuer,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "plots": [p.code for p in plots],
            "households": [h.name for h in households],
            "products": [p.code for p in products],
            "stars": stars,
        },
    )
    certificate = Certificate(
        organisation_id=org.id,
        event_id=event.id,
        kind=kind,
        stars=stars,
        number=number,
        issuer=issuer,
        valid_from=valid_from,
        valid_to=valid_to,
        plots=plots,
        households=households,
        products=products,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def certificates_covering(org_id: int, plot: Plot, on: dt.date) -> list[Certificate]:
    """Certificates valid on ``on`` whose scope takes in the plot (or its household).

    A certificate with no plots and no households in its scope covers the whole organisation.
    """
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(of_org(Certificate, org_id), Certificate.valid_from <= on, Certificate.valid_to >= on)
        .options(selectinload(Certificate.plots), selectinload(Certificate.households))
    ).all()
    return [
        c
        for c in certificates
        if (not c.plots and not c.households)
        or plot in c.plots
        or (plot.household is not None and plot.household in c.households)
    ]


def valid_ocop(org_id: int, product_id: int | None) -> list[Certificate]:
    """OCOP certificates of the product valid today, most stars first: the only ones a label or a
    public page may show."""
    if product_id is None:
        return []
    today = local_today()
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .join(Certificate.products)
            .where(
                of_org(Certificate, org_id),
                Certificate.kind == CertificateKind.OCOP,
                Product.id == product_id,
                Certificate.valid_from <= today,
                Certificate.valid_to >= today,
            )
            .order_by(Certificate.stars.desc())
        )
    )
