"""The API blueprint and how each of its views is declared: ``@endpoint(...)``.

The declaration says who may call the view, the schemas of its body and query and the schema and
status of its answer. The decorator checks the role, reads the request against the schemas (a
mismatch is a 400 naming the field), calls the view with the parsed models and renders the model
it returns; ``api.openapi`` publishes the same declarations. The request commits once, when the view
answers (``web.init_app``).

A write that carries an identity is answered once: the UUID a phone gave the record (the body's
``uuid``, or the path's for a photo) or a client's ``Idempotency-Key``. The same write again gets
the first answer and writes nothing; other content under the same identity is 409 with the stored
answer. Callers are API tokens, or a member's own phone sending its outbox with the signed-in
session (``X-Requested-With`` set, which no other site can make a browser send).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field, StringConstraints, ValidationError
from sqlalchemy.exc import IntegrityError

from traceability import transactions
from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import MAX_ID, role_in
from traceability.accounts.tokens import authenticate
from traceability.api.errors import ApiError, error, invalid_input, not_json
from traceability.api.models import IdempotentRequest
from traceability.api.schemas.base import Schema
from traceability.errors import DomainError
from traceability.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged cross-site request to ride on
MAX_BODY = 256 * 1024  # bytes: the largest body, a processing run of 100 lots, takes a few kB


class IdempotencyHeader(Schema):
    key: Annotated[str, StringConstraints(max_length=200, pattern=r"^[!-~]+$")] = Field(
        alias="Idempotency-Key",
        description="A retry with the same key and body returns the first answer instead of writing twice. "
        "Unique in the organisation: a UUID is best. A record's own `uuid` is its key.",
    )


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[Schema]
    status: int
    roles: frozenset | None
    body: type[Schema] | None
    query: type[Schema] | None
    raw_body: str | None = None  # a media type, for a body of bytes (a photo)


@bp.before_request
def authenticate_caller():
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return _by_token(header[7:].strip())
    if request.headers.get("X-Requested-With"):
        return _by_session()
    return error(401, "unauthorized", _("Send a valid API token: Authorization: Bearer …"))


def _by_token(secret: str):
    found = authenticate(secret)
    if found is None:
        return error(401, "unauthorized", _("Send a valid API token: Authorization: Bearer …"))
    token, g.role = found
    g.token, g.api_user, g.org = token, token.user, token.organisation
    if g.role is None:
        return error(401, "unauthorized", _("This token's user is no longer a member of the organisation."))
    return None


def _by_session():
    """A phone sending what it saved offline: the member's session, and the organisation the records were
    saved in (``X-Organisation``), which need not be the one the member has open now."""
    if not current_user.is_authenticated:
        return error(401, "login_required", _("Log in again to send what is saved on this phone."))
    g.token, g.api_user = None, current_user._get_current_object()
    wanted = request.headers.get("X-Organisation", "")
    if wanted:
        org_id = int(wanted) if wanted.isdigit() and 0 < int(wanted) <= MAX_ID else None
        role = role_in(current_user, org_id) if org_id else None
        if role is None:
            return error(403, "forbidden", _("You are not a member of the organisation these records were saved in."))
        g.org, g.role = db.session.get(Organisation, org_id), role
    if g.get("org") is None:
        return error(403, "forbidden", _("You are not a member of any organisation."))
    return None


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return error(exc.status, exc.code, exc.message, exc.field)


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    """A rule of the records broken (the same services as the web forms): 422, the field named."""
    return error(422, "invalid", exc.message, exc.field)


def endpoint(
    response: type[Schema],
    *,
    status: int = 200,
    roles=None,
    body=None,
    query=None,
    raw_body: str | None = None,
    identity: Callable[[dict], str | None] | None = None,
):
    """Declare a view: ``roles`` that may call it (any member when None), the ``body`` and ``query``
    schemas it is called with (as ``body=`` and ``query=``), the ``response`` schema it returns.
    ``identity`` names the write's identity from the view's arguments (the body's ``uuid`` when
    left out); ``raw_body`` is the media type of a body of bytes, read by the view itself."""

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
            key = write_identity(lambda: (identity or _body_uuid)(kwargs))
            if key is None:
                return jsonify(answer(view(**kwargs))), status
            return _idempotent(key, kwargs.get("body"), lambda: answer(view(**kwargs)), status)

        wrapped.operation = Operation(summary, response, status, roles, body, query, raw_body)
        return wrapped

    return decorator


def _body_uuid(kwargs: dict) -> str | None:
    uuid = getattr(kwargs.get("body"), "uuid", None)
    return str(uuid) if uuid else None


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


def write_identity(own_identity: Callable[[], str | None]) -> str | None:
    """The write's identity: the record's own UUID, or the ``Idempotency-Key`` header (both must agree)."""
    if request.method not in ("POST", "PUT"):
        return None
    header = request.headers.get("Idempotency-Key")  # sent empty is sent: checked as the document says
    key = read(IdempotencyHeader, {"Idempotency-Key": header}).key if header is not None else None
    own = own_identity()
    key = key or own
    if key is None:
        return None
    if own and key != own:
        # Each matches its schema; that the two disagree is a rule of the request, so 422, as documented.
        raise ApiError(422, "invalid", _("The Idempotency-Key differs from the record's uuid."), "uuid")
    return key


def received(body: Schema | None) -> str | None:
    """The body as the server understood it (its fields in a fixed order); none for bytes."""
    return json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) if body is not None else None


def fingerprint(content: str | None) -> str:
    """What makes two sends the same write: the path and the content (a body's fields in any order,
    or the bytes of a photo)."""
    data = content.encode() if content is not None else request.get_data()
    return hashlib.sha256(request.path.encode() + b"\n" + data).hexdigest()


def _idempotent(key: str, body: Schema | None, call, status: int):
    """The answer is stored with the records it made (the request's one commit), inside a savepoint:
    of two identical sends racing, the later one's writes are undone and it answers as the first."""
    content = received(body)
    digest = fingerprint(content)
    earlier = _earlier(key)
    if earlier is not None:
        return _replay(earlier, digest)
    mark = transactions.pending()
    savepoint = db.session.begin_nested()
    try:
        payload = call()
        db.session.add(
            IdempotentRequest(
                organisation_id=g.org.id,
                token_id=g.token.id if g.token else None,
                key=key,
                request_hash=digest,
                status=status,
                body=json.dumps(payload, ensure_ascii=False),
                request_body=content,
            )
        )
        savepoint.commit()
    except IntegrityError:  # the same write raced this one and won: undo ours, answer as it did
        savepoint.rollback()
        transactions.forget_since(mark)
        earlier = _earlier(key)
        if earlier is None:  # the clash was another record's, not this identity's
            raise ApiError(
                409, "conflict", _("This record clashes with one saved a moment ago. Send it again.")
            ) from None
        return _replay(earlier, digest)
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        transactions.forget_since(mark)
        raise
    return jsonify(payload), status


def _earlier(key: str) -> IdempotentRequest | None:
    return db.session.scalar(
        sa.select(IdempotentRequest).where(IdempotentRequest.organisation_id == g.org.id, IdempotentRequest.key == key)
    )


def _replay(earlier: IdempotentRequest, fingerprint: str):
    stored = json.loads(earlier.body)
    if earlier.request_hash != fingerprint:
        response = jsonify(
            error={
                "code": "conflict",
                "message": _("Another record was already received under this identity; the stored one is attached."),
                "field": "uuid",
                "stored": stored,
                "stored_request": json.loads(earlier.request_body) if earlier.request_body else None,
            }
        )
        response.status_code = 409
        return response
    response = jsonify(stored)
    response.status_code = earlier.status
    response.headers["Idempotent-Replayed"] = "true"
    return response
