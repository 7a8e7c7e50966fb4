from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import login_required
from sqlalchemy.orm import undefer

from traceability import blobs
from traceability.accounts.tenancy import MAX_ID, org_required, scoped
from traceability.extensions import db
from traceability.photos.models import Photo

bp = Blueprint("photos", __name__)


def _photo(record_id: int, column) -> Response:
    photo = (
        db.session.scalar(scoped(Photo).where(Photo.id == record_id).options(undefer(column)))
        if 0 < record_id <= MAX_ID
        else None
    )
    if photo is None:
        abort(404)
    response = Response(
        blobs.load(getattr(photo, column.key), getattr(photo, f"{column.key}_key")), mimetype="image/jpeg"
    )
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.set_etag(photo.sha256 + column.key)
    return response


@bp.get("/photos/<int:record_id>")
@login_required
@org_required()
def photo(record_id: int):
    return _photo(record_id, Photo.image)


@bp.get("/photos/<int:record_id>/thumb")
@login_required
@org_required()
def thumbnail(record_id: int):
    return _photo(record_id, Photo.thumbnail)
