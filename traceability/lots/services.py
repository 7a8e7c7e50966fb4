"""Harvest lots: the first link of every chain. Processing, packing and sales build on them later."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import in_org, of_org
from traceability.errors import DomainError
from traceability.events import chain
from traceability.events.models import EventKind
from traceability.events.services import Capture, check_not_future, record_event
from traceability.extensions import db
from traceability.farm.models import Household, Planting, PlantingStatus
from traceability.farm.services.seasons import check_phi, check_records_for
from traceability.i18n import format_number
from traceability.lots.models import LOT_STATUS_LABELS, Lot, LotKind, LotStatus
from traceability.lots.quantities import check_places
from traceability.quality.certificates import certificates_covering
from traceability.quality.models import CertificateKind
from traceability.rules import fold, load
from traceability.units import Unit

LOT_CODE = re.compile(r"^[A-Z0-9-]{1,20}$")  # safe as a GS1 batch/lot (AI 10) and in a URL path


def lot_in_org(org: Organisation | int, code: str | None, field: str = "lot_code") -> Lot:
    """A lot of this organisation by its code, as printed (a phone may send it in lower case)."""
    code = (code or "").strip().upper()
    return in_org(
        Lot, org, code, by="code", field=field, message=_("There is no lot %(code)s in your organisation.", code=code)
    )


def take_from(lot: Lot, quantity: Decimal, field: str = "quantity", *, on: dt.date, date_field: str) -> Lot:
    """Take ``quantity`` (in the lot's unit) out of an active lot on the day ``on``, atomically.

    One conditional UPDATE: under concurrent requests the database decides, so a lot never gives
    out more than it holds (row lock on PostgreSQL, the write lock on SQLite). Every way out of a
    lot (sale, processing, packing) passes here, so here is where it is refused to give out what
    it could not have held: before the day it was produced, or finer than its unit records.
    """
    check_not_future(on, date_field)  # a year typed wrong says so, not "before the lot was produced"
    check_places(quantity, lot.unit, field)
    if on < lot.produced_on:
        raise DomainError(
            _(
                "Lot %(code)s was produced on %(date)s: nothing can be taken from it before then.",
                code=lot.code,
                date=lot.produced_on.strftime("%d/%m/%Y"),
            ),
            date_field,
        )
    taken = db.session.execute(
        sa.update(Lot)
        .where(Lot.id == lot.id, Lot.status == LotStatus.ACTIVE, Lot.remaining_quantity >= quantity)
        .values(remaining_quantity=Lot.remaining_quantity - quantity)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(lot)
    if taken != 1:
        if lot.status is not LotStatus.ACTIVE:
            raise DomainError(
                _(
                    "Lot %(code)s is %(status)s: nothing can be taken from it.",
                    code=lot.code,
                    status=LOT_STATUS_LABELS[lot.status],
                ),
                field,
            )
        raise DomainError(
            _(
                "Lot %(code)s holds only %(left)s %(unit)s.",
                code=lot.code,
                left=format_number(lot.remaining_quantity, 3),
                unit=lot.unit,
            ),
            field,
        )
    if lot.remaining_quantity == 0:
        lot.status = LotStatus.CONSUMED
    return lot


def plausible_yield_kg_per_m2(crop: str) -> Decimal | None:
    """Most a square metre can give in a season: instance config first, then the rules file."""
    configured = current_app.config.get("PLAUSIBLE_YIELD_KG_PER_M2") or {}
    table = {fold(c["crop"]): c["max_kg_per_m2"] for c in load("crop_yields")["crops"]}
    table.update({fold(k): v for k, v in configured.items()})
    value = table.get(fold(crop))
    return Decimal(str(value)) if value is not None else None


def new_lot_code(org_id: int, prefix: str) -> str:
    """``{prefix}-{n}``, the first free number in the organisation; at most 20 characters.

    Taken under the organisation's chain lock (which the lot's event takes anyway, a moment later):
    two harvests of one plot on one day sent at once on PostgreSQL would otherwise both read the
    same free number, and the later one fail on the unique code."""
    chain.lock_chain(org_id)
    prefix = re.sub(r"[^A-Z0-9-]", "", prefix.upper())[:16].strip("-") or "LOT"
    taken = set(db.session.scalars(sa.select(Lot.code).where(of_org(Lot, org_id), Lot.code.like(f"{prefix}-%"))))
    n = 1
    while f"{prefix}-{n}" in taken:
        n += 1
    code = f"{prefix}-{n}"
    assert LOT_CODE.match(code), code
    return code


def record_harvest(
    org: Organisation,
    user: User,
    *,
    planting_id: int,
    harvested_on: dt.date,
    quantity_kg: Decimal,
    harvester: str | None = None,
    grade: str | None = None,
    for_household: Household | None = None,
    capture: Capture | None = None,
) -> Lot:
    """Harvest a planting into a new harvest lot.

    Refused while a pre-harvest interval runs. Accepted but flagged when the season's harvests
    exceed what the planted area can plausibly yield: outside produce must not pass as VietGAP.
    """
    planting = in_org(Planting, org, planting_id, field="planting_id", message=_("Choose a planting from the list."))
    check_records_for(org, user, planting.household_id, "planting_id")
    if planting.status is not PlantingStatus.GROWING:
        raise DomainError(_("This season is closed: no more harvests can be recorded on it."), "planting_id")
    if quantity_kg is None or quantity_kg <= 0:
        raise DomainError(_("The quantity must be more than 0 kg."), "quantity_kg")
    if quantity_kg > Decimal("1000000"):
        raise DomainError(_("The quantity is too large for one harvest."), "quantity_kg")
    check_places(quantity_kg, Unit.KG, "quantity_kg")
    if harvested_on < planting.sown_on:
        raise DomainError(
            _("This date is before the season was sown (%(date)s).", date=planting.sown_on.strftime("%d/%m/%Y")),
            "harvested_on",
        )
    check_phi(planting, harvested_on)

    season_kg, max_kg = _season_yield(planting, quantity_kg)
    flagged = max_kg is not None and season_kg > max_kg
    certificates = certificates_covering(org.id, planting.plot, harvested_on)
    vietgap = (not planting.non_conformant) and any(c.kind is CertificateKind.VIETGAP for c in certificates)
    code = new_lot_code(org.id, f"{harvested_on:%y%m%d}-{planting.plot.code}")
    event = record_event(
        org,
        EventKind.HARVEST,
        occurred_on=harvested_on,
        recorded_by=user,
        plot_id=planting.plot_id,
        planting_id=planting.id,
        for_household=for_household or planting.household,
        date_field="harvested_on",
        payload={
            "lot_code": code,
            "quantity": quantity_kg,
            "unit": Unit.KG,
            "harvester": harvester,
            "grade": grade,
            "yield_flagged": flagged,
            "vietgap_claim": vietgap,
            "certificates": [c.number for c in certificates],
        },
        capture=capture,
    )
    lot = Lot(
        organisation_id=org.id,
        code=code,
        kind=LotKind.HARVEST,
        quantity=quantity_kg,
        unit=Unit.KG,
        crop=planting.crop,
        remaining_quantity=quantity_kg,
        produced_on=harvested_on,
        event_id=event.id,
        planting=planting,
        plot_id=planting.plot_id,
        from_plot=planting.plot_id is not None,
        harvester=harvester,
        grade=grade,
        yield_flagged=flagged,
        # Kept only when flagged: what the note says, as numbers.
        yield_season_kg=season_kg if flagged else None,
        yield_area_m2=planting.area_m2 if flagged else None,
        yield_max_kg=max_kg if flagged else None,
        vietgap_claim=vietgap,
        certificates=certificates,
    )
    db.session.add(lot)
    db.session.flush()
    return lot


def _season_yield(planting: Planting, quantity_kg: Decimal) -> tuple[Decimal, Decimal | None]:
    """The season's harvests with this one, and the most its area can plausibly give (None: no figure
    for the crop)."""
    limit = plausible_yield_kg_per_m2(planting.crop)
    if limit is None:
        return quantity_kg, None
    harvested = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Lot.quantity), 0)).where(
            Lot.planting_id == planting.id, Lot.kind == LotKind.HARVEST
        )
    )
    return Decimal(harvested) + quantity_kg, limit * planting.area_m2
