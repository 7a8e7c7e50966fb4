"""A lot's proof bundle for officials and auditors (``flask audit proof``): its events' contents and
inclusion proofs, and the checkpoint they lead to, for ``transparency/tlog.py`` to check anywhere."""

from __future__ import annotations

from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.lots import lineage
from traceability.lots.models import Lot
from traceability.provenance.services import event_ids_of
from traceability.transparency import checkpoints
from traceability.transparency.proofs import for_events


def bundle(lot: Lot, *, now: bool = False) -> dict | None:
    """None while the organisation's log has no checkpoint covering the lot's events (``now``: sign
    one first if needed)."""
    checkpoints.make(db.session.get(Organisation, lot.organisation_id), now=now)
    found = for_events(lot.organisation_id, event_ids_of(lineage.trace_back(lot)), content=True)
    return found and {"lot": lot.code, **found}
