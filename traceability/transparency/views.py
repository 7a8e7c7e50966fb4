"""The log, published for anyone who checks it: the newest checkpoint with its cosignatures, the
keys it is signed with, and consistency proofs between two sizes (C2SP and RFC 9162 formats).

``/log/<code>/checkpoint`` is what a witness fetches; asking makes a new checkpoint when the log has
grown and the last is older than ``CHECKPOINT_SECONDS``, so an organisation's log is checkpointed
as often as someone follows it, and no more than that.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, request

from traceability import transactions
from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.transparency import checkpoints, tree
from traceability.transparency.keys import public_keys

bp = Blueprint("transparency", __name__, url_prefix="/log")
MAX_SIZE = 2**31 - 1


def _organisation(code: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == code[:40]))
    if org is None or org.kind.is_authority:
        abort(404)
    return org


def _text(body: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Access-Control-Allow-Origin"] = "*"  # any witness, any mirror, any page
    response.cache_control.no_cache = True
    return response


@bp.get("/<code>/checkpoint")
def checkpoint(code: str):
    transactions.will_write()  # a checkpoint may be made: take the write lock first on SQLite
    found = checkpoints.make(_organisation(code))
    if found is None:
        abort(404)
    return _text(checkpoints.published(found))


@bp.get("/<code>/keys")
def keys(code: str):
    """Every verifier key the log has used, the current one first (C2SP signed-note vkeys)."""
    org = _organisation(code)
    return _text("\n".join(public_keys(org.code, checkpoints.origin(org))) + "\n")


@bp.get("/<code>/consistency")
def consistency(code: str):
    """``?from=M&to=N``: the proof that the tree of M events is a prefix of the tree of N."""
    org = _organisation(code)
    old, size = request.args.get("from", type=int), request.args.get("to", type=int)
    current = tree.size(org.id)
    if old is None or size is None or not 0 < old <= size <= min(current, MAX_SIZE):
        return jsonify(error=f"give 0 < from <= to <= {current}"), 400
    proof = tree.consistency_proof(org.id, old, size)
    response = jsonify(
        {"from": old, "to": size, "proof": [base64.b64encode(h).decode() for h in proof]},
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
