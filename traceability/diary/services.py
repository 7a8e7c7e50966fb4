"""The production diary (nhật ký sản xuất) of one season on one plot: what the PDF shows."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.models import InputApplication, Planting
from traceability.lots.models import Lot
from traceability.quality.models import Inspection


def diary_context(planting: Planting) -> dict:
    applications = db.session.scalars(
        sa.select(InputApplication)
        .where(InputApplication.planting_id == planting.id)
        .order_by(InputApplication.applied_on, InputApplication.id)
    ).all()
    events = {
        e.id: e
        for e in db.session.scalars(
            sa.select(Event)
            .where(Event.planting_id == planting.id)
            .options(joinedload(Event.recorded_by), joinedload(Event.for_household))
        )
    }
    lots = db.session.scalars(sa.select(Lot).where(Lot.planting_id == planting.id).order_by(Lot.produced_on)).all()
    season_end = max([planting.sown_on, *(lot.produced_on for lot in lots), local_today()])
    scope = [Inspection.plot_id == planting.plot_id]
    if planting.household_id:
        scope.append(Inspection.household_id == planting.household_id)
    inspections = (
        db.session.scalars(
            sa.select(Inspection)
            .where(
                of_org(Inspection, planting.organisation_id),
                sa.or_(*scope),
                Inspection.inspected_on.between(planting.sown_on, season_end),
            )
            .options(joinedload(Inspection.inspector))
            .order_by(Inspection.inspected_on)
        )
        .unique()
        .all()
    )
    return {
        "planting": planting,
        "plot": planting.plot,
        "household": planting.household,
        "applications": applications,
        "events": events,
        "lots": lots,
        "inspections": inspections,
        "organisation": db.session.get(Organisation, planting.organisation_id),
        "printed_on": local_today(),
    }
