"""The stored Merkle tree of an organisation's events: extended in log order, read for proofs.

A leaf is the event's chain hash (its 32 bytes): the chain keeps linking each event to the one
before, the tree lets anyone check one event, or the whole prefix, against a signed root. The tree
grows by whole batches of new events (``extend``, under the organisation's chain lock, so it and
the chain see the same order); each new leaf adds its own node and completes at most one node per
level above it, so an append costs O(1) rows amortised and never recomputes what is stored.

A proof needs the hashes of a few ranges of leaves; each range is made of perfect subtrees, all
stored. A proof is built once by the functions of ``tlog`` with the ranges standing in for their
hashes, then every node they need is read in one query.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from traceability.events.chain import lock_chain
from traceability.events.models import Event
from traceability.extensions import db
from traceability.transparency import tlog
from traceability.transparency.models import LogLeaf, LogNode

BATCH = 5000  # events read and nodes written at a time while extending


def size(org_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(LogLeaf.leaf_index) + 1, 0)).where(LogLeaf.organisation_id == org_id)
    )


def behind(org_id: int) -> bool:
    """Whether the organisation has events the tree does not hold yet (two index probes)."""
    newest_leaf = (
        sa.select(LogLeaf.event_id)
        .where(LogLeaf.organisation_id == org_id)
        .order_by(LogLeaf.leaf_index.desc())
        .limit(1)
        .scalar_subquery()
    )
    newer = sa.exists().where(Event.organisation_id == org_id, Event.id > sa.func.coalesce(newest_leaf, 0))
    return bool(db.session.scalar(sa.select(newer)))


def _edge(org_id: int, n: int) -> dict[int, bytes]:
    """The perfect subtrees at the right edge of a tree of ``n`` leaves, by level: one per bit set."""
    wanted = [(level, (n >> level) - 1) for level in range(n.bit_length()) if n >> level & 1]
    return {level: found for (level, _position), found in _nodes(org_id, wanted).items()}


def _nodes(org_id: int, keys) -> dict[tuple[int, int], bytes]:
    """The stored hashes of ``(level, position)`` nodes, in one statement: a probe of the primary
    key per level, joined by UNION ALL (an OR of the levels, or a list of pairs, makes SQLite scan
    every node of the organisation)."""
    by_level: dict[int, list[int]] = {}
    for level, position in keys:
        by_level.setdefault(level, []).append(position)
    if not by_level:
        return {}
    # Written as the driver's own SQL, every value an integer computed here: building the statement
    # through the expression language, and its per-row result processing, took longer than the
    # probes themselves (a lot of 50 events at 1M reads some 700 nodes).
    parts = [
        f"SELECT level, position, hash FROM log_nodes WHERE organisation_id = {int(org_id)} AND level = {int(level)} "
        f"AND position IN ({', '.join(str(int(p)) for p in positions)})"
        for level, positions in by_level.items()
    ]
    rows = db.session.connection().exec_driver_sql(" UNION ALL ".join(parts)).fetchall()
    return {(level, position): bytes(value) for level, position, value in rows}


def extend(org_id: int) -> int:
    """Add the organisation's events not yet in the tree, oldest first; the new size."""
    lock_chain(org_id)
    n = size(org_id)
    last = db.session.scalar(sa.select(sa.func.max(LogLeaf.event_id)).where(LogLeaf.organisation_id == org_id)) or 0
    edge = _edge(org_id, n)
    while True:
        events = db.session.execute(
            sa.select(Event.id, Event.hash)
            .where(Event.organisation_id == org_id, Event.id > last)
            .order_by(Event.id)
            .limit(BATCH)
        ).all()
        if not events:
            return n
        leaves, nodes = [], []
        for event_id, chain_hash in events:
            value, level = tlog.leaf_hash(bytes.fromhex(chain_hash)), 0
            nodes.append({"organisation_id": org_id, "level": 0, "position": n, "hash": value})
            while n >> level & 1:  # a right child: its parent is complete
                value = tlog.node_hash(edge.pop(level), value)
                level += 1
                nodes.append({"organisation_id": org_id, "level": level, "position": n >> level, "hash": value})
            edge[level] = value
            leaves.append({"event_id": event_id, "organisation_id": org_id, "leaf_index": n})
            n += 1
        db.session.execute(sa.insert(LogLeaf), leaves)
        db.session.execute(sa.insert(LogNode), nodes)
        last = events[-1][0]


def _build(org_id: int, make: Callable[[tlog.Subtree], object]):
    """``make(subtree)`` with the stored hashes. It runs once, each range it asks for standing in as
    ``(start, end)``; one query reads every node those ranges are made of, and each stand-in, in
    the lists and dicts ``make`` returned, becomes its hash."""
    made = make(lambda start, end: (start, end))
    ranges: set[tuple[int, int]] = set()
    _ranges(made, ranges)
    parts = {r: tlog.perfect_parts(*r) for r in ranges}
    wanted = {key for keys in parts.values() for key in keys}
    found = _nodes(org_id, wanted)
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"the tree of organisation {org_id} lacks nodes {sorted(missing)[:3]}")
    hashes = {r: tlog.combine([found[key] for key in keys]) for r, keys in parts.items()}
    return _resolved(made, hashes)


def _ranges(made, into: set) -> None:
    if isinstance(made, tuple):
        into.add(made)
    elif isinstance(made, dict):
        for value in made.values():
            _ranges(value, into)
    else:
        for value in made:
            _ranges(value, into)


def _resolved(made, hashes):
    if isinstance(made, tuple):
        return hashes[made]
    if isinstance(made, dict):
        return {key: _resolved(value, hashes) for key, value in made.items()}
    return [_resolved(value, hashes) for value in made]


def root(org_id: int, n: int) -> bytes:
    if n == 0:
        return tlog.root_of([])
    return _build(org_id, lambda subtree: subtree(0, n))


def inclusion_proofs(org_id: int, indices: list[int], n: int) -> dict[int, list[bytes]]:
    """The proof of each leaf in the tree of ``n`` leaves, read in one query for all of them."""
    return _build(org_id, lambda subtree: {i: tlog.inclusion_proof(i, n, subtree) for i in indices})


def consistency_proof(org_id: int, old: int, n: int) -> list[bytes]:
    return _build(org_id, lambda subtree: tlog.consistency_proof(old, n, subtree))


def leaf_indices(event_ids) -> dict[int, int]:
    """event id → its leaf index, for the events already in a tree."""
    rows = db.session.execute(sa.select(LogLeaf.event_id, LogLeaf.leaf_index).where(LogLeaf.event_id.in_(event_ids)))
    return {event_id: index for event_id, index in rows}
