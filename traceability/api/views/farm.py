"""Field records through the API: plots, plantings, sprays and fertilisers, harvests, their photos, and
the lists a phone records them from. A member's phone sends here what it saved offline (``static/js``)."""

from __future__ import annotations

import re
from uuid import UUID

import sqlalchemy as sa
from flask import g, request
from flask_babel import gettext as _

from traceability.accounts.policy import Write, writers
from traceability.accounts.tenancy import MAX_ID, REGISTRY_EDITORS, of_org, scoped
from traceability.api.endpoint import bp, endpoint
from traceability.api.errors import ApiError
from traceability.api.schemas.base import Created
from traceability.api.schemas.farm import (
    FieldListsOut,
    HarvestIn,
    InputIn,
    InputOut,
    PhotoOut,
    PlantingIn,
    PlantingOut,
    PlotIn,
)
from traceability.api.schemas.lots import LotOut
from traceability.clock import local_today
from traceability.events.models import Event, EventKind
from traceability.extensions import db
from traceability.farm.models import Planting
from traceability.farm.services import save_plot, seasons
from traceability.farm.services.field import field_lists
from traceability.lots.services import record_harvest
from traceability.photos.imaging import MAX_UPLOAD_BYTES
from traceability.photos.services import attach_photo

FIELD_WORKERS = writers(Write.FIELD)


@bp.get("/field")
@endpoint(FieldListsOut)
def field():
    """The lists a member records from: own plots, running seasons, permitted products"""
    return FieldListsOut.of(field_lists(g.org, g.api_user))


@bp.post("/plots")
@endpoint(Created, status=201, roles=REGISTRY_EDITORS | FIELD_WORKERS, body=PlotIn)
def create_plot(body: PlotIn):
    """Register a plot"""
    plot = save_plot(g.org, None, by=g.api_user, **body.model_dump())
    return Created(id=plot.id, code=plot.code)


@bp.post("/plantings")
@endpoint(PlantingOut, status=201, roles=FIELD_WORKERS, body=PlantingIn)
def create_planting(body: PlantingIn):
    """Start a season on a plot"""
    return PlantingOut.of(seasons.start_planting(g.org, g.api_user, **body.facts(), capture=body.capture()))


@bp.post("/plantings/<planting>/inputs")
@endpoint(InputOut, status=201, roles=FIELD_WORKERS, body=InputIn)
def create_input(planting: str, body: InputIn):
    """Record a spray or fertiliser (the planting named by its id, or by the uuid a phone gave it)"""
    found = _planting(planting)  # held here, so the service finds it in the session instead of reading it again
    facts = seasons.InputFacts(planting_id=found.id, **body.facts())
    return InputOut.of(seasons.record_input_application(g.org, g.api_user, facts, capture=body.capture()))


@bp.post("/harvests")
@endpoint(LotOut, status=201, roles=FIELD_WORKERS, body=HarvestIn)
def create_harvest(body: HarvestIn):
    """Harvest a planting into a harvest lot (refused while a pre-harvest interval runs)"""
    fields = body.facts()
    by_uuid, by_id = fields.pop("planting_uuid"), fields["planting_id"]
    if by_uuid is None and by_id is None:
        # Each is optional to the schema; that one of the two is needed is a rule of the body: 422.
        raise ApiError(422, "invalid", _("Give planting_id or planting_uuid."), "planting_id")
    if by_uuid is not None:
        fields["planting_id"] = _planting(str(by_uuid), field="planting_uuid", status=422).id
        if by_id is not None and by_id != fields["planting_id"]:
            raise ApiError(422, "invalid", _("planting_id and planting_uuid name different plantings."), "planting_id")
    fields["harvested_on"] = body.harvested_on or local_today()
    return LotOut.of(record_harvest(g.org, g.api_user, **fields, capture=body.capture()))


@bp.put("/records/<record>/photos/<photo>")
@endpoint(
    PhotoOut, status=201, roles=FIELD_WORKERS, raw_body="image/jpeg", identity=lambda kw: _uuid(kw["photo"], "photo")
)
def put_photo(record: str, photo: str):
    """Attach a photo (JPEG, PNG or WebP bytes) to a record, both named by the uuids the phone gave them"""
    event = db.session.scalar(sa.select(Event).where(of_org(Event, g.org.id), Event.uuid == _uuid(record, "record")))
    if event is None:
        raise ApiError(404, "not_found", _("The record of this photo has not arrived yet: send the record first."))
    planting = db.session.get(Planting, event.planting_id) if event.planting_id else None
    if planting is not None:
        seasons.check_records_for(g.org, g.api_user, planting.household_id, "record")
    if (request.content_length or 0) > MAX_UPLOAD_BYTES or len(data := request.get_data()) > MAX_UPLOAD_BYTES:
        raise ApiError(400, "bad_request", _("The photo is larger than %(mb)d MB.", mb=MAX_UPLOAD_BYTES // 2**20))
    saved = attach_photo(g.org, g.api_user, data, event_id=event.id, uuid=_uuid(photo, "photo"))
    return PhotoOut(id=saved.id, uuid=saved.uuid, record=event.uuid, width=saved.width, height=saved.height)


# As the document's format "uuid" has it (UUID() alone would also take braces, "urn:uuid:" or no hyphens).
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _uuid(text: str, field: str) -> str:
    if not UUID_TEXT.match(text):
        raise ApiError(400, "bad_request", _("This is not a UUID: %(text)s", text=text[:40]), field)
    return str(UUID(text))


def _is_uuid(text: str) -> bool:
    return UUID_TEXT.match(text) is not None


def _planting(ref: str, field: str = "planting", status: int = 404) -> Planting:
    """A planting of the organisation by its id, or by the uuid the phone that started it gave it:
    not found is 404 in a path, and 422 in a body (as any record a body names that is not there)."""
    found = None
    if ref.isdigit() and len(ref) < 11 and 0 < int(ref) <= MAX_ID:
        found = db.session.scalar(scoped(Planting).where(Planting.id == int(ref)))
    elif _is_uuid(ref):
        found = db.session.scalar(
            scoped(Planting)
            .join(Event, Event.planting_id == Planting.id)
            .where(of_org(Event, g.org.id), Event.uuid == _uuid(ref, field), Event.kind == EventKind.PLANTING)
        )
    if found is None:
        raise ApiError(
            status,
            "not_found" if status == 404 else "invalid",
            _("There is no such planting in your organisation."),
            field,
        )
    return found
