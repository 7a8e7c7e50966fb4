"""OCOP dossier pages: the producer's self-assessment, part by part; the officials' steps."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from traceability import blobs
from traceability.accounts.forms import EmptyForm
from traceability.accounts.policy import Write, writers
from traceability.accounts.tenancy import current_records, get_scoped_or_404, org_required, scoped
from traceability.errors import FieldErrors
from traceability.extensions import db
from traceability.forms import choices, clean_text
from traceability.ocop import figures, services, workflow
from traceability.ocop.attachments import attach, read_upload
from traceability.ocop.criteria import all_sets, get_set
from traceability.ocop.dossier_pdf import dossier_zip as build_zip
from traceability.ocop.dossier_pdf import render_dossier_pdf
from traceability.ocop.forms import AttachmentForm, CommentForm, DetailsForm, DossierForm, RateForm, ReviewForm
from traceability.ocop.models import DOSSIER_STATUS_LABELS, DossierStatus, OcopAttachment, OcopDossier, OcopTransition
from traceability.ocop.overview import bars, dossiers_of
from traceability.ocop.overview import overview as build
from traceability.products.models import Product
from traceability.web import attempt, form_values, submit

bp = Blueprint("ocop", __name__, url_prefix="/ocop")
# Where the records behind a pre-filled answer can be read (pages every role of the organisation may open).
EVIDENCE_PAGES = {
    "certified_area": "quality.certificates",
    "quality_declaration": "quality.certificates",
    "quality_assurance": "quality.certificates",
    "local_raw_material_share": "lots.lots",
    "linkage_contracts": "lots.lots",
    "traceable_label": "lots.lots",
}
STEP_FORMS = {
    "submit": CommentForm,
    "return_commune": CommentForm,
    "review": ReviewForm,
    "send": CommentForm,
    "return_province": CommentForm,
    "rate": RateForm,
}


@bp.get("/dossiers")
@login_required
@org_required()
def dossiers():
    rows = db.session.scalars(scoped(OcopDossier).order_by(OcopDossier.id.desc())).all()
    return render_template("ocop/dossiers.html", dossiers=rows, sets=all_sets())


@bp.route("/dossiers/new", methods=["GET", "POST"])
@login_required
@org_required(edit=Write.OCOP)
def dossier_new():
    form = DossierForm()
    form.product_id.choices = choices(
        [("", "—")] + [(p.id, p.name_vi) for p in current_records(Product, Product.name_vi)]
    )
    form.criteria_set.choices = choices(
        (s.id, f"{s.set_number}. {s.name_vi} ({s.version})") for s in all_sets().values()
    )
    dossier = submit(form, lambda: services.start_dossier(g.org, current_user, **form_values(form)))
    if dossier is not None:
        flash(_("Dossier started: the answers the records can give are filled in."), "success")
        return redirect(url_for(".dossier", record_id=dossier.id))
    return render_template(
        "registry/form.html", form=form, title=_("New OCOP dossier"), cancel_url=url_for(".dossiers")
    )


def _dossier(record_id: int) -> OcopDossier:
    record = get_scoped_or_404(OcopDossier, record_id)
    if get_set(record.criteria_set) is None:  # its set's file was removed: say so, do not fail
        flash(_("The criteria set %(id)s is no longer installed.", id=record.criteria_set), "error")
        abort(redirect(url_for(".dossiers")))
    return record


@bp.get("/dossiers/<int:record_id>")
@login_required
@org_required()
def dossier(record_id: int):
    record = _dossier(record_id)
    criteria_set = services.criteria_set_of(record)
    transitions = db.session.scalars(
        sa.select(OcopTransition).where(OcopTransition.dossier_id == record.id).order_by(OcopTransition.id)
    ).all()
    attachments = db.session.scalars(
        sa.select(OcopAttachment).where(OcopAttachment.dossier_id == record.id).order_by(OcopAttachment.id)
    ).all()
    steps = workflow.allowed_steps(current_user, record)
    return render_template(
        "ocop/dossier.html",
        d=record,
        cs=criteria_set,
        result=services.dossier_score(record),
        completeness=services.completeness(record),
        figures=figures.of_dossier(record),
        transitions=transitions,
        attachments=attachments,
        steps=steps,
        due=workflow.review_due(record),
        overdue=workflow.is_overdue(record),
        step_forms={s: STEP_FORMS[s]() for s in steps},
        editable=record.status in services.EDITABLE and g.role in writers(Write.OCOP),
        attachment_form=_attachment_form(criteria_set),
        button=EmptyForm(),
    )


def _attachment_form(criteria_set) -> AttachmentForm:
    form = AttachmentForm()
    form.criterion_id.choices = choices([("", "—")] + [(c.id, f"{c.id} {c.name_vi}") for c in criteria_set.criteria])
    return form


@bp.route("/dossiers/<int:record_id>/part/<part>", methods=["GET", "POST"])
@login_required
@org_required(writes=Write.OCOP)
def dossier_part(record_id: int, part: str):
    """One part (A, B or C) of the self-assessment: each criterion's options, the records' suggestion
    and its evidence; a different choice asks for a reason."""
    record = _dossier(record_id)
    criteria_set = services.criteria_set_of(record)
    if part not in criteria_set.parts:
        abort(404)
    criteria = [c for c in criteria_set.criteria if c.part == part]
    answers = {a.criterion_id: a for a in record.answers}
    errors: dict[str, str] = {}
    form = EmptyForm()
    if request.method == "POST":
        if g.role not in writers(Write.OCOP):
            abort(403)
        if form.validate_on_submit():
            entries = {}
            for criterion in criteria:
                raw = request.form.get(f"c-{criterion.id}", "")
                entries[criterion.id] = (
                    int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else None,
                    clean_text(request.form.get(f"note-{criterion.id}", ""))[:5000],
                    clean_text(request.form.get(f"reason-{criterion.id}", ""))[:5000],
                )
            _saved, error = attempt(lambda: services.save_answers(record, entries))
            if error is None:
                flash(_("Saved."), "success")
                return redirect(url_for(".dossier", record_id=record.id))
            errors = error.errors if isinstance(error, FieldErrors) else {"": error.message}
            answers = {a.criterion_id: a for a in record.answers}
    return render_template(
        "ocop/part.html",
        d=record,
        cs=criteria_set,
        part=part,
        criteria=criteria,
        answers=answers,
        errors=errors,
        form=form,
        evidence_pages=EVIDENCE_PAGES,
        editable=record.status in services.EDITABLE and g.role in writers(Write.OCOP),
    )


@bp.route("/dossiers/<int:record_id>/details", methods=["GET", "POST"])
@login_required
@org_required(edit=Write.OCOP)
def dossier_details(record_id: int):
    record = _dossier(record_id)
    product = db.session.get(Product, record.product_id)
    form = DetailsForm(obj=record) if request.method == "GET" else DetailsForm()
    if request.method == "GET":
        form.story.data = product.story

    if submit(form, lambda: services.save_details(record, **form_values(form))) is not None:
        flash(_("Saved."), "success")
        return redirect(url_for(".dossier", record_id=record.id))
    return render_template(
        "registry/form.html",
        form=form,
        title=_("Figures, plan and story"),
        cancel_url=url_for(".dossier", record_id=record.id),
    )


@bp.post("/dossiers/<int:record_id>/attachments")
@login_required
@org_required(edit=Write.OCOP)
def attachment_new(record_id: int):
    record = _dossier(record_id)
    form = _attachment_form(services.criteria_set_of(record))

    def upload():
        data = read_upload(form.file.data)  # refuses a missing file, by name, before anything else
        return attach(
            record,
            current_user,
            title=form.title.data,
            filename=form.file.data.filename,
            data=data,
            criterion_id=form.criterion_id.data,
        )

    if submit(form, upload) is not None:
        flash(_("Attached."), "success")
    else:
        for message in [*form.form_errors, *(m for errors in form.errors.values() for m in errors)]:
            flash(message, "error")
    return redirect(url_for(".dossier", record_id=record.id) + "#evidence")


@bp.get("/attachments/<int:record_id>")
@login_required
@org_required()
def attachment(record_id: int):
    found = get_scoped_or_404(OcopAttachment, record_id)
    # send_file writes an ASCII fallback and the UTF-8 name (filename*=): Vietnamese names survive.
    data = blobs.load(found.data, found.data_key)
    return send_file(io.BytesIO(data), mimetype=found.mimetype, as_attachment=True, download_name=found.filename)


@bp.post("/dossiers/<int:record_id>/refresh")
@login_required
@org_required(edit=Write.OCOP)
def dossier_refresh(record_id: int):
    record = _dossier(record_id)
    form = EmptyForm()
    if submit(form, lambda: (services.check_editable(record), services.refresh_from_records(record))) is not None:
        flash(_("Answers read again from the records."), "success")
    else:
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for(".dossier", record_id=record.id))


@bp.post("/dossiers/<int:record_id>/step/<name>")
@login_required
@org_required()
def dossier_step(record_id: int, name: str):
    """A step of the path (submit, return, review, send, rate): the workflow decides who may."""
    record = _dossier(record_id)
    if name not in STEP_FORMS:
        abort(404)
    form = STEP_FORMS[name]()
    values = form_values(form) if form.validate_on_submit() else None
    if values is None:
        for field_name, messages in form.errors.items():
            flash(f"{form[field_name].label.text}: {messages[0]}" if field_name in form else messages[0], "error")
        return redirect(url_for(".dossier", record_id=record.id) + "#steps")
    comment = values.pop("comment", None)
    _done, error = attempt(
        lambda: workflow.take_step(
            record,
            current_user,
            name,
            comment=comment,
            assessment=values if name == "review" else None,
            **(values if name == "rate" else {}),
        )
    )
    if error is not None:
        flash(error.message, "error")
        if isinstance(error, workflow.NotAllowed):
            return redirect(url_for(".dossier", record_id=record.id)), 303
        return redirect(url_for(".dossier", record_id=record.id) + "#steps")
    flash(_("Done: %(status)s.", status=DOSSIER_STATUS_LABELS[record.status]), "success")
    return redirect(url_for(".dossier", record_id=record.id))


@bp.get("/dossiers/<int:record_id>/dossier.pdf")
@login_required
@org_required()
def dossier_pdf(record_id: int):
    record = _dossier(record_id)
    response = Response(render_dossier_pdf(record), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="ho-so-ocop-{record.id}.pdf"'
    return response


@bp.get("/dossiers/<int:record_id>/dossier.zip")
@login_required
@org_required()
def dossier_zip(record_id: int):
    record = _dossier(record_id)
    response = Response(build_zip(record), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="ho-so-ocop-{record.id}.zip"'
    return response


@bp.get("/overview")
@login_required
@org_required()
def overview():
    """Officials of a commune or province: OCOP across every producer they oversee. Each bar opens
    the list behind it."""
    if not g.org.kind.is_authority:
        abort(404)
    data = build(g.org)
    star_labels = {0: _("not rated"), **{n: "★" * n for n in range(1, 6)}}
    stars = request.args.get("stars", type=int)
    stars = stars if stars in star_labels else None
    return render_template(
        "ocop/overview.html",
        o=data,
        stars=stars,
        star_labels=star_labels,
        star_bars=bars(
            dict(sorted(data.by_stars.items(), reverse=True)),
            star_labels,
            lambda n: url_for("ocop.overview", stars=n, _anchor="traceable"),
        ),
        set_bars=bars(
            dict(sorted(data.by_set.items())),
            data.set_labels,
            lambda set_id: url_for("ocop.overview_dossiers", set=set_id),
        ),
        status_bars=bars(
            {s: data.by_status[s] for s in DOSSIER_STATUS_LABELS if data.by_status[s]},
            DOSSIER_STATUS_LABELS,
            lambda status: url_for("ocop.overview_dossiers", status=status.value),
        ),
    )


@bp.get("/overview/dossiers")
@login_required
@org_required()
def overview_dossiers():
    """The dossiers behind a bar of the overview: of one status or criteria set, drafts included."""
    if not g.org.kind.is_authority:
        abort(404)
    status = next((s for s in DossierStatus if s.value == request.args.get("status")), None)
    data = build(g.org)
    criteria_set = request.args.get("set") if request.args.get("set") in data.set_labels else None
    shown = dossiers_of(data, status=status, criteria_set=criteria_set)
    if status:
        title = DOSSIER_STATUS_LABELS[status]
    elif criteria_set:
        title = data.set_labels[criteria_set]
    else:
        title = _("All dossiers")
    return render_template("ocop/overview_dossiers.html", dossiers=shown, title=title, producers=data.producers)
