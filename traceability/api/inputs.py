"""Reading a JSON body: each field's shape checked, with the field named in the error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import request
from flask_babel import gettext as _

from traceability.errors import DomainError


class BadShape(DomainError):
    """The body is not the JSON object the endpoint expects."""


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadShape(_("Send a JSON object (Content-Type: application/json)."))
    return data


def text(data: dict, name: str, required: bool = True, max_length: int = 255) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadShape(_("%(field)s is required.", field=name), name)
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise BadShape(_("%(field)s must be a text of at most %(n)s characters.", field=name, n=max_length), name)
    return " ".join(value.split())


def number(data: dict, name: str, required: bool = True) -> Decimal | None:
    value = data.get(name)
    if value is None:
        if required:
            raise BadShape(_("%(field)s is required.", field=name), name)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadShape(_("%(field)s must be a number.", field=name), name)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise BadShape(_("%(field)s must be a number.", field=name), name) from None
    if not result.is_finite():
        raise BadShape(_("%(field)s must be a number.", field=name), name)
    return result


def integer(data: dict, name: str, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadShape(_("%(field)s must be a whole number.", field=name), name)
    return value


def date(data: dict, name: str, default: dt.date | None = None) -> dt.date:
    value = data.get(name)
    if value is None and default is not None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadShape(_("%(field)s must be a date written YYYY-MM-DD.", field=name), name) from None


def items(data: dict, name: str) -> list[dict]:
    value = data.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(x, dict) for x in value) or len(value) > 100:
        raise BadShape(_("%(field)s must be a list of objects.", field=name), name)
    return value
