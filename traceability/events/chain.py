"""The hash chain of each organisation's events: computing, appending under a lock, verifying.

Each event's hash is SHA-256 over its canonical content and the previous event's hash in the same
organisation. Appends are serialised per organisation (a row lock on PostgreSQL; an immediate
write transaction on SQLite, see ``database.py``), so the chain stays linear under load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.events.models import Event
from traceability.extensions import db

GENESIS = "0" * 64


def canonical_content(event: Event) -> str:
    content = {
        "organisation_id": event.organisation_id,
        "kind": event.kind.value,
        "occurred_on": event.occurred_on.isoformat(),
        "recorded_at": event.recorded_at.isoformat(timespec="microseconds"),
        "recorded_by_id": event.recorded_by_id,
        "for_household_id": event.for_household_id,
        "late": bool(event.late),
        "supersedes_id": event.supersedes_id,
        "reason": event.reason,
        "plot_id": event.plot_id,
        "planting_id": event.planting_id,
        "payload": event.payload,
    }
    # Added after the first events were chained: present only when set, so earlier hashes still verify.
    if event.uuid is not None:
        content["uuid"] = event.uuid
    if event.saved_at is not None:
        content["saved_at"] = event.saved_at.isoformat(timespec="microseconds")
    if event.clock_suspect:
        content["clock_suspect"] = True
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(event: Event, prev_hash: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_content(event)).encode("utf-8")).hexdigest()


def lock_chain(org_id: int) -> None:
    """Hold the organisation's chain until commit. On SQLite the immediate transaction already does.

    FOR NO KEY UPDATE, not FOR UPDATE: inserting any row that references the organisation takes a
    KEY SHARE lock on it, and that must not wait for (or deadlock with) the chain.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Organisation.id).where(Organisation.id == org_id).with_for_update(key_share=True))


def last_hash(org_id: int) -> str:
    value = db.session.scalar(sa.select(Event.hash).where(of_org(Event, org_id)).order_by(Event.id.desc()).limit(1))
    return value or GENESIS


@dataclass
class Verification:
    checked: int
    broken_event_id: int | None = None
    organisation_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def verify(org_id: int | None = None, batch: int = 2000) -> Verification:
    """Recompute every hash in order; stop at the first event whose stored hash or link is wrong."""
    org_ids = [org_id] if org_id else db.session.scalars(sa.select(Organisation.id).order_by(Organisation.id)).all()
    checked = 0
    for oid in org_ids:
        prev, after = GENESIS, 0
        while True:
            events = db.session.scalars(
                sa.select(Event).where(of_org(Event, oid), Event.id > after).order_by(Event.id).limit(batch)
            ).all()
            if not events:
                break
            for event in events:
                checked += 1
                if event.prev_hash != prev or event.hash != digest(event, prev):
                    return Verification(checked, event.id, oid)
                prev, after = event.hash, event.id
            for event in events:
                db.session.expunge(event)  # keep memory flat on long chains
    return Verification(checked)
