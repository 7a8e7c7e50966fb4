"""Field records through the API: plots, plantings, sprays and fertilisers, harvests."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from traceability.accounts.tenancy import MAX_ID, PLOT_EDITORS, REGISTRY_EDITORS, scoped
from traceability.api.endpoint import bp, endpoint
from traceability.api.errors import ApiError
from traceability.api.schemas.base import Created
from traceability.api.schemas.farm import HarvestIn, InputIn, InputOut, PlantingIn, PlantingOut, PlotIn
from traceability.api.schemas.lots import LotOut
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.models import Planting
from traceability.farm.services import save_plot, seasons
from traceability.lots.services import record_harvest

FIELD_WORKERS = PLOT_EDITORS


@bp.post("/plots")
@endpoint(Created, status=201, roles=REGISTRY_EDITORS | FIELD_WORKERS, body=PlotIn)
def create_plot(body: PlotIn):
    """Register a plot"""
    plot = save_plot(g.org, None, **body.model_dump())
    return Created(id=plot.id, code=plot.code)


@bp.post("/plantings")
@endpoint(PlantingOut, status=201, roles=FIELD_WORKERS, body=PlantingIn)
def create_planting(body: PlantingIn):
    """Start a season on a plot"""
    return PlantingOut.of(seasons.start_planting(g.org, g.api_user, **body.model_dump()))


@bp.post("/plantings/<int:planting_id>/inputs")
@endpoint(InputOut, status=201, roles=FIELD_WORKERS, body=InputIn)
def create_input(planting_id: int, body: InputIn):
    """Record a spray or fertiliser"""
    if not 0 < planting_id <= MAX_ID or db.session.scalar(scoped(Planting).where(Planting.id == planting_id)) is None:
        raise ApiError(404, "not_found", _("There is no such planting in your organisation."))
    facts = seasons.InputFacts(planting_id=planting_id, **body.model_dump())
    return InputOut.of(seasons.record_input_application(g.org, g.api_user, facts))


@bp.post("/harvests")
@endpoint(LotOut, status=201, roles=FIELD_WORKERS, body=HarvestIn)
def create_harvest(body: HarvestIn):
    """Harvest a planting into a harvest lot (refused while a pre-harvest interval runs)"""
    fields = body.model_dump()
    fields["harvested_on"] = body.harvested_on or local_today()
    return LotOut.of(record_harvest(g.org, g.api_user, **fields))
