"""The events as they are now, held against the newest signed checkpoint of their log.

The chain check (``events.chain.verify``) catches an edited row. It cannot catch a chain recomputed
from the edit onward, nor the newest events deleted: both leave a chain consistent in itself. The
checkpoint can, once it has left the server (a witness cosigned it, a buyer's phone or a mirror
kept it): its root is the tree over the events as they were. So the tree is recomputed here from
the events' stored hashes, in memory, and compared with every checkpoint; where one disagrees, the
first event that changed is found from the tree nodes stored at the time, when they survive.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation
from traceability.events.models import Event
from traceability.extensions import db
from traceability.transparency import keys, tlog
from traceability.transparency.models import LogCheckpoint, LogCosignature, LogNode


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every perfect subtree's hash, level by level, from the leaves up."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        row = levels[-1]
        levels.append([tlog.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)])
    return levels


def _witnessed(checkpoint: LogCheckpoint) -> str:
    """ ", cosigned by …" when witnesses hold this checkpoint: then the evidence is outside the server too."""
    names = db.session.scalars(
        sa.select(LogCosignature.witness)
        .where(LogCosignature.checkpoint_id == checkpoint.id)
        .order_by(LogCosignature.id)
    ).all()
    return _(", cosigned by %(names)s", names=", ".join(names)) if names else ""


def held(org: Organisation) -> str | None:
    """One line for ``audit verify`` when the log holds: the checkpoints it agrees with, the newest
    named with its witnesses; None for an organisation without checkpoints."""
    newest = db.session.scalar(
        sa.select(LogCheckpoint).where(LogCheckpoint.organisation_id == org.id).order_by(LogCheckpoint.id.desc())
    )
    if newest is None:
        return None
    count = db.session.scalar(sa.select(sa.func.count()).where(LogCheckpoint.organisation_id == org.id))
    return _(
        "Log of %(org)s: the events agree with its %(count)s signed checkpoints; the newest, of %(size)s events "
        "on %(when)s%(witnessed)s.",
        org=org.code,
        count=count,
        size=newest.size,
        when=newest.created_at.isoformat(timespec="minutes"),
        witnessed=_witnessed(newest),
    )


def problems(org: Organisation) -> list[str]:
    """What the organisation's events lack against its checkpoints, by event number; empty when they hold."""
    hashes = db.session.scalars(sa.select(Event.hash).where(Event.organisation_id == org.id).order_by(Event.id)).all()
    leaves = [tlog.leaf_hash(bytes.fromhex(h)) for h in hashes]
    levels = _levels(leaves)

    def subtree(start: int, end: int) -> bytes:
        return tlog.combine([levels[level][position] for level, position in tlog.perfect_parts(start, end)])

    checkpoints = db.session.scalars(
        sa.select(LogCheckpoint).where(LogCheckpoint.organisation_id == org.id).order_by(LogCheckpoint.id)
    ).all()
    if not checkpoints:
        return []
    verifiers = [tlog.parse_vkey(v) for v in keys.public_keys(org.code, checkpoints[0].origin)]
    found = []
    for checkpoint in checkpoints:
        note = tlog.parse_note(checkpoint.note)
        if (note.size, note.root) != (checkpoint.size, checkpoint.root) or not any(
            tlog.signed_by(note, v) is not None for v in verifiers
        ):
            found.append(
                _(
                    "Log of %(org)s: checkpoint %(id)s (%(size)s events) is not signed by the organisation's key.",
                    org=org.code,
                    id=checkpoint.id,
                    size=checkpoint.size,
                )
            )
    newest = checkpoints[-1]
    if len(leaves) < newest.size:
        found.append(
            _(
                "Log of %(org)s: the checkpoint of %(when)s%(witnessed)s covers %(size)s events, the database "
                "holds %(n)s. Events %(first)s to %(size)s have been deleted.",
                org=org.code,
                when=newest.created_at.isoformat(timespec="minutes"),
                witnessed=_witnessed(newest),
                size=newest.size,
                n=len(leaves),
                first=len(leaves) + 1,
            )
        )
        return found
    for checkpoint in checkpoints:
        if subtree(0, checkpoint.size) == checkpoint.root:
            continue
        event = _first_changed(org.id, leaves)
        where = (
            _("event %(n)s is the first that differs from the tree stored then", n=event)
            if event
            else _("the tree stored then was rewritten too")
        )
        found.append(
            _(
                "Log of %(org)s: the first %(size)s events no longer give the root the checkpoint of "
                "%(when)s%(witnessed)s signed: history was rewritten (%(where)s).",
                org=org.code,
                size=checkpoint.size,
                when=checkpoint.created_at.isoformat(timespec="minutes"),
                witnessed=_witnessed(checkpoint),
                where=where,
            )
        )
        break
    return found


def _first_changed(org_id: int, leaves: list[bytes]) -> int | None:
    """The number (from 1) of the first event whose leaf differs from the one stored in the tree."""
    rows = db.session.execute(
        sa.select(LogNode.position, LogNode.hash).where(LogNode.organisation_id == org_id, LogNode.level == 0)
    )
    stored = {position: value for position, value in rows}
    for position, leaf in enumerate(leaves):
        if position in stored and bytes(stored[position]) != leaf:
            return position + 1
    return None
