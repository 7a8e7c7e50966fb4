"""Checkpoints of the hash chains: per organisation, how many events its chain held and its last hash.

A chain that verifies link by link can still be short: a copy that lost its newest events is
consistent in itself, and recomputing it says nothing is wrong. Only a note kept apart from the
data (beside a backup, in the backup log, on paper) says how far each chain had reached. ``backup``
prints one taken from its own snapshot, ``audit verify`` prints the one it computed, and both
compare a chain with the last one they are given: the chain must have at least as many events, and
the event at the checkpoint's position must carry the checkpoint's hash.

One line per organisation, ``<code> <count> <head hash>``, after a ``#`` line saying when it was
taken; the same text in every language, so a checkpoint is read back wherever it was printed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from traceability.accounts.models import Organisation
from traceability.events.chain import GENESIS
from traceability.events.models import Event

HEADER = "# traceability checkpoint"
_HASH = re.compile(r"[0-9a-f]{64}")
_EVENTS, _ORGS = Event.__table__, Organisation.__table__


@dataclass(frozen=True)
class Mark:
    organisation: str  # the organisation's code: what an auditor reads, and what survives a restore
    count: int
    head: str  # the hash of its count-th event; GENESIS while it has none


def take(connection: sa.Connection | Session, organisation: str | None = None) -> list[Mark]:
    """The chains as ``connection`` sees them: the app's session, or a transaction inside a snapshot."""
    own = _EVENTS.c.organisation_id == _ORGS.c.id
    count = sa.select(sa.func.count()).where(own).scalar_subquery()
    head = sa.select(_EVENTS.c.hash).where(own).order_by(_EVENTS.c.id.desc()).limit(1).scalar_subquery()
    query = sa.select(_ORGS.c.code, count, head).order_by(_ORGS.c.code)
    if organisation:
        query = query.where(_ORGS.c.code == organisation)
    return [Mark(code, n, last or GENESIS) for code, n, last in connection.execute(query)]


def dumps(marks: list[Mark], taken_at: dt.datetime) -> str:
    lines = [f"{HEADER} {taken_at:%Y-%m-%dT%H:%M:%S}Z"]
    lines += [f"{mark.organisation} {mark.count} {mark.head}" for mark in marks]
    return "\n".join(lines) + "\n"


def loads(text: str) -> list[Mark]:
    """Read a checkpoint printed by ``dumps``; lines may also be separated by ``;`` (given inline)."""
    marks = []
    for number, line in enumerate(text.replace(";", "\n").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or not parts[1].isdigit() or not _HASH.fullmatch(parts[2]):
            raise ValueError(
                _(
                    'Line %(number)s of the checkpoint is not "<organisation> <event count> <hash>": %(line)s',
                    number=number,
                    line=line[:200],
                )
            )
        marks.append(Mark(parts[0], int(parts[1]), parts[2]))
    if not marks:
        raise ValueError(_("The checkpoint names no organisation."))
    return marks


def compare(connection: sa.Connection | Session, marks: list[Mark]) -> list[str]:
    """What the chains lack against the checkpoint, one message per organisation; empty when they agree.

    Events added since the checkpoint are fine; fewer events, or another event at its position, are not.
    """
    problems = []
    for mark in marks:
        org_id = connection.execute(sa.select(_ORGS.c.id).where(_ORGS.c.code == mark.organisation)).scalar()
        if org_id is None:
            problems.append(
                _(
                    "Organisation %(org)s is in the checkpoint (%(count)s events, last hash %(head)s) "
                    "but not in the database.",
                    org=mark.organisation,
                    count=mark.count,
                    head=mark.head,
                )
            )
            continue
        own = sa.select(_EVENTS.c.hash).where(_EVENTS.c.organisation_id == org_id)
        found = connection.execute(sa.select(sa.func.count()).select_from(own.subquery())).scalar_one()
        if found < mark.count:
            last = connection.execute(own.order_by(_EVENTS.c.id.desc()).limit(1)).scalar() or GENESIS
            problems.append(
                _(
                    "Organisation %(org)s: the checkpoint has %(expected)s events ending in %(head)s, the chain "
                    "has only %(found)s ending in %(found_head)s. The newest %(missing)s events are missing.",
                    org=mark.organisation,
                    expected=mark.count,
                    head=mark.head,
                    found=found,
                    found_head=last,
                    missing=mark.count - found,
                )
            )
            continue
        if mark.count == 0:
            continue
        at = connection.execute(own.order_by(_EVENTS.c.id).offset(mark.count - 1).limit(1)).scalar_one()
        if at != mark.head:
            problems.append(
                _(
                    "Organisation %(org)s: event %(position)s of the chain has the hash %(found)s, the checkpoint "
                    "says %(head)s. This chain is not the one the checkpoint was taken from.",
                    org=mark.organisation,
                    position=mark.count,
                    found=at,
                    head=mark.head,
                )
            )
    return problems
