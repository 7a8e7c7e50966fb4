"""The pages a QR code opens, at the GS1 Digital Link path. No login; public facts only."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, session

from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.gs1 import has_valid_check_digit
from traceability.lots.models import UnitSerial
from traceability.provenance.services import find_lot, provenance

bp = Blueprint("provenance", __name__)


@bp.before_request
def remember_language():
    """A buyer switches language with a link (?lang=en); no account, so the session keeps it."""
    language = request.args.get("lang")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language


def _page(lot, serial: str | None):
    if lot is None:
        abort(404)
    unit_known = None
    if serial is not None:
        unit_known = db.session.scalar(sa.select(UnitSerial.id).where(
            UnitSerial.lot_id == lot.id, UnitSerial.serial == serial.upper())) is not None
    response = render_template("provenance/lot.html", p=provenance(lot), serial=serial, unit_known=unit_known)
    # Phones on weak connections come back to the same label: let them keep the page a few minutes.
    return response, 200, {"Cache-Control": "public, max-age=300"}


@bp.get("/01/<gtin>/10/<lot_code>")
@bp.get("/01/<gtin>/10/<lot_code>/21/<serial>")
def by_gtin(gtin: str, lot_code: str, serial: str | None = None):
    if len(gtin) != 14 or not has_valid_check_digit(gtin) or len(lot_code) > 20:
        abort(404)
    return _page(find_lot(None, lot_code, gtin=gtin), serial)


@bp.get("/o/<org_code>/p/<product_code>/10/<lot_code>")
@bp.get("/o/<org_code>/p/<product_code>/10/<lot_code>/21/<serial>")
def by_organisation(org_code: str, product_code: str, lot_code: str, serial: str | None = None):
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code))
    if org is None or len(lot_code) > 20:
        abort(404)
    return _page(find_lot(org, lot_code), serial)
