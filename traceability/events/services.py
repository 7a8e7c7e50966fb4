"""Writing to the event log. Services of every feature call ``record_event``; nothing else writes it."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.clock import local_today
from traceability.errors import DomainError
from traceability.events.models import Event, EventKind
from traceability.extensions import db
from traceability.farm.models import Household


def check_not_future(day: dt.date, field: str = "occurred_on") -> None:
    if day > local_today():
        raise DomainError(_("This date is in the future. Record what has already happened."), field)


def record_event(org: Organisation, kind: EventKind, *, occurred_on: dt.date, recorded_by: User,
                 payload: dict[str, Any], for_household: Household | None = None, plot_id: int | None = None,
                 planting_id: int | None = None, supersedes: Event | None = None,
                 reason: str | None = None, date_field: str = "occurred_on") -> Event:
    check_not_future(occurred_on, date_field)
    if supersedes is not None:
        if supersedes.organisation_id != org.id:
            raise DomainError(_("This record does not exist."))
        if db.session.scalar(sa.select(Event.id).where(Event.supersedes_id == supersedes.id)):
            raise DomainError(_("This record has already been corrected; correct the newer version."))
        if not reason:
            raise DomainError(_("Say why the record is corrected."), "reason")
    late_after = current_app.config["LATE_ENTRY_DAYS"]
    event = Event(
        organisation_id=org.id, kind=kind, occurred_on=occurred_on, recorded_by=recorded_by,
        for_household=for_household, plot_id=plot_id, planting_id=planting_id, payload=_jsonable(payload),
        supersedes_id=supersedes.id if supersedes else None, reason=reason,
        late=(local_today() - occurred_on).days > late_after,
    )
    db.session.add(event)
    db.session.flush()
    return event


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
