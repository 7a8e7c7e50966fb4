"""This server as a witness of another's log: the commune or the province following a producer.

``follow(url)`` fetches the log's newest checkpoint and checks, as C2SP tlog-witness asks of a
witness, that it is signed by the log's key (the one given when the witness first followed it) and
that it extends the last checkpoint this witness accepted: a larger tree with a valid consistency
proof from the old one, or the very same tree. Then it cosigns (C2SP tlog-cosignature, Ed25519,
with a key of its own) and hands the cosignature to the producer's server, which publishes it with
the checkpoint. Anything else (a smaller tree, another root for the same size, a proof that does not
hold, another key) is refused and kept as an alert, with both checkpoints as the evidence, for the
officials' dashboard; the witness never cosigns again until an official looks into it.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from traceability.accounts.models import Organisation
from traceability.database import utcnow
from traceability.extensions import db
from traceability.transparency import keys, tlog
from traceability.transparency.models import WitnessAlert, WitnessedLog

TIMEOUT = 20  # seconds for each request to the producer's server
REASON_LABELS = {
    "truncated": _l("the new checkpoint has fewer events"),
    "forked": _l("another root for the same number of events"),
    "inconsistent": _l("the old checkpoint is not a prefix of the new one"),
    "bad_signature": _l("not signed with the log's key"),
}


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    size: int
    reason: str | None = None  # why it was refused (WitnessAlert.reason)


def name(org: Organisation) -> str:
    """The witness's key name: ``<host>/witness/<code>``."""
    return f"{urlsplit(current_app.config['PUBLIC_BASE_URL']).netloc or 'localhost'}/witness/{org.code}"


def witness_key(org: Organisation):
    return keys.signing_key(f"{org.code}-witness")  # never the key a log of the same org signs with


def verifier_key(org: Organisation) -> str:
    return tlog.vkey(name(org), tlog.public_bytes(witness_key(org)), tlog.COSIGNATURE)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (an official's own URL)
        return response.read()


def follow(org: Organisation, url: str, log_key: str | None = None) -> Outcome:
    url = url.rstrip("/")
    note_text = _get(f"{url}/checkpoint").decode()
    checkpoint = tlog.parse_note(note_text)
    followed = db.session.scalar(
        sa.select(WitnessedLog).where(WitnessedLog.organisation_id == org.id, WitnessedLog.origin == checkpoint.origin)
    )
    key = followed.log_key if followed else (log_key or _get(f"{url}/keys").decode().split()[0])
    if followed is None:
        followed = WitnessedLog(organisation_id=org.id, url=url, origin=checkpoint.origin, log_key=key, size=0)
        followed.root, followed.note = b"", ""
    refused = _refusal(followed, checkpoint, key, url)
    followed.checked_at = utcnow()
    if refused:
        db.session.add(followed)
        db.session.flush()
        db.session.add(
            WitnessAlert(
                organisation_id=org.id,
                witnessed_log_id=followed.id,
                reason=refused,
                accepted_note=followed.note,
                refused_note=note_text,
            )
        )
        return Outcome(False, checkpoint.size, refused)
    followed.size, followed.root, followed.note, followed.url = checkpoint.size, checkpoint.root, note_text, url
    db.session.add(followed)
    line = tlog.cosignature_line(checkpoint.body, name(org), witness_key(org), int(time.time()))
    request = urllib.request.Request(
        f"{url}/cosignature",
        data=json.dumps({"checkpoint": checkpoint.body, "cosignature": line}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT):  # noqa: S310
        pass
    return Outcome(True, checkpoint.size)


def _refusal(followed: WitnessedLog, checkpoint: tlog.Checkpoint, key: str, url: str) -> str | None:
    if tlog.signed_by(checkpoint, tlog.parse_vkey(key)) is None or checkpoint.origin != tlog.parse_vkey(key).name:
        return "bad_signature"
    old = followed.size
    if checkpoint.size < old:
        return "truncated"
    if checkpoint.size == old:
        return None if checkpoint.root == followed.root else "forked"
    if old == 0:
        return None  # first sight: nothing to be consistent with
    try:
        answer = json.loads(_get(f"{url}/consistency?from={old}&to={checkpoint.size}"))
        proof = [base64.b64decode(h) for h in answer["proof"]]
    except (urllib.error.HTTPError, ValueError, KeyError):
        return "inconsistent"
    if not tlog.verify_consistency(old, checkpoint.size, followed.root, checkpoint.root, proof):
        return "inconsistent"
    return None


def alerts(org: Organisation) -> list[tuple[WitnessAlert, WitnessedLog]]:
    """The refusals of this witness, newest first, for the officials' dashboard."""
    return db.session.execute(
        sa.select(WitnessAlert, WitnessedLog)
        .join(WitnessedLog, WitnessedLog.id == WitnessAlert.witnessed_log_id)
        .where(WitnessAlert.organisation_id == org.id)
        .order_by(WitnessAlert.id.desc())
        .limit(20)
    ).all()
