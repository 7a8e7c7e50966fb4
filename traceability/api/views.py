"""JSON API v1. Thin: parse the body, call the same service as the web form; the request commits once.

Errors are ``{"error": {"code", "message", "field"}}`` with a stable ``code``. A POST sent with an
``Idempotency-Key`` header is answered once; a retry gets the first answer instead of a second write.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from traceability.accounts.models import Membership
from traceability.accounts.tokens import authenticate
from traceability.api import inputs as read
from traceability.api.models import IdempotentRequest
from traceability.api.serialize import lot_json, trace_json
from traceability.clock import local_today
from traceability.database import utcnow
from traceability.errors import DomainError
from traceability.extensions import csrf, db
from traceability.farm.models import Planting
from traceability.farm.services import save_plot, seasons
from traceability.lots import lineage, recalls, trade
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.lots.services import lot_in_org, record_harvest
from traceability.products.models import Product
from traceability.tenancy import MAX_ID, PLOT_EDITORS, REGISTRY_EDITORS, current_records, scoped

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged cross-site request to ride on
FIELD_WORKERS = PLOT_EDITORS


def error(status: int, code: str, message: str, field: str | None = None):
    return jsonify(error={"code": code, "message": message, "field": field}), status


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return error(exc.status, exc.code, exc.message, exc.field)


def _lot(code: str):
    try:
        return lot_in_org(g.org.id, code)
    except DomainError:
        raise ApiError(404, "not_found", _("There is no lot %(code)s in your organisation.", code=code)) from None


@bp.before_request
def authenticate_token():
    header = request.headers.get("Authorization", "")
    token = authenticate(header[7:].strip()) if header.lower().startswith("bearer ") else None
    if token is None:
        return error(401, "unauthorized", _("Send a valid API token: Authorization: Bearer …"))
    g.token, g.api_user, g.org = token, token.user, token.organisation
    g.role = db.session.scalar(
        sa.select(Membership.role).where(
            Membership.user_id == token.user_id, Membership.organisation_id == token.organisation_id
        )
    )
    if g.role is None:
        return error(401, "unauthorized", _("This token's user is no longer a member of the organisation."))
    # Noted at most hourly: a write on every read would make concurrent API reads contend for SQLite's lock.
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(hours=1):
        token.last_used_at = now


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    code = "bad_request" if isinstance(exc, read.BadShape) else "invalid"
    return error(400 if code == "bad_request" else 422, code, exc.message, exc.field)


def endpoint(roles=None):
    """Role check, and idempotent retries for POSTs: the answer is stored with the records it made
    (the request's one commit), so a retry gets the first answer instead of a second write."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if roles is not None and g.role not in roles:
                raise ApiError(403, "forbidden", _("Your role does not allow this."))
            key = request.headers.get("Idempotency-Key", "").strip()
            if request.method != "POST" or not key:
                response, status = view(*args, **kwargs)
                return jsonify(response), status
            if len(key) > 200:
                raise ApiError(400, "bad_request", _("The Idempotency-Key is too long."), "Idempotency-Key")
            fingerprint = hashlib.sha256(request.path.encode() + b"\n" + request.get_data()).hexdigest()
            earlier = _earlier(key)
            if earlier is not None:
                return _replay(earlier, fingerprint)
            savepoint = db.session.begin_nested()
            response, status = view(*args, **kwargs)
            db.session.add(
                IdempotentRequest(
                    token_id=g.token.id,
                    key=key,
                    request_hash=fingerprint,
                    status=status,
                    body=json.dumps(response, ensure_ascii=False),
                )
            )
            try:
                savepoint.commit()
            except IntegrityError:  # the same retry raced this one and won: undo ours, answer as it did
                savepoint.rollback()
                return _replay(_earlier(key), fingerprint)
            return jsonify(response), status

        return wrapped

    return decorator


def _earlier(key: str) -> IdempotentRequest | None:
    return db.session.scalar(
        sa.select(IdempotentRequest).where(IdempotentRequest.token_id == g.token.id, IdempotentRequest.key == key)
    )


def _replay(earlier: IdempotentRequest, fingerprint: str):
    if earlier.request_hash != fingerprint:
        return error(422, "idempotency_key_reused", _("This Idempotency-Key was used for a different request."))
    response = jsonify(json.loads(earlier.body))
    response.status_code = earlier.status
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/products")
@endpoint()
def products():
    rows = current_records(Product, Product.code)
    return {
        "products": [
            {
                "code": p.code,
                "name_vi": p.name_vi,
                "name_en": p.name_en,
                "kind": p.kind.value,
                "unit": p.unit.value,
                "gtin": p.gtin,
                "shelf_life_days": p.shelf_life_days,
            }
            for p in rows
        ]
    }, 200


@bp.post("/plots")
@endpoint(REGISTRY_EDITORS | FIELD_WORKERS)
def create_plot():
    data = read.body()
    plot = save_plot(
        g.org,
        None,
        code=read.text(data, "code", max_length=40),
        name=read.text(data, "name"),
        village_id=read.integer(data, "village_id"),
        area_m2=read.number(data, "area_m2"),
        crop=read.text(data, "crop"),
        household_id=read.integer(data, "household_id", required=False),
    )
    return {"id": plot.id, "code": plot.code}, 201


@bp.post("/plantings")
@endpoint(FIELD_WORKERS)
def create_planting():
    data = read.body()
    planting = seasons.start_planting(
        g.org,
        g.api_user,
        plot_id=read.integer(data, "plot_id"),
        sown_on=read.date(data, "sown_on"),
        crop=read.text(data, "crop", required=False),
        variety=read.text(data, "variety", required=False),
        area_m2=read.number(data, "area_m2", required=False),
    )
    return {"id": planting.id, "plot": planting.plot.code, "crop": planting.crop}, 201


@bp.post("/plantings/<int:planting_id>/inputs")
@endpoint(FIELD_WORKERS)
def create_input(planting_id: int):
    data = read.body()
    if not 0 < planting_id <= MAX_ID or db.session.scalar(scoped(Planting).where(Planting.id == planting_id)) is None:
        raise ApiError(404, "not_found", _("There is no such planting in your organisation."))
    application = seasons.record_input_application(
        g.org,
        g.api_user,
        seasons.InputFacts(
            planting_id=planting_id,
            applied_on=read.date(data, "applied_on"),
            trade_name=read.text(data, "trade_name"),
            kind=read.text(data, "kind", required=False),
            dose=read.number(data, "dose", required=False),
            dose_unit=read.text(data, "dose_unit", required=False),
            active_ingredient=read.text(data, "active_ingredient", required=False),
            phi_days=read.integer(data, "phi_days", required=False),
        ),
    )
    return {
        "id": application.id,
        "harvest_allowed_from": (
            application.harvest_allowed_from.isoformat() if application.harvest_allowed_from else None
        ),
        "on_permitted_list": application.on_permitted_list,
        "banned_ingredient": application.banned_ingredient,
    }, 201


@bp.post("/harvests")
@endpoint(FIELD_WORKERS)
def create_harvest():
    data = read.body()
    lot = record_harvest(
        g.org,
        g.api_user,
        planting_id=read.integer(data, "planting_id"),
        harvested_on=read.date(data, "harvested_on", local_today()),
        quantity_kg=read.number(data, "quantity_kg"),
        grade=read.text(data, "grade", required=False),
    )
    return lot_json(lot), 201


@bp.post("/processing-runs")
@endpoint(REGISTRY_EDITORS)
def create_processing_run():
    data = read.body()
    processed = record_processing(
        g.org,
        g.api_user,
        processed_on=read.date(data, "processed_on", local_today()),
        inputs=[
            RunInput(read.text(x, "lot_code", max_length=20), read.number(x, "quantity"))
            for x in read.items(data, "inputs")
        ],
        outputs=[
            RunOutput(
                read.text(x, "product_code", max_length=40),
                read.number(x, "quantity"),
                read.text(x, "unit", required=False, max_length=10),
            )
            for x in read.items(data, "outputs")
        ],
        steps=[{"step": str(s)[:200]} for s in data.get("steps", []) if isinstance(s, str)][:50],
        reason=read.text(data, "reason", required=False, max_length=2000),
    )
    return {
        "yield_ratio": str(processed.run.yield_ratio),
        "yield_flagged": processed.run.yield_flagged,
        "outputs": [lot_json(x) for x in processed.outputs],
    }, 201


@bp.post("/packings")
@endpoint(REGISTRY_EDITORS)
def create_packing():
    data = read.body()
    lot = pack(
        g.org,
        g.api_user,
        source_lot_code=read.text(data, "source_lot_code", max_length=20),
        product_code=read.text(data, "product_code", max_length=40),
        units=read.integer(data, "units"),
        net_content=read.number(data, "net_content"),
        net_unit=read.text(data, "net_unit", max_length=5),
        packed_on=read.date(data, "packed_on", local_today()),
        serials=bool(data.get("serials", False)),
    )
    return lot_json(lot), 201


@bp.post("/sales")
@endpoint(REGISTRY_EDITORS)
def create_sale():
    data = read.body()
    sale = trade.record_sale(
        g.org,
        g.api_user,
        lot_code=read.text(data, "lot_code", max_length=20),
        buyer_name=read.text(data, "buyer_name", max_length=120),
        buyer_kind=read.text(data, "buyer_kind", required=False) or "trader",
        quantity=read.number(data, "quantity"),
        sold_on=read.date(data, "sold_on", local_today()),
        invoice_ref=read.text(data, "invoice_ref", required=False, max_length=60),
    )
    return {"id": sale.id, "lot": lot_json(sale.lot)}, 201


@bp.post("/lots/<code>/recall")
@endpoint(REGISTRY_EDITORS)
def recall_lot(code: str):
    data = read.body()
    recall = recalls.open_recall(
        g.org,
        g.api_user,
        lot_code=_lot(code).code,
        reason=read.text(data, "reason", max_length=2000),
        opened_on=read.date(data, "opened_on", local_today()),
    )
    report = recalls.recall_report(recall)
    return {
        "id": recall.id,
        "lots": [x.code for x in report["lots"]],
        "buyers": [
            {"name": e["buyer"].name, "quantity": str(sum(s.quantity for s in e["sales"]))} for e in report["buyers"]
        ],
    }, 201


@bp.get("/lots/<code>")
@endpoint()
def get_lot(code: str):
    return lot_json(_lot(code)), 200


@bp.get("/lots/<code>/trace")
@endpoint()
def trace_lot(code: str):
    direction = request.args.get("direction", "back")
    if direction not in ("back", "forward"):
        raise ApiError(400, "bad_request", _("direction is back or forward."), "direction")
    lot = _lot(code)
    trace = lineage.trace_back(lot) if direction == "back" else lineage.trace_forward(lot)
    return trace_json(trace, direction), 200
