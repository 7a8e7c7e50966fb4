"""Today's date where the farms are: a spray logged at 06:30 in Huế is not "tomorrow" in UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app


def local_today() -> dt.date:
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def local_date(utc: dt.datetime) -> dt.date:
    """The local calendar day of a naive UTC timestamp as stored (``recorded_at``, ``scanned_at``)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return utc.replace(tzinfo=dt.UTC).astimezone(zone).date()
