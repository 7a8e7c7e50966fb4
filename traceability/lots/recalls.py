"""Recalls: from one lot to every lot made from it and every buyer who received any of it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import of_org
from traceability.errors import DomainError
from traceability.events.models import EventKind
from traceability.events.services import record_event
from traceability.extensions import db
from traceability.lots import lineage
from traceability.lots.models import Disposal, Lot, LotStatus, Recall
from traceability.lots.services import lot_in_org


def open_recall(org: Organisation, user: User, *, lot_code: str, reason: str, opened_on: dt.date) -> Recall:
    lot = lot_in_org(org.id, lot_code)
    if not (reason or "").strip():
        raise DomainError(_("Say why the lot is recalled."), "reason")
    if lot.recall_id is not None:
        raise DomainError(_("Lot %(code)s is already under a recall.", code=lot.code), "lot_code")
    affected = lineage.reachable(lot.id, forward=True)
    codes = db.session.scalars(sa.select(Lot.code).where(Lot.id.in_(list(affected))).order_by(Lot.code)).all()
    event = record_event(
        org,
        EventKind.RECALL,
        occurred_on=opened_on,
        recorded_by=user,
        date_field="opened_on",
        reason=reason,
        payload={"lot": lot.code, "lots": list(codes)},
    )
    recall = Recall(organisation_id=org.id, event_id=event.id, lot=lot, reason=reason, opened_on=opened_on)
    db.session.add(recall)
    db.session.flush()
    # Every lot made from it, already recalled or not, now carries this recall's notice.
    db.session.execute(
        sa.update(Lot)
        .where(Lot.id.in_(list(affected)), of_org(Lot, org.id))
        .values(status=LotStatus.RECALLED, recall_id=recall.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return db.session.get(Recall, recall.id)


def recall_report(recall: Recall) -> dict:
    """Whom to contact and what went where: every sale of every recalled lot, by buyer."""
    lots = db.session.scalars(sa.select(Lot).where(Lot.recall_id == recall.id).order_by(Lot.code)).all()
    sales = lineage.sales_of([x.id for x in lots])
    buyers: dict[int, dict] = {}
    for sale in sales:
        entry = buyers.setdefault(sale.buyer_id, {"buyer": sale.buyer, "sales": []})
        entry["sales"].append(sale)
    return {"recall": recall, "lots": lots, "sales": sales, "buyers": list(buyers.values())}


def close_recall(
    org: Organisation,
    user: User,
    recall: Recall,
    *,
    disposal: Disposal | str,
    closed_on: dt.date,
    note: str | None = None,
) -> Recall:
    if recall.closed_on is not None:
        raise DomainError(_("This recall is already closed."))
    if closed_on < recall.opened_on:
        raise DomainError(_("A recall cannot close before it opened."), "closed_on")
    record_event(
        org,
        EventKind.RECALL_CLOSED,
        occurred_on=closed_on,
        recorded_by=user,
        date_field="closed_on",
        payload={"lot": recall.lot.code, "disposal": Disposal(disposal), "note": note},
    )
    recall.closed_on, recall.disposal, recall.disposal_note = closed_on, Disposal(disposal), note
    return recall
