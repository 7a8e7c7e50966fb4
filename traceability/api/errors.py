"""API errors: ``{"error": {"code", "message", "field"}}``, and the one place where a body that does not
match its schema becomes such an error (400 ``bad_request``, the field named, the message translated).
"""

from __future__ import annotations

import re

from flask import jsonify
from flask_babel import gettext as _
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from traceability.api.schemas.base import FILLED_TEXT, LOT_CODE_AS_SENT, TEXT, is_blank
from traceability.i18n import format_number
from traceability.registry import RECORD_CODE


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error(status: int, code: str, message: str, field: str | None = None):
    return jsonify(error={"code": code, "message": message, "field": field}), status


def not_json() -> ApiError:
    return ApiError(400, "bad_request", _("Send a JSON object (Content-Type: application/json)."))


def invalid_input(exc: ValidationError) -> ApiError:
    """The first input that breaks its schema, named as the client wrote it: ``inputs[0].quantity``."""
    first = exc.errors(include_url=False)[0]
    field = field_path(first["loc"])
    if field is None:
        if first["type"] == "json_invalid":
            return ApiError(400, "bad_request", _("The body is not valid JSON (UTF-8, at most 200 levels deep)."))
        return not_json()
    return ApiError(400, "bad_request", _message(first, field), field)


def field_path(loc: tuple) -> str | None:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":  # a dict key that breaks its rule is named by the key itself
            path += f".{part}" if path else str(part)
    return path or None


def _bound(value) -> str:
    return format_number(value, 3)


def _message(error: ErrorDetails, field: str) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing" or error["input"] is None:
        return _("%(field)s is required.", field=field)
    if kind == "string_too_long":
        return _("%(field)s must be a text of at most %(n)s characters.", field=field, n=ctx["max_length"])
    if kind == "string_pattern_mismatch":
        if ctx["pattern"] == FILLED_TEXT and is_blank(error["input"]):
            return _("%(field)s is required.", field=field)
        if ctx["pattern"] in (TEXT, FILLED_TEXT):
            return _("%(field)s must not contain control characters.", field=field)
        if ctx["pattern"] == LOT_CODE_AS_SENT:
            return _("%(field)s must be a lot code: 1 to 20 capital letters, digits or hyphens.", field=field)
        if ctx["pattern"] == RECORD_CODE.pattern:
            return _("Use up to 40 letters, digits, dots, hyphens or underscores, without spaces or accents.")
        return _("%(field)s is not written as expected.", field=field)
    if kind.startswith("string"):
        return _("%(field)s must be a text.", field=field)
    if kind.startswith("int"):
        return _("%(field)s must be a whole number.", field=field)
    if kind == "decimal_max_places":
        return _("%(field)s has at most %(n)s decimal places.", field=field, n=ctx["decimal_places"])
    if kind.startswith(("decimal", "float", "finite")):
        return _("%(field)s must be a number.", field=field)
    if kind == "greater_than":
        return _("%(field)s must be more than %(n)s.", field=field, n=_bound(ctx["gt"]))
    if kind == "greater_than_equal":
        return _("%(field)s must be at least %(n)s.", field=field, n=_bound(ctx["ge"]))
    if kind == "less_than":
        return _("%(field)s must be less than %(n)s.", field=field, n=_bound(ctx["lt"]))
    if kind == "less_than_equal":
        return _("%(field)s must be at most %(n)s.", field=field, n=_bound(ctx["le"]))
    if kind.startswith("date"):
        return _("%(field)s must be a date written YYYY-MM-DD.", field=field)
    if kind in ("literal_error", "enum"):
        values = ", ".join(re.findall(r"'([^']*)'", ctx.get("expected", "")))
        return _("%(field)s must be one of: %(values)s.", field=field, values=values)
    if kind.startswith("bool"):
        return _("%(field)s must be true or false.", field=field)
    if kind == "too_short":
        return _("%(field)s must have at least %(n)s items.", field=field, n=ctx["min_length"])
    if kind == "too_long":
        return _("%(field)s must have at most %(n)s items.", field=field, n=ctx["max_length"])
    if kind == "list_type":
        return _("%(field)s must be a list.", field=field)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("%(field)s must be an object.", field=field)
    return _("%(field)s is not valid.", field=field)
