"""Rendered lot pages kept in memory, so a label scanned by many buyers costs one index probe.

Building a lot's page walks its lineage (tens of statements and a template), while everything on it
changes only through the organisation's event log: a harvest, a processing run, a recall, a
certificate. A cached page is served while the organisation's latest event is the same one and the
day has not turned (expiry is relative to today), and for at most ``PUBLIC_PAGE_CACHE_SECONDS``, which
bounds the few changes made outside the log (a product's name, a new photo). The latest event is
looked up at most every ``PUBLIC_PAGE_RECHECK_SECONDS`` per page: a burst of scans of one label costs
no query at all, and a recall still shows within those few seconds. Each serving process has its
own small cache; nothing is shared, nothing to invalidate across servers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import sqlalchemy as sa

from traceability.accounts.tenancy import of_org
from traceability.events.models import Event
from traceability.extensions import db


@dataclass(frozen=True)
class CachedPage:
    organisation_id: int
    version: tuple  # (latest event id of the organisation, local day)
    body: bytes
    mimetype: str
    last_modified: object
    stored_at: float
    checked_at: float


class PageCache:
    def __init__(self, size: int = 2048):
        self._size = size
        self._pages: OrderedDict[tuple, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, max_age: float) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None or time.monotonic() - page.stored_at > max_age:
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: CachedPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)

    def checked(self, key: tuple, page: CachedPage) -> None:
        """The page's version was just confirmed: no need to ask again for a while."""
        self.put(key, replace(page, checked_at=time.monotonic()))

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def organisation_version(organisation_id: int, today) -> tuple:
    """What a lot page depends on that can change: the organisation's latest event, and the day."""
    latest = db.session.scalar(
        sa.select(Event.id).where(of_org(Event, organisation_id)).order_by(Event.id.desc()).limit(1)
    )
    return latest, today
