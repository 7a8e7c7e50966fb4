"""The API blueprint and how each of its views is declared: ``@endpoint(...)``.

The declaration says who may call the view, the schemas of its body and query and the schema and
status of its answer. The decorator checks the role, reads the request against the schemas (a
mismatch is a 400 naming the field), calls the view with the parsed models and renders the model
it returns; ``api.openapi`` publishes the same declarations. The request commits once, when the view
answers (``web.init_app``). A POST sent with an ``Idempotency-Key`` is answered once: a retry gets
the first answer instead of a second write.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from pydantic import Field, StringConstraints, ValidationError
from sqlalchemy.exc import IntegrityError

from traceability import transactions
from traceability.accounts.models import Membership
from traceability.accounts.tenancy import of_org
from traceability.accounts.tokens import authenticate
from traceability.api.errors import ApiError, error, invalid_input, not_json
from traceability.api.models import IdempotentRequest
from traceability.api.schemas.base import Schema
from traceability.database import utcnow
from traceability.errors import DomainError
from traceability.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged cross-site request to ride on
MAX_BODY = 256 * 1024  # bytes: the largest body, a processing run of 100 lots, takes a few kB


class IdempotencyHeader(Schema):
    key: Annotated[str, StringConstraints(max_length=200, pattern=r"^[!-~]+$")] = Field(
        alias="Idempotency-Key",
        description="A retry with the same key and body returns the first answer instead of writing twice.",
    )


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[Schema]
    status: int
    roles: frozenset | None
    body: type[Schema] | None
    query: type[Schema] | None


@bp.before_request
def authenticate_token():
    header = request.headers.get("Authorization", "")
    token = authenticate(header[7:].strip()) if header.lower().startswith("bearer ") else None
    if token is None:
        return error(401, "unauthorized", _("Send a valid API token: Authorization: Bearer …"))
    g.token, g.api_user, g.org = token, token.user, token.organisation
    g.role = db.session.scalar(
        sa.select(Membership.role).where(Membership.user_id == token.user_id, of_org(Membership, token.organisation_id))
    )
    if g.role is None:
        return error(401, "unauthorized", _("This token's user is no longer a member of the organisation."))
    # Noted at most hourly: a write on every read would make concurrent API reads contend for SQLite's lock.
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(hours=1):
        token.last_used_at = now


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return error(exc.status, exc.code, exc.message, exc.field)


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    """A rule of the records broken (the same services as the web forms): 422, the field named."""
    return error(422, "invalid", exc.message, exc.field)


def endpoint(response: type[Schema], *, status: int = 200, roles=None, body=None, query=None):
    """Declare a view: ``roles`` that may call it (any member when None), the ``body`` and ``query``
    schemas it is called with (as ``body=`` and ``query=``), the ``response`` schema it returns."""

    def decorator(view):
        summary = (view.__doc__ or view.__name__).strip().splitlines()[0]

        @functools.wraps(view)
        def wrapped(**kwargs):
            if roles is not None and g.role not in roles:
                raise ApiError(403, "forbidden", _("Your role does not allow this."))
            if body is not None:
                kwargs["body"] = read_body(body)
            if query is not None:
                kwargs["query"] = read(query, request.args.to_dict())
            key = idempotency_key()
            if key is None:
                return jsonify(answer(view(**kwargs))), status
            return _idempotent(key, lambda: answer(view(**kwargs)), status)

        wrapped.operation = Operation(summary, response, status, roles, body, query)
        return wrapped

    return decorator


def answer(result: Schema) -> dict:
    return result.model_dump(mode="json", exclude_unset=True)


def read(schema: type[Schema], data):
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def read_body(schema: type[Schema]):
    """The body parsed straight from its bytes by the schema: no NaN, no lone surrogates, depth limited."""
    if not request.is_json:
        raise not_json()
    if (request.content_length or 0) > MAX_BODY or len(raw := request.get_data()) > MAX_BODY:
        raise ApiError(400, "bad_request", _("The body is larger than %(n)s kB.", n=MAX_BODY // 1024))
    try:
        return schema.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if request.method != "POST" or not key:
        return None
    return read(IdempotencyHeader, {"Idempotency-Key": key}).key


def _idempotent(key: str, call, status: int):
    """The answer is stored with the records it made (the request's one commit), inside a savepoint:
    of two identical retries racing, the later one's writes are undone and it answers as the first."""
    fingerprint = hashlib.sha256(request.path.encode() + b"\n" + request.get_data()).hexdigest()
    earlier = _earlier(key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    mark = transactions.pending()
    savepoint = db.session.begin_nested()
    payload = call()
    db.session.add(
        IdempotentRequest(
            token_id=g.token.id,
            key=key,
            request_hash=fingerprint,
            status=status,
            body=json.dumps(payload, ensure_ascii=False),
        )
    )
    try:
        savepoint.commit()
    except IntegrityError:  # the same retry raced this one and won: undo ours, answer as it did
        savepoint.rollback()
        transactions.forget_since(mark)
        return _replay(_earlier(key), fingerprint)
    return jsonify(payload), status


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
