"""The log, published for anyone who checks it: the newest checkpoint with its cosignatures, the
keys it is signed with, and consistency proofs between two sizes (C2SP and RFC 9162 formats).

``/log/<code>/checkpoint`` is what a witness fetches; asking makes a new checkpoint when the log has
grown and the last is older than ``CHECKPOINT_SECONDS``, so an organisation's log is checkpointed
as often as someone follows it, and no more than that.
"""

from __future__ import annotations

import base64
import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, jsonify, request

from traceability import transactions
from traceability.accounts.models import Organisation
from traceability.extensions import csrf, db
from traceability.transparency import checkpoints, tlog, tree
from traceability.transparency.models import LogCheckpoint, LogCosignature
from traceability.transparency.witness import accepted
from traceability.transparency.witness import name as witness_name

bp = Blueprint("transparency", __name__, url_prefix="/log")
witnessing = Blueprint("witnessing", __name__, url_prefix="/witness")
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
    org = _organisation(code)
    if checkpoints.due(org):  # most asks find the newest one fresh, and only read
        transactions.will_write()  # take the write lock first on SQLite; make() checks again under it
    found = checkpoints.make(org)
    if found is None:
        abort(404)
    return _text(checkpoints.published(found))


@bp.get("/<code>/keys")
def keys(code: str):
    """Every verifier key the log has used, the current one first (C2SP signed-note vkeys)."""
    return _text(checkpoints.keys_text(_organisation(code)))


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


@bp.post("/<code>/cosignature")
@csrf.exempt  # a witness's server posts here, with no session: the signature is its credential
def cosignature(code: str):
    """A witness hands back its cosignature: ``{"checkpoint": body, "cosignature": line}``. Kept when
    it verifies with a key of ``LOG_WITNESSES`` over a checkpoint this log signed; else 422."""
    org = _organisation(code)
    given = request.get_json(silent=True) or {}
    body, line = given.get("checkpoint"), given.get("cosignature")
    if not isinstance(body, str) or not isinstance(line, str) or len(body) + len(line) > 4096:
        return jsonify(error="send {checkpoint, cosignature} as text"), 400
    try:
        note = tlog.parse_note(body + "\n" + line)
    except (ValueError, TypeError):
        return jsonify(error="not a checkpoint and a signature line"), 400
    signed = db.session.scalar(
        sa.select(LogCheckpoint).where(
            LogCheckpoint.organisation_id == org.id, LogCheckpoint.size == note.size, LogCheckpoint.root == note.root
        )
    )
    witness = next(
        (
            v
            for v in map(tlog.parse_vkey, current_app.config["LOG_WITNESSES"])
            if v.signature_type == tlog.COSIGNATURE and tlog.signed_by(note, v)
        ),
        None,
    )
    if signed is None or not signed.note.startswith(body) or witness is None:
        return jsonify(error="no checkpoint of this log that a trusted witness signed"), 422
    transactions.will_write()
    known = db.session.scalar(
        sa.select(LogCosignature.id).where(
            LogCosignature.checkpoint_id == signed.id, LogCosignature.witness == witness.name
        )
    )
    if known is None:
        at = dt.datetime.fromtimestamp(tlog.signed_by(note, witness), dt.UTC).replace(tzinfo=None)
        db.session.add(LogCosignature(checkpoint_id=signed.id, witness=witness.name, line=line, cosigned_at=at))
    return jsonify(ok=True), 201


@witnessing.get("/<code>/logs")
def witnessed(code: str):
    """What this server, as the witness of authority ``code``, accepted of each log it follows: for
    another witness to compare (``witness compare``), so a log cannot show each a history of its own."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == code[:40]))
    if org is None or not org.kind.is_authority:
        abort(404)
    response = jsonify(
        {
            "witness": witness_name(org),
            "logs": [{"origin": w.origin, "checkpoint": w.note} for w in accepted(org)],
        }
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.no_cache = True
    return response
