"""A lot's events with the proofs that they are in its organisation's log, for anyone to check.

The bundle holds, for each event behind the lot's page, its chain hash, the hash before it, its
canonical content and its inclusion proof to the newest checkpoint, and that checkpoint as published
(with the cosignatures collected so far). ``transparency/tlog.py`` checks it on its own, given the
log's and the witnesses' public keys: nothing in it has to be taken on the server's word.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa

from traceability.accounts.models import Organisation
from traceability.events.chain import canonical_content
from traceability.events.models import Event
from traceability.extensions import db
from traceability.lots import lineage
from traceability.lots.models import Lot
from traceability.provenance.services import event_ids_of
from traceability.transparency import checkpoints, tree


def bundle(lot: Lot, *, now: bool = False) -> dict | None:
    """None while the organisation's log has no checkpoint covering the lot's events (``now``: sign
    one first if needed)."""
    org = db.session.get(Organisation, lot.organisation_id)
    checkpoint = checkpoints.make(org, now=now)
    ids = event_ids_of(lineage.trace_back(lot))
    leaves = tree.leaf_indices(ids)
    if checkpoint is None or any(leaves.get(i, checkpoint.size) >= checkpoint.size for i in ids):
        return None
    proofs = tree.inclusion_proofs(org.id, [leaves[i] for i in ids], checkpoint.size)
    events = db.session.scalars(sa.select(Event).where(Event.id.in_(ids)).order_by(Event.id))
    return {
        "lot": lot.code,
        "log": checkpoint.origin,
        "checkpoint": checkpoints.published(checkpoint),
        "events": [
            {
                "leaf_index": leaves[e.id],
                "hash": e.hash,
                "prev_hash": e.prev_hash,
                "content": canonical_content(e),
                "proof": [base64.b64encode(h).decode() for h in proofs[leaves[e.id]]],
            }
            for e in events
        ],
    }
