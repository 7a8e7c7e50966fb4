"""Rules shared by every registry record (villages, households, plots, products): codes and archiving."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from traceability.accounts.forms import EmptyForm
from traceability.accounts.tenancy import get_scoped_or_404, of_org, org_required, scoped
from traceability.database import utcnow
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.web import form_values, show_archived, submit

RECORD_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def check_code(model, org_id: int, code: str, record_id: int | None, field: str = "code") -> str:
    """A code (plot, product) that is well formed and not used by another record of the organisation."""
    code = (code or "").strip()
    if not RECORD_CODE.match(code):
        raise DomainError(
            _("Use up to 40 letters, digits, dots, hyphens or underscores, without spaces or accents."), field
        )
    taken = db.session.scalar(
        sa.select(model.id).where(of_org(model, org_id), model.code == code, model.id != (record_id or 0))
    )
    if taken:
        raise DomainError(_("The code %(code)s is already used in your organisation.", code=code), field)
    return code


def set_archived(record, archived: bool) -> None:
    """Archive or restore. Nothing in the registry is ever deleted: later records point at it."""
    record.archived_at = utcnow() if archived else None


def add_registry_routes(
    bp,
    *,
    plural: str,
    model,
    form_class,
    save,
    editors,
    titles: dict,
    order_by,
    load_options=(),
    setup_form=None,
    list_context=None,
    may_change=None,
) -> None:
    """List, create, edit and archive/restore routes for one registry model on ``bp``.

    Endpoints: ``{plural}``, ``{plural}_new``, ``{plural}_edit``, ``{plural}_archive``. Templates:
    ``{bp.name}/{plural}.html`` for the list (extending ``registry/list.html``) and
    ``registry/form.html`` for both forms. Every
    query is scoped to the current organisation; another organisation's record answers 404.
    ``list_context()`` adds what else the list page shows.
    """

    def list_view():
        archived = show_archived()
        query = scoped(model).where(model.archived_at.is_not(None) if archived else model.archived_at.is_(None))
        records = db.session.scalars(query.options(*load_options).order_by(*order_by)).all()
        return render_template(
            f"{bp.name}/{plural}.html",
            records=records,
            archived=archived,
            title=titles["list"],
            endpoint=f"{bp.name}.{plural}",
            **(list_context() if list_context else {}),
            editors=editors,
        )

    def form_view(record_id: int | None = None):
        record = get_scoped_or_404(model, record_id) if record_id is not None else None
        if record is not None and may_change is not None and not may_change(record):
            abort(403)
        form = form_class(obj=record)
        if setup_form:
            setup_form(form)
        saved = submit(form, lambda: save(g.org, record, **form_values(form)))
        if saved is not None:
            flash(_("Saved."), "success")
            return redirect(url_for(f".{plural}"))
        title = titles["edit"] if record else titles["new"]
        return render_template(
            "registry/form.html", form=form, title=title, record=record, cancel_url=url_for(f".{plural}")
        )

    def archive_view(record_id: int):
        record = get_scoped_or_404(model, record_id)
        if may_change is not None and not may_change(record):
            abort(403)  # e.g. another household's plot, for a member: the policy's household rule
        if EmptyForm().validate_on_submit():
            archive = request.form.get("archived", "1") == "1"
            set_archived(record, archive)
            flash(_("Archived.") if archive else _("Restored."), "success")
        return redirect(url_for(f".{plural}", archived="1" if record.archived else None))

    reading = org_required()
    editing = org_required(edit=editors)
    bp.add_url_rule(f"/{plural}", plural, login_required(reading(list_view)))
    bp.add_url_rule(f"/{plural}/new", f"{plural}_new", login_required(editing(form_view)), methods=["GET", "POST"])
    bp.add_url_rule(
        f"/{plural}/<int:record_id>/edit", f"{plural}_edit", login_required(editing(form_view)), methods=["GET", "POST"]
    )
    bp.add_url_rule(
        f"/{plural}/<int:record_id>/archive",
        f"{plural}_archive",
        login_required(editing(archive_view)),
        methods=["POST"],
    )
