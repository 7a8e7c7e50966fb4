"""Events with the proofs that they are in their organisation's log, against a signed checkpoint.

Each proof (RFC 9162 §2.1.3) is a list of places in ``nodes``, the hashes the proofs share. What a
buyer's page carries (``content=False``: the leaf hashes and proofs only) and what an
auditor's bundle carries (``content=True``: each event's canonical content and the hash before it
too, so its chain hash can be recomputed). ``tlog.py`` checks either against the public keys.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from flask import current_app

from traceability.events.chain import canonical_content
from traceability.events.models import Event
from traceability.extensions import db
from traceability.transparency import checkpoints, tree
from traceability.transparency.models import LogCheckpoint, LogCosignature


def covering(org_id: int, size: int) -> LogCheckpoint | None:
    """The newest checkpoint of at least ``size`` events, a cosigned one if any is."""
    newest = sa.select(LogCheckpoint).where(LogCheckpoint.organisation_id == org_id, LogCheckpoint.size >= size)
    cosigned = newest.where(sa.exists().where(LogCosignature.checkpoint_id == LogCheckpoint.id))
    return db.session.scalar(cosigned.order_by(LogCheckpoint.id.desc()).limit(1)) or db.session.scalar(
        newest.order_by(LogCheckpoint.id.desc()).limit(1)
    )


def for_events(org_id: int, event_ids: list[int], *, content: bool = False) -> dict | None:
    """None while no checkpoint covers every one of the events."""
    leaves = tree.leaf_indices(event_ids)
    if not event_ids or len(leaves) < len(set(event_ids)):
        return None
    checkpoint = covering(org_id, max(leaves.values()) + 1)
    if checkpoint is None:
        return None
    proofs = tree.inclusion_proofs(org_id, sorted(leaves.values()), checkpoint.size)
    # The events of one lot share most of their proofs' upper nodes: each hash is sent once, in
    # ``nodes``, and a proof lists the places of its hashes there.
    nodes: dict[bytes, int] = {}
    events = db.session.scalars(sa.select(Event).where(Event.id.in_(event_ids)).order_by(Event.id))
    shown = []
    for event in events:
        entry = {
            "leaf_index": leaves[event.id],
            "hash": event.hash,
            "proof": [nodes.setdefault(h, len(nodes)) for h in proofs[leaves[event.id]]],
        }
        if content:
            entry.update(prev_hash=event.prev_hash, content=canonical_content(event))
        shown.append(entry)
    witnesses = db.session.execute(
        sa.select(LogCosignature.witness, LogCosignature.cosigned_at).where(
            LogCosignature.checkpoint_id == checkpoint.id
        )
    ).all()
    keys = {v.split("+", 1)[0]: v for v in current_app.config["LOG_WITNESSES"]}
    return {
        "log": checkpoint.origin,
        "checkpoint": checkpoints.published(checkpoint),
        "witnesses": [{"name": name, "at": at.isoformat() + "Z", "key": keys.get(name)} for name, at in witnesses],
        "nodes": [base64.b64encode(h).decode() for h in nodes],
        "events": shown,
    }
