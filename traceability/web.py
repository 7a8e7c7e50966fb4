"""The view side of one request: run a form's action through a service, commit once, or show errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from traceability.errors import DomainError
from traceability.extensions import db

T = TypeVar("T")


def submit(form, action: Callable[[], T]) -> T | None:
    """Validate ``form``; if valid, call ``action`` and commit. On a rule broken, keep the input.

    Returns the action's result, or None when the form must be shown again (with its errors and
    everything the user typed).
    """
    if not form.validate_on_submit():
        return None
    try:
        result = action()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        add_error(form, error)
        return None
    except IntegrityError:
        # Two requests raced past the service's checks; the database's constraint caught it.
        db.session.rollback()
        form.form_errors.append(_("This record clashes with one saved a moment ago. Check and send again."))
        return None
    return result


def add_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)


def form_values(form) -> dict:
    """The form's data as service keyword arguments (without the CSRF token)."""
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def safe_next(target: str | None, default: str) -> str:
    """Only redirect to a path on this site (no open redirect through ?next=)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return default


def show_archived() -> bool:
    return request.args.get("archived") == "1"
