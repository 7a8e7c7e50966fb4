"""Finding a lot among hundreds: by code, product, kind, status and dates, one page at a time.

The query string is the whole state (``/lots?q=A1&kind=harvest&page=2``), so a search can be
bookmarked and works without a script. Odd values never fail: a value that cannot be read is left
out and said so, and a page past the last shows the last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from traceability.accounts.tenancy import of_org
from traceability.database import MAX_ID
from traceability.extensions import db
from traceability.forms import clean_text
from traceability.lots.models import Lot, LotKind, LotStatus

PAGE_SIZE = 30
MAX_QUERY = 40  # longer than any lot code or product name a person types


@dataclass(frozen=True)
class LotSearch:
    q: str = ""
    product_id: int | None = None
    kind: LotKind | None = None
    status: LotStatus | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1
    refused: tuple[str, ...] = field(default=(), compare=False)  # what was left out, and why

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.product_id or self.kind or self.status or self.since or self.until)

    def args(self, **changes) -> dict[str, str]:
        """The query string of this search (with ``changes``), for links to its other pages."""
        values = {
            "q": self.q,
            "product": self.product_id,
            "kind": self.kind and self.kind.value,
            "status": self.status and self.status.value,
            "since": self.since and self.since.isoformat(),
            "until": self.until and self.until.isoformat(),
            "page": self.page,
        } | changes
        return {k: str(v) for k, v in values.items() if v and not (k == "page" and v == 1)}


@dataclass
class LotPage:
    lots: list[Lot]
    total: int
    page: int
    pages: int


def read(args: Mapping[str, str]) -> LotSearch:
    """The search a query string asks for; what cannot be read is dropped and listed in ``refused``."""
    refused = []
    q = " ".join(clean_text(args.get("q") or "").split())[:MAX_QUERY]  # PostgreSQL refuses a NUL
    product_id = _number(args.get("product"))
    if args.get("product") and product_id is None:
        refused.append(_("The product chosen is not on the list."))
    kind = next((k for k in LotKind if k.value == args.get("kind")), None)
    status = next((s for s in LotStatus if s.value == args.get("status")), None)
    since, until = _date(args.get("since"), refused), _date(args.get("until"), refused)
    if since and until and since > until:
        since, until = until, since
        refused.append(_("The dates were the wrong way round: they are swapped."))
    page = _number(args.get("page")) or 1
    return LotSearch(q, product_id, kind, status, since, until, page, tuple(refused))


def _number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID else None


def _date(raw: str | None, refused: list[str]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        refused.append(_("A date could not be read: pick it on the calendar."))
        return None


def find(organisation_id: int, search: LotSearch) -> LotPage:
    """One page of the organisation's lots that match, newest first: two statements."""
    query = sa.select(Lot).where(of_org(Lot, organisation_id))
    if search.q:
        pattern = "%" + search.q.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.func.upper(Lot.code).like(pattern, escape="\\"))
    if search.product_id:
        query = query.where(Lot.product_id == search.product_id)
    if search.kind:
        query = query.where(Lot.kind == search.kind)
    if search.status:
        query = query.where(Lot.status == search.status)
    if search.since:
        query = query.where(Lot.produced_on >= search.since)
    if search.until:
        query = query.where(Lot.produced_on <= search.until)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(search.page, pages)
    lots = db.session.scalars(
        query.options(joinedload(Lot.plot), joinedload(Lot.planting), joinedload(Lot.product))
        .order_by(Lot.produced_on.desc(), Lot.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return LotPage(list(lots), total, page, pages)
