"""Domain errors raised by services, and the HTTP error pages.

Services raise ``DomainError`` (or a subclass) with a message already in the user's language and,
when one input is to blame, the name of the form field; views show it next to that field.
"""

from __future__ import annotations

from itertools import chain

import sqlalchemy as sa
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from traceability import transactions
from traceability.forms import unsavable


class DomainError(Exception):
    # Most refusals undo what the refused action did; a few must keep it (a failed login is counted).
    keeps_changes = False

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(DomainError):
    """Several inputs of one page broke rules at once: ``errors`` maps each input to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


class NotAllowed(DomainError):
    """The user's role in this organisation does not allow the action."""


@sa.event.listens_for(Session, "before_flush")
def refuse_unsavable_text(session, _flush_context, _instances) -> None:
    """The last guard for every way in (forms, API, command line, imports): a text holding a NUL or
    a lone surrogate is refused on the attribute that holds it, on both databases alike, before
    PostgreSQL refuses the statement outright or SQLite stores it."""
    for record in chain(session.new, session.dirty):
        state = sa.inspect(record)
        for attribute in state.mapper.column_attrs:
            value = state.dict.get(attribute.key)
            if isinstance(value, str) and unsavable(value):
                raise DomainError(
                    _("This text holds a hidden control character (such as NUL) that cannot be saved: retype it."),
                    attribute.key,
                )


class FileStoreUnavailable(RuntimeError):
    """Object storage could not be read (blobs.py): the page says so (503); it is not a bug."""


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or best == "application/json"


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("The form expired or was sent from another page. Go back, reload the page and send it again.")
        return render_error(400, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        body, code = render_error(error.code or 500, None, error)
        response = app.make_response((body, code))
        # The exception's own headers carry what HTTP requires of the answer: Allow on a 405
        # (RFC 9110 §15.5.6), Retry-After where one is set.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(sa.exc.OperationalError)
    def database_busy(error: sa.exc.OperationalError):
        """SQLite's write lock was not free within busy_timeout: the server is busy, not broken. Say
        when to try again (the phone's outbox does); anything else is a real fault."""
        if "database is locked" not in str(error.orig):
            return server_error(error)
        transactions.rollback()
        app.logger.warning("Write lock busy on %s %s", request.method, request.path)
        body, code = render_error(503, _("The server is busy. Try again in a moment."))
        response = app.make_response((body, code))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(FileStoreUnavailable)
    def file_store_down(error: FileStoreUnavailable):
        """Object storage did not answer: the record is there, its file for now is not."""
        transactions.rollback()
        body, code = render_error(503, _("The file store cannot be reached just now. Try again in a few minutes."))
        response = app.make_response((body, code))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        transactions.rollback()  # a failed statement leaves the session unusable until then
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500, None)


def render_error(code: int, message: str | None, error: HTTPException | None = None):
    titles = {
        400: _("The request could not be understood"),
        403: _("You are not allowed to do this"),
        404: _("Page not found"),
        405: _("This action is not available here"),
        409: _("This record clashes with one saved a moment ago. Check and send again."),
        413: _("The file is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
        503: _("The server is busy"),
    }
    title = titles.get(code, _("Error"))
    if message is None and code == 429 and error is not None and error.description:
        message = str(error.description)
    if _wants_json():
        codes = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "too_large",
            429: "too_many_requests",
            500: "server_error",
            503: "busy",
        }
        return jsonify(error={"code": codes.get(code, "error"), "message": message or title, "field": None}), code
    response = render_template("errors/error.html", code=code, title=title, message=message)
    return response, code
