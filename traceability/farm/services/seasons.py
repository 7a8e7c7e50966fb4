"""Plantings and input applications, and the pre-harvest-interval rule that guards every harvest.

Each record is appended to the event log together with its projection row. A correction is a new
event that supersedes the old one; the old projection row is marked superseded, never rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from traceability.accounts import policy
from traceability.accounts.models import Organisation, User
from traceability.accounts.services import household_of
from traceability.accounts.tenancy import in_org, scoped
from traceability.errors import DomainError
from traceability.events.models import Event, EventKind
from traceability.events.services import Capture, check_not_future, record_event
from traceability.extensions import db
from traceability.farm.models import (
    Household,
    InputApplication,
    InputKind,
    Planting,
    PlantingStatus,
    Plot,
)
from traceability.farm.services.permitted import find_permitted
from traceability.i18n import format_number
from traceability.rules import banned_ingredient, fold, load


def crop_name_en(crop: str | None) -> str | None:
    """The English name of a crop the rules know (``rules/crop_yields.json``), compared folded."""
    wanted = fold(crop or "")
    return next((c.get("name_en") for c in load("crop_yields")["crops"] if fold(c["crop"]) == wanted), None)


def start_planting(
    org: Organisation,
    user: User,
    *,
    plot_id: int,
    sown_on: dt.date,
    crop: str | None = None,
    variety: str | None = None,
    seed_source: str | None = None,
    seed_lot: str | None = None,
    area_m2: Decimal | None = None,
    expected_harvest_from: dt.date | None = None,
    expected_harvest_to: dt.date | None = None,
    for_household: Household | None = None,
    capture: Capture | None = None,
) -> Planting:
    plot = in_org(Plot, org, plot_id, field="plot_id", active=True, message=_("Choose a plot from the list."))
    check_records_for(org, user, plot.household_id, "plot_id")
    check_not_future(sown_on, "sown_on")
    area = area_m2 if area_m2 is not None else plot.area_m2
    if area <= 0 or area > plot.area_m2:
        raise DomainError(
            _("The area planted is more than 0 and at most the plot's %(area)s m².", area=format_number(plot.area_m2)),
            "area_m2",
        )
    if expected_harvest_from and expected_harvest_from < sown_on:
        raise DomainError(_("The harvest cannot start before sowing."), "expected_harvest_from")
    if expected_harvest_from and expected_harvest_to and expected_harvest_to < expected_harvest_from:
        raise DomainError(_("The end of the harvest window is before its start."), "expected_harvest_to")
    planting = Planting(
        organisation_id=org.id,
        plot=plot,
        household_id=plot.household_id,
        crop=crop or plot.crop,
        variety=variety,
        seed_source=seed_source,
        seed_lot=seed_lot,
        sown_on=sown_on,
        area_m2=area,
        expected_harvest_from=expected_harvest_from,
        expected_harvest_to=expected_harvest_to,
    )
    db.session.add(planting)
    db.session.flush()
    record_event(
        org,
        EventKind.PLANTING,
        occurred_on=sown_on,
        recorded_by=user,
        plot_id=plot.id,
        planting_id=planting.id,
        for_household=for_household or plot.household,
        date_field="sown_on",
        payload={
            "crop": planting.crop,
            "variety": variety,
            "seed_source": seed_source,
            "seed_lot": seed_lot,
            "area_m2": area,
            "expected_harvest_from": expected_harvest_from,
            "expected_harvest_to": expected_harvest_to,
        },
        capture=capture,
    )
    return planting


def check_records_for(org: Organisation, user: User, household_id: int | None, field: str | None) -> None:
    """The household rule of ``accounts.policy`` for ``user``. The lists show only the records one
    may write; the rule holds without them (a URL can be typed)."""
    policy.check_records_for(household_of(user, org), household_id, field)


def end_planting(
    org: Organisation,
    user: User,
    planting: Planting,
    *,
    ended_on: dt.date,
    status: PlantingStatus = PlantingStatus.FINISHED,
) -> Planting:
    check_records_for(org, user, planting.household_id, None)
    if planting.status is not PlantingStatus.GROWING:
        raise DomainError(_("This season is already closed."))
    if ended_on < planting.sown_on:
        raise DomainError(_("A season cannot end before it was sown."), "ended_on")
    record_event(
        org,
        EventKind.PLANTING_END,
        occurred_on=ended_on,
        recorded_by=user,
        plot_id=planting.plot_id,
        planting_id=planting.id,
        payload={"status": status},
        date_field="ended_on",
        for_household=planting.household,
    )
    planting.status = status
    return planting


@dataclass
class InputFacts:
    """What the person in the field tells; the rest is filled from the permitted list."""

    planting_id: int
    applied_on: dt.date
    trade_name: str
    dose: Decimal | None = None
    kind: InputKind | str | None = None
    active_ingredient: str | None = None
    dose_unit: str | None = None
    phi_days: int | None = None
    area_m2: Decimal | None = None
    method: str | None = None
    operator: str | None = None


def record_input_application(
    org: Organisation,
    user: User,
    facts: InputFacts,
    *,
    supersedes: InputApplication | None = None,
    reason: str | None = None,
    for_household: Household | None = None,
    capture: Capture | None = None,
) -> InputApplication:
    """Record a spray or fertiliser as it happened.

    A product missing from the organisation's list is recorded and flagged. A banned active
    ingredient is recorded too — the record must stay true — and makes the planting non-conformant.
    """
    planting = in_org(
        Planting, org, facts.planting_id, field="planting_id", message=_("Choose a planting from the list.")
    )
    check_records_for(org, user, planting.household_id, "planting_id")
    if facts.applied_on < planting.sown_on:
        raise DomainError(
            _("This date is before the season was sown (%(date)s).", date=planting.sown_on.strftime("%d/%m/%Y")),
            "applied_on",
        )
    permitted = find_permitted(org.id, facts.trade_name)
    kind = InputKind(facts.kind) if facts.kind else (permitted.kind if permitted else None)
    if kind is None:
        raise DomainError(_("Say what kind of input this is."), "kind")
    active = facts.active_ingredient or (permitted.active_ingredient if permitted else None)
    phi = facts.phi_days if facts.phi_days is not None else (permitted.phi_days if permitted else None)
    if kind is InputKind.PLANT_PROTECTION and phi is None:
        raise DomainError(_("Give the pre-harvest interval (days) printed on the product's label."), "phi_days")
    if phi is not None and not 0 <= phi <= 365:
        raise DomainError(_("The pre-harvest interval is between 0 and 365 days."), "phi_days")
    if facts.dose is not None and facts.dose <= 0:
        raise DomainError(_("The dose must be more than 0."), "dose")
    area = facts.area_m2 if facts.area_m2 is not None else planting.area_m2
    if area <= 0:
        raise DomainError(_("The area treated must be more than 0 m²."), "area_m2")
    banned = banned_ingredient(active) or banned_ingredient(facts.trade_name)
    application = InputApplication(
        organisation_id=org.id,
        planting=planting,
        kind=kind,
        trade_name=facts.trade_name,
        active_ingredient=active,
        dose=facts.dose,
        dose_unit=facts.dose_unit or (permitted.dose_unit if permitted else None),
        area_m2=area,
        method=facts.method,
        operator=facts.operator,
        applied_on=facts.applied_on,
        phi_days=phi,
        on_permitted_list=permitted is not None,
        banned_ingredient=banned,
    )
    event = record_event(
        org,
        EventKind.INPUT_APPLICATION,
        occurred_on=facts.applied_on,
        recorded_by=user,
        plot_id=planting.plot_id,
        planting_id=planting.id,
        for_household=for_household or planting.household,
        date_field="applied_on",
        supersedes=_event_of(supersedes),
        reason=reason,
        payload={
            "kind": kind,
            "trade_name": facts.trade_name,
            "active_ingredient": active,
            "dose": facts.dose,
            "dose_unit": application.dose_unit,
            "area_m2": area,
            "method": facts.method,
            "operator": facts.operator,
            "phi_days": phi,
            "on_permitted_list": permitted is not None,
            "banned_ingredient": banned,
        },
        capture=capture,
    )
    application.event_id = event.id
    if supersedes is not None:
        supersedes.superseded = True
    if banned:  # the application keeps the ingredient: the planting's note is worded from it when read
        planting.non_conformant = True
    db.session.add(application)
    db.session.flush()
    return application


def _event_of(application: InputApplication | None) -> Event | None:
    return db.session.get(Event, application.event_id) if application else None


def current_applications(planting_ids) -> sa.Select:
    return sa.select(InputApplication).where(
        InputApplication.planting_id.in_(planting_ids), InputApplication.superseded.is_(False)
    )


@dataclass(frozen=True)
class PhiBlock:
    """The application whose pre-harvest interval ends last, and when it ends."""

    trade_name: str
    applied_on: dt.date
    phi_days: int
    harvest_from: dt.date


def harvest_blocks(planting_ids: list[int], on: dt.date | None = None) -> dict[int, PhiBlock]:
    """For each planting, the latest-ending pre-harvest interval (one query for all plantings).

    With ``on``, only what had been applied by that day counts: a spray after a harvest does not
    make the harvest before it wrong. A spray on the harvest day itself does count.
    """
    query = current_applications(planting_ids).where(InputApplication.phi_days.is_not(None))
    if on is not None:
        query = query.where(InputApplication.applied_on <= on)
    latest: dict[int, PhiBlock] = {}
    for application in db.session.scalars(query):
        block = PhiBlock(
            application.trade_name, application.applied_on, application.phi_days, application.harvest_allowed_from
        )
        current = latest.get(application.planting_id)
        if current is None or block.harvest_from > current.harvest_from:
            latest[application.planting_id] = block
    return latest


def check_phi(planting: Planting, harvest_on: dt.date) -> None:
    """Refuse a harvest while any pre-harvest interval on the planting is still running."""
    block = harvest_blocks([planting.id], on=harvest_on).get(planting.id)
    if block and harvest_on < block.harvest_from:
        raise DomainError(
            _(
                "Harvest refused: %(product)s was sprayed on %(sprayed)s with a pre-harvest interval of "
                "%(days)s days. The earliest harvest date is %(earliest)s.",
                product=block.trade_name,
                sprayed=block.applied_on.strftime("%d/%m/%Y"),
                days=block.phi_days,
                earliest=block.harvest_from.strftime("%d/%m/%Y"),
            ),
            "harvested_on",
        )


def growing_plantings(org: Organisation, user: User) -> list[Planting]:
    """Growing seasons the user records for: their own household's, or all for those without one."""
    query = scoped(Planting, org).where(Planting.status == PlantingStatus.GROWING).join(Planting.plot)
    household_id = household_of(user, org)
    if household_id:
        query = query.where(Planting.household_id == household_id)
    options = (joinedload(Planting.plot), joinedload(Planting.household))
    return db.session.scalars(query.options(*options).order_by(Plot.code)).all()
