"""Writing to the event log. Services of every feature call ``record_event``; nothing else writes it."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.accounts.services import household_of
from traceability.clock import local_date, local_today
from traceability.database import utcnow
from traceability.errors import DomainError
from traceability.events import chain
from traceability.events.models import Event, EventKind
from traceability.extensions import db
from traceability.metrics import EVENTS

if TYPE_CHECKING:
    from traceability.farm.models import Household


# Nothing this system records happened before it could have: a year typed as 0001 or 1026 is a slip.
EARLIEST_DAY = dt.date(2000, 1, 1)


def check_not_future(day: dt.date, field: str = "occurred_on") -> None:
    """Every event's day: not after today, and not before ``EARLIEST_DAY``. What a deed must follow
    (a sale its lot, a harvest its sowing) is checked by the service that knows both."""
    if day > local_today():
        raise DomainError(_("This date is in the future. Record what has already happened."), field)
    if day < EARLIEST_DAY:
        raise DomainError(
            _("This date is too long ago (before %(date)s): check the year.", date=EARLIEST_DAY.strftime("%d/%m/%Y")),
            field,
        )


# A phone's clock may run a little ahead of the server's without being wrong.
CLOCK_TOLERANCE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Capture:
    """How a record made on a phone was captured: the UUID the phone gave it and when it was saved
    there (naive UTC). The save time is when the deed was recorded in the field."""

    uuid: str | None = None
    saved_at: dt.datetime | None = None


def record_event(
    org: Organisation,
    kind: EventKind,
    *,
    occurred_on: dt.date,
    recorded_by: User,
    payload: dict[str, Any],
    for_household: Household | None = None,
    plot_id: int | None = None,
    planting_id: int | None = None,
    supersedes: Event | None = None,
    reason: str | None = None,
    date_field: str = "occurred_on",
    capture: Capture | None = None,
) -> Event:
    check_not_future(occurred_on, date_field)
    capture = capture or Capture()
    recorded_at = _history_time.get()
    if supersedes is not None:
        if supersedes.organisation_id != org.id:
            raise DomainError(_("This record does not exist."))
        if db.session.scalar(sa.select(Event.id).where(Event.supersedes_id == supersedes.id)):
            raise DomainError(_("This record has already been corrected; correct the newer version."))
        if not reason:
            raise DomainError(_("Say why the record is corrected."), "reason")
    if for_household is not None and household_of(recorded_by, org) == for_household.id:
        for_household = None  # entered by a member of the household itself: not an assisted entry
    late_after = current_app.config["LATE_ENTRY_DAYS"]
    received_at = recorded_at or utcnow()
    suspect = capture.saved_at is not None and not _plausible(capture.saved_at, received_at, occurred_on)
    # Lateness is judged from when the member saved it in the field, unless the phone's clock is not to be trusted.
    if capture.saved_at is not None and not suspect:
        recorded_on = local_date(capture.saved_at)
    else:
        recorded_on = recorded_at.date() if recorded_at else local_today()
    event = Event(  # ids, not relationships: the hash below must see exactly what will be stored
        organisation_id=org.id,
        kind=kind,
        occurred_on=occurred_on,
        recorded_by_id=recorded_by.id,
        for_household_id=for_household.id if for_household else None,
        plot_id=plot_id,
        planting_id=planting_id,
        payload=_jsonable(payload),
        supersedes_id=supersedes.id if supersedes else None,
        reason=reason,
        late=(recorded_on - occurred_on).days > late_after,
        uuid=capture.uuid,
        saved_at=capture.saved_at,
        clock_suspect=suspect,
    )
    event.recorded_at = received_at
    chain.lock_chain(org.id)
    event.prev_hash = chain.last_hash(org.id)
    event.hash = chain.digest(event, event.prev_hash)
    db.session.add(event)
    db.session.flush()
    EVENTS.labels(kind.value).inc()  # appended to the chain (counted here even if its transaction is rolled back)
    return event


def _plausible(saved_at: dt.datetime, received_at: dt.datetime, occurred_on: dt.date) -> bool:
    """A save time after its receipt, or before the day the deed happened, is a wrong phone clock."""
    return saved_at <= received_at + CLOCK_TOLERANCE and local_date(saved_at) >= occurred_on


_history_time: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("history_time", default=None)


@contextlib.contextmanager
def recorded_as_of(moment: dt.datetime):
    """Load history that was recorded at the time (demo data, a migration from an earlier system).

    Events appended inside the block carry ``moment`` as their recording time. Web forms and the
    API never use it: what is entered now is dated now, and lateness is judged against now.
    """
    token = _history_time.set(moment)
    try:
        yield
    finally:
        _history_time.reset(token)


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    """Dates and decimals as text, so the payload reads the same on SQLite and PostgreSQL."""

    def convert(value):
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, Decimal):
            return str(value)
        return value

    return {key: convert(value) for key, value in payload.items()}
