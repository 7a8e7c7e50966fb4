"""The view side of a request: one commit when the view returns, services run inside savepoints,
and a broken rule shown next to the input that broke it.

A view parses its input, calls one service through ``submit`` (forms) or ``attempt`` (anything
else), and renders or redirects. It never commits: ``init_app`` commits the request when the view
answers below 400 and rolls it back otherwise (an error page, a refused request, an exception).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from traceability import transactions
from traceability.errors import DomainError, render_error
from traceability.extensions import db

T = TypeVar("T")


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_request(response):
        if response.status_code >= 400:
            transactions.rollback()
            return response
        try:
            transactions.commit()
        except IntegrityError:
            # Two requests raced past the service's checks; the database's constraint caught the later one.
            transactions.rollback()
            return app.make_response(render_error(409, None))
        except DomainError as error:  # a guard of the flush itself (errors.refuse_unsavable_text)
            transactions.rollback()
            return app.make_response(render_error(400, error.message))
        return response

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        """A rule broken by a button (no form to show it on): say so on the page the user came from."""
        transactions.rollback()
        flash(error.message, "error")
        return redirect(back(), 303)


def back() -> str:
    """The page the request came from, if it is on this site and not the page that just refused
    (a reload of a refused page must not redirect to itself for ever); the home page otherwise."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/") and referrer.path != request.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("dashboard.index")


def clash() -> DomainError:
    return DomainError(_("This record clashes with one saved a moment ago. Check and send again."))


def attempt(action: Callable[[], T]) -> tuple[T | None, DomainError | None]:
    """Run a service call in a savepoint and flush it. A broken rule undoes what the call did (unless
    the error says its changes must stay, as a failed login's count does) and is returned, not raised."""
    mark = transactions.pending()
    savepoint = db.session.begin_nested()
    try:
        result = action()
        db.session.flush()
    except DomainError as error:
        if error.keeps_changes:
            savepoint.commit()
        else:
            savepoint.rollback()
            transactions.forget_since(mark)
        return None, error
    except IntegrityError:
        savepoint.rollback()
        transactions.forget_since(mark)
        return None, clash()
    savepoint.commit()
    return result, None


def submit(form, action: Callable[[], T]) -> T | None:
    """Validate ``form``; if valid, call ``action``. On a rule broken, keep the input.

    Returns the action's result, or None when the form must be shown again (with its errors and
    everything the user typed).
    """
    if not form.validate_on_submit():
        return None
    result, error = attempt(action)
    if error is not None:
        add_error(form, error)
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
