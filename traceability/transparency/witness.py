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

from traceability import transactions
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
    "split_view": _l("another witness was shown another history of the same log"),
}


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    size: int
    reason: str | None = None  # why it was refused (WitnessAlert.reason)


def name(org: Organisation) -> str:
    """The witness's key name: ``<host>/witness/<code>``."""
    return f"{urlsplit(current_app.config['PUBLIC_BASE_URL']).netloc or 'localhost'}/witness/{org.code}"


def display_name(key_name: str) -> str:
    """How a buyer's page names a witness: as ``LOG_WITNESS_NAMES`` says, else by the authority's
    own name when the witness is this server's ("UBND xã Quảng Thái"), else by its key name."""
    named = current_app.config["LOG_WITNESS_NAMES"].get(key_name)
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc or "localhost"
    if named or not key_name.startswith(f"{host}/witness/"):
        return named or key_name
    code = key_name.removeprefix(f"{host}/witness/")
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == code))
    return org.name if org is not None and org.kind.is_authority else key_name


def witness_key(org: Organisation):
    return keys.signing_key(f"{org.code}-witness")  # never the key a log of the same org signs with


def verifier_key(org: Organisation) -> str:
    return tlog.vkey(name(org), tlog.public_bytes(witness_key(org)), tlog.COSIGNATURE)


def _get(url: str | urllib.request.Request) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (an official's own URL)
            return response.read()
    except urllib.error.HTTPError as error:
        error.close()  # the error answer's body keeps its connection open until closed
        raise


def follow(org: Organisation, url: str, log_key: str | None = None) -> Outcome:
    """Check and cosign the newest checkpoint of the log at ``url``, or refuse it; commits.

    The producer's server is asked with no transaction open here: a witness running on the
    producer's own server (one deployment for a cooperative and its commune) would otherwise hold
    the very database the producer needs to answer it."""
    url = url.rstrip("/")
    org_id, signer, signing_key = org.id, name(org), witness_key(org)
    transactions.commit()  # what the caller read holds SQLite's lock outside a request: let it go first
    note_text = _get(f"{url}/checkpoint").decode()
    checkpoint = tlog.parse_note(note_text)
    with transactions.unit_of_work():  # a read, ended before the network is asked again
        seen = _followed(org_id, checkpoint.origin)
        accepted = (seen.size, seen.root, seen.log_key) if seen else (0, b"", None)
    key = accepted[2] or log_key or _get(f"{url}/keys").decode().split()[0]
    refused = _refusal(accepted[0], accepted[1], checkpoint, key, url)
    if refused is None:
        line = tlog.cosignature_line(checkpoint.body, signer, signing_key, int(time.time()))
        request = urllib.request.Request(
            f"{url}/cosignature",
            data=json.dumps({"checkpoint": checkpoint.body, "cosignature": line}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        _get(request)
    with transactions.unit_of_work():
        followed = _followed(org_id, checkpoint.origin) or WitnessedLog(
            organisation_id=org_id, origin=checkpoint.origin, log_key=key, size=0, root=b"", note=""
        )
        followed.url, followed.checked_at = url, utcnow()
        db.session.add(followed)
        db.session.flush()
        if refused:
            db.session.add(
                WitnessAlert(
                    organisation_id=org_id,
                    witnessed_log_id=followed.id,
                    reason=refused,
                    accepted_note=followed.note,
                    refused_note=note_text,
                )
            )
        elif checkpoint.size >= followed.size:  # never back, if another run got further meanwhile
            followed.size, followed.root, followed.note = checkpoint.size, checkpoint.root, note_text
    return Outcome(refused is None, checkpoint.size, refused)


def _followed(org_id: int, origin: str) -> WitnessedLog | None:
    return db.session.scalar(
        sa.select(WitnessedLog).where(WitnessedLog.organisation_id == org_id, WitnessedLog.origin == origin)
    )


def _refusal(old: int, old_root: bytes, checkpoint: tlog.Checkpoint, key: str, url: str) -> str | None:
    if tlog.signed_by(checkpoint, tlog.parse_vkey(key)) is None or checkpoint.origin != tlog.parse_vkey(key).name:
        return "bad_signature"
    if checkpoint.size < old:
        return "truncated"
    if checkpoint.size == old:
        return None if checkpoint.root == old_root else "forked"
    if old == 0:
        return None  # first sight: nothing to be consistent with
    return None if _consistent(url, old, old_root, checkpoint.size, checkpoint.root) else "inconsistent"


def _consistent(url: str, old: int, old_root: bytes, size: int, root: bytes) -> bool:
    """Whether the log at ``url`` proves the tree of ``old`` events a prefix of the one of ``size``."""
    try:
        answer = json.loads(_get(f"{url}/consistency?from={old}&to={size}"))
        proof = [base64.b64decode(h) for h in answer["proof"]]
    except urllib.error.HTTPError as error:
        if error.code >= 500:  # a proxy or a server down: no evidence of anything, ask again later
            raise
        return False  # the log refuses to prove a size it signed
    except (ValueError, KeyError, TypeError):
        return False
    return tlog.verify_consistency(old, size, old_root, root, proof)


def accepted(org: Organisation) -> list[WitnessedLog]:
    """The logs this witness follows, with the newest checkpoint it accepted of each."""
    return db.session.scalars(
        sa.select(WitnessedLog)
        .where(WitnessedLog.organisation_id == org.id, WitnessedLog.size > 0)
        .order_by(WitnessedLog.origin)
    ).all()


def compare(org: Organisation, url: str) -> tuple[list[str], list[str]]:
    """Hold what another witness accepted (its ``/witness/<code>/logs``) against what this one did;
    commits. A log that showed the two different histories (a split view: the same size with
    another root, or two sizes no consistency proof joins) is kept as an alert with both
    checkpoints. Returns the logs compared and those caught; a checkpoint the log did not sign is
    no evidence and is passed over."""
    org_id = org.id
    transactions.commit()  # nothing held while the other witness is asked
    with transactions.unit_of_work():
        mine = {log.origin: (log.id, log.note, log.log_key, log.url) for log in accepted(org)}
    answer = json.loads(_get(f"{url.rstrip('/')}/logs"))
    theirs = answer.get("logs") if isinstance(answer, dict) else None
    compared, caught = [], []
    for entry in theirs if isinstance(theirs, list) else []:
        origin, note = (entry.get("origin"), entry.get("checkpoint")) if isinstance(entry, dict) else (None, None)
        if origin not in mine or not isinstance(note, str):
            continue
        log_id, my_note, key, producer = mine[origin]
        try:
            other, ours = tlog.parse_note(note), tlog.parse_note(my_note)
        except ValueError:
            continue
        if other.origin != origin or tlog.signed_by(other, tlog.parse_vkey(key)) is None:
            continue
        compared.append(origin)
        if other.size == ours.size:
            split = tlog.split_view(my_note, note, key)
        else:
            (small, large) = sorted((ours, other), key=lambda c: c.size)
            split = not _consistent(producer, small.size, small.root, large.size, large.root)
        if split:
            caught.append(origin)
            with transactions.unit_of_work():
                db.session.add(
                    WitnessAlert(
                        organisation_id=org_id,
                        witnessed_log_id=log_id,
                        reason="split_view",
                        accepted_note=my_note,
                        refused_note=note,
                    )
                )
    return compared, caught


def alerts(org: Organisation) -> list[tuple[WitnessAlert, WitnessedLog, str]]:
    """The refusals of this witness, newest first, for the officials' dashboard, each with the name to
    call the log by: its producer's, when the log is served here, else the log's own name."""
    found = db.session.execute(
        sa.select(WitnessAlert, WitnessedLog)
        .join(WitnessedLog, WitnessedLog.id == WitnessAlert.witnessed_log_id)
        .where(WitnessAlert.organisation_id == org.id)
        .order_by(WitnessAlert.id.desc())
        .limit(20)
    ).all()
    here = f"{urlsplit(current_app.config['PUBLIC_BASE_URL']).netloc or 'localhost'}/log/"
    codes = {log.origin.removeprefix(here) for _alert, log in found if log.origin.startswith(here)}
    rows = db.session.execute(sa.select(Organisation.code, Organisation.name).where(Organisation.code.in_(codes)))
    names = {code: name for code, name in rows}
    return [(alert, log, names.get(log.origin.removeprefix(here), log.origin)) for alert, log in found]
