"""Internal inspections (one checklist group per page, for a phone) and certificates."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from traceability.accounts.forms import EmptyForm
from traceability.accounts.policy import Write, writers
from traceability.accounts.tenancy import REGISTRY_EDITORS, current_records, get_scoped_or_404, org_required, scoped
from traceability.clock import local_today
from traceability.errors import FieldErrors
from traceability.extensions import db
from traceability.farm.models import Household, Plot
from traceability.forms import choices
from traceability.photos.services import attach_photo, read_upload
from traceability.products.models import Product
from traceability.quality import services
from traceability.quality.certificates import save_certificate
from traceability.quality.forms import (
    CertificateForm,
    CloseNonConformityForm,
    InspectionForm,
    NonConformityForm,
)
from traceability.quality.models import Certificate, Inspection, NonConformity, Result
from traceability.web import attempt, form_values, submit

bp = Blueprint("quality", __name__)
INSPECTORS = writers(Write.QUALITY)


def _options(model, label):
    rows = current_records(model, label)
    return [(row.id, getattr(row, label.key)) for row in rows]


@bp.get("/inspections")
@login_required
@org_required()
def inspections():
    rows = db.session.scalars(
        scoped(Inspection)
        .options(joinedload(Inspection.plot), joinedload(Inspection.household), joinedload(Inspection.inspector))
        .order_by(Inspection.inspected_on.desc())
    ).all()
    open_ncs = db.session.scalars(
        scoped(NonConformity).where(NonConformity.closed_on.is_(None)).order_by(NonConformity.due_on)
    ).all()
    return render_template(
        "quality/inspections.html",
        inspections=rows,
        open_ncs=open_ncs,
        today=local_today(),
        criteria=services.criteria_by_id(services.checklist()),
    )


@bp.route("/inspections/new", methods=["GET", "POST"])
@login_required
@org_required(edit=INSPECTORS)
def inspection_new():
    form = InspectionForm()
    form.plot_id.choices = choices([("", _l("Choose…"))] + _options(Plot, Plot.code))
    form.household_id.choices = choices([("", _l("Choose…"))] + _options(Household, Household.name))
    if not form.is_submitted():
        form.inspected_on.data = local_today()
    inspection = submit(form, lambda: services.start_inspection(g.org, current_user, **form_values(form)))
    if inspection is not None:
        return redirect(url_for(".inspection_group", record_id=inspection.id, group=0))
    return render_template(
        "registry/form.html", form=form, title=_("New internal inspection"), cancel_url=url_for(".inspections")
    )


@bp.route("/inspections/<int:record_id>/groups/<int:group>", methods=["GET", "POST"])
@login_required
@org_required(edit=INSPECTORS)
def inspection_group(record_id: int, group: int):
    """One requirement group of the checklist: a result and a note per criterion, then the next group."""
    inspection = get_scoped_or_404(Inspection, record_id)
    data = services.checklist(inspection.checklist_code, inspection.checklist_version)
    if not 0 <= group < len(data["groups"]):
        abort(404)
    section = data["groups"][group]
    existing = {r.criterion_id: r for r in inspection.results}
    errors: dict[str, str] = {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        answers = {
            criterion["id"]: (
                request.form.get(f"result-{criterion['id']}", ""),
                " ".join(request.form.get(f"note-{criterion['id']}", "").split())[:1000] or None,
            )
            for criterion in section["criteria"]
        }
        _saved, error = attempt(
            lambda: (services.record_results(inspection, answers), _attach_criterion_photos(inspection, section))
        )
        if error is None:
            if group + 1 < len(data["groups"]):
                return redirect(url_for(".inspection_group", record_id=record_id, group=group + 1))
            return redirect(url_for(".inspection_detail", record_id=record_id))
        errors = error.errors if isinstance(error, FieldErrors) else {error.field or "": error.message}
    return render_template(
        "quality/inspection_group.html",
        inspection=inspection,
        data=data,
        section=section,
        group=group,
        existing=existing,
        errors=errors,
        form_values=request.form,
    )


def _attach_criterion_photos(inspection: Inspection, section: dict) -> None:
    """A photo per criterion, taken on the spot; stored with the inspection's event."""
    results = {r.criterion_id: r for r in inspection.results}
    for criterion in section["criteria"]:
        data = read_upload(request.files.get(f"photo-{criterion['id']}"), field=criterion["id"])
        if data:
            photo = attach_photo(
                g.org, current_user, data, event_id=inspection.event_id, caption=criterion["id"], field=criterion["id"]
            )
            results[criterion["id"]].photo_id = photo.id


@bp.route("/inspections/<int:record_id>", methods=["GET", "POST"])
@login_required
@org_required(writes=Write.QUALITY)
def inspection_detail(record_id: int):
    inspection = get_scoped_or_404(Inspection, record_id)
    data = services.checklist(inspection.checklist_code, inspection.checklist_version)
    criteria = services.criteria_by_id(data)
    failed = [r for r in inspection.results if r.result is Result.FAIL]
    form = NonConformityForm()
    form.criterion_id.choices = choices(
        [(r.criterion_id, f"{r.criterion_id} · {criteria[r.criterion_id]['text_vi']}") for r in failed]
    )
    if request.method == "POST":
        if g.role not in INSPECTORS:
            abort(403)
        if submit(form, lambda: services.add_non_conformity(inspection, **form_values(form))) is not None:
            flash(_("Corrective action recorded."), "success")
            return redirect(url_for(".inspection_detail", record_id=record_id))
    return render_template(
        "quality/inspection.html",
        inspection=inspection,
        data=data,
        criteria=criteria,
        form=form,
        can_edit=g.role in INSPECTORS and inspection.signed_off_at is None,
    )


@bp.post("/inspections/<int:record_id>/sign")
@login_required
@org_required(edit=INSPECTORS)
def inspection_sign(record_id: int):
    inspection = get_scoped_or_404(Inspection, record_id)
    form = EmptyForm()
    if submit(form, lambda: services.sign_off(inspection, current_user)) is not None:
        flash(_("Inspection signed off."), "success")
    for error in form.form_errors:
        flash(error, "error")
    return redirect(url_for(".inspection_detail", record_id=record_id))


@bp.route("/non_conformities/<int:record_id>/close", methods=["GET", "POST"])
@login_required
@org_required(edit=INSPECTORS)
def non_conformity_close(record_id: int):
    nc = get_scoped_or_404(NonConformity, record_id)
    form = CloseNonConformityForm()
    if not form.is_submitted():
        form.closed_on.data = local_today()
    if (
        submit(
            form, lambda: services.close_non_conformity(nc, closed_on=form.closed_on.data, note=form.closing_note.data)
        )
        is not None
    ):
        flash(_("Corrective action closed."), "success")
        return redirect(url_for(".inspections"))
    return render_template(
        "registry/form.html", form=form, title=_("Close a corrective action"), cancel_url=url_for(".inspections")
    )


@bp.get("/certificates")
@login_required
@org_required()
def certificates():
    rows = db.session.scalars(
        scoped(Certificate)
        .options(
            selectinload(Certificate.plots), selectinload(Certificate.households), selectinload(Certificate.products)
        )
        .order_by(Certificate.valid_to.desc())
    ).all()
    return render_template("quality/certificates.html", certificates=rows, today=local_today())


@bp.route("/certificates/new", methods=["GET", "POST"])
@login_required
@org_required(edit=REGISTRY_EDITORS)
def certificate_new():
    form = CertificateForm()
    form.plot_ids.choices = choices(_options(Plot, Plot.code))
    form.household_ids.choices = choices(_options(Household, Household.name))
    form.product_ids.choices = choices(_options(Product, Product.code))
    certificate = submit(form, lambda: save_certificate(g.org, current_user, **form_values(form)))
    if certificate is not None:
        flash(_("Saved."), "success")
        return redirect(url_for(".certificates"))
    return render_template(
        "registry/form.html", form=form, title=_("New certificate"), cancel_url=url_for(".certificates")
    )
