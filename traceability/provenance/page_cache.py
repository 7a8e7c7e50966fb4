"""Rendered public pages kept in memory, so a label scanned by many buyers costs one index probe.

Building a lot's page walks its lineage (tens of statements and a template), while everything on it
changes only through the organisation's event log: a harvest, a processing run, a recall, a
certificate. A kept page is served while the organisation's latest event is the same one and the
day has not turned (expiry is relative to today), and for at most ``PUBLIC_PAGE_CACHE_SECONDS``, which
bounds the few changes made outside the log (a product's name, a new photo). The latest event is
looked up at most every ``PUBLIC_PAGE_RECHECK_SECONDS`` per page: a burst of scans of one label costs
no query at all, and a recall still shows within those few seconds. Each serving process keeps its
own (``traceability.memory``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask import current_app, session

from traceability import memory
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.epcis.models import EpcisSharing
from traceability.events.models import Event
from traceability.extensions import db

SIZE = 2048  # pages per process: a few hundred lots in two languages, and their linksets


@dataclass(frozen=True)
class CachedPage:
    organisation_id: int
    version: tuple  # (latest event id of the organisation, local day)
    body: bytes
    mimetype: str
    last_modified: object
    stored_at: float
    checked_at: float


def organisation_version(organisation_id: int, today) -> tuple:
    """What a lot page depends on that can change: the organisation's latest event, what it shares by EPCIS
    (the linkset's ``gs1:epcis``), and the day. One statement."""
    latest = sa.select(Event.id).where(of_org(Event, organisation_id)).order_by(Event.id.desc()).limit(1)
    shared = sa.select(EpcisSharing.public).where(EpcisSharing.organisation_id == organisation_id)
    row = db.session.execute(sa.select(latest.scalar_subquery(), shared.scalar_subquery())).one()
    return row[0], today, row[1]  # the day second, as fresh() reads it


def _pages() -> memory.Kept[CachedPage]:
    return current_app.extensions.setdefault("public_page_cache", memory.Kept(SIZE))


def fresh(key: tuple) -> CachedPage | None:
    """The page kept under ``key`` if its organisation has recorded nothing since (checked at most
    every ``PUBLIC_PAGE_RECHECK_SECONDS``) and the day has not turned."""
    if not keepable():  # a visitor with a message waiting gets a page built fresh
        return None
    pages = _pages()
    cached = pages.get(key, current_app.config["PUBLIC_PAGE_CACHE_SECONDS"])
    if cached is None:
        return None
    today = local_today()
    recent = memory.now() - cached.checked_at < current_app.config["PUBLIC_PAGE_RECHECK_SECONDS"]
    if not recent and organisation_version(cached.organisation_id, today) == cached.version:
        pages.put(key, replace(cached, checked_at=memory.now()))  # confirmed: no need to ask for a while
        recent = True
    return cached if recent and cached.version[1] == today else None


def keepable() -> bool:
    """Asked before rendering: a page showing a visitor's message (a flash) is never kept."""
    return bool(current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]) and not session.get("_flashes")


def keep(key: tuple, organisation_id: int, version: tuple, body: bytes, mimetype: str, last_modified) -> None:
    at = memory.now()
    _pages().put(key, CachedPage(organisation_id, version, body, mimetype, last_modified, at, at))
