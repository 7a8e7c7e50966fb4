"""Signed checkpoints of each organisation's log, and the cosignatures witnesses return for them.

A checkpoint (C2SP tlog-checkpoint) names the log (its origin), the number of events and the root
of the tree over them, signed with the organisation's key (C2SP signed-note). One is made when the
log has grown and the last is older than ``CHECKPOINT_SECONDS``, or on demand (``audit checkpoint``,
a witness asking). The origin is fixed by the first checkpoint: a log keeps its name when the
server's public address changes, or no witness could follow it.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from traceability.accounts.models import Organisation
from traceability.database import utcnow
from traceability.extensions import db
from traceability.transparency import keys, tlog, tree
from traceability.transparency.models import LogCheckpoint, LogCosignature


def origin(org: Organisation) -> str:
    """The log's name: ``<host>/log/<code>`` (where it is published), as its first checkpoint gave it."""
    first = db.session.scalar(
        sa.select(LogCheckpoint.origin).where(LogCheckpoint.organisation_id == org.id).order_by(LogCheckpoint.id)
    )
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc or "localhost"
    return first or f"{host}/log/{org.code}"


def latest(org_id: int) -> LogCheckpoint | None:
    return db.session.scalar(
        sa.select(LogCheckpoint).where(LogCheckpoint.organisation_id == org_id).order_by(LogCheckpoint.id.desc())
    )


def due(org: Organisation) -> bool:
    """Whether a new checkpoint is owed: events it would cover, and the last one old enough. Reads
    only, so a request can ask before it takes SQLite's write lock."""
    last = latest(org.id)
    wait = dt.timedelta(seconds=current_app.config["CHECKPOINT_SECONDS"])
    if last is not None and utcnow() - last.created_at < wait:
        return False
    return tree.behind(org.id)


def make(org: Organisation, *, now: bool = False) -> LogCheckpoint | None:
    """The newest checkpoint, made anew first when it is ``due`` (or ``now`` and there are events the
    last does not cover). None while the log is empty. The tree grows here, by the events since the
    last checkpoint, so it always ends where the newest checkpoint does between two."""
    if not now and not due(org):
        return latest(org.id)
    size = tree.extend(org.id)
    last = latest(org.id)
    if size == 0 or (last is not None and last.size == size):
        return last
    name = origin(org)
    root = tree.root(org.id, size)
    note = tlog.sign_note(tlog.checkpoint_body(name, size, root), name, keys.signing_key(org.code))
    checkpoint = LogCheckpoint(organisation_id=org.id, origin=name, size=size, root=root, note=note)
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def published(checkpoint: LogCheckpoint) -> str:
    """The signed note with every cosignature collected for it, as a witness or a buyer reads it."""
    lines = db.session.scalars(
        sa.select(LogCosignature.line).where(LogCosignature.checkpoint_id == checkpoint.id).order_by(LogCosignature.id)
    ).all()
    return checkpoint.note + "".join(lines)


def keys_text(org: Organisation) -> str:
    """``/log/<code>/keys`` as served: every verifier key the log has used, the current one first."""
    return "\n".join(keys.public_keys(org.code, origin(org))) + "\n"


def log_key(org: Organisation) -> str:
    return keys.public_keys(org.code, origin(org))[0]
