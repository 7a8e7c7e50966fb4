"""Labels from the web: a lot's QR as PNG, and a print sheet as PDF (small runs, in the request)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import undefer

from traceability import blobs
from traceability.accounts.forms import EmptyForm
from traceability.accounts.policy import Write
from traceability.accounts.tenancy import MAX_ID, get_scoped_or_404, org_required, scoped
from traceability.extensions import db
from traceability.jobs.models import Job, JobStatus
from traceability.jobs.runner import retry
from traceability.labels import services
from traceability.labels.digital_link import label_uri
from traceability.labels.qr import qr_png
from traceability.lots.models import Lot
from traceability.web import attempt

bp = Blueprint("labels", __name__)


@bp.app_context_processor
def label_sizes():
    """``label_sizes(lot)`` for the lot's page (a feature below this one): the sizes that print."""
    return {"label_sizes": lambda lot: services.sizes(g.org, lot)}


@bp.get("/lots/<int:record_id>/qr.png")
@login_required
@org_required()
def lot_qr(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    return Response(
        qr_png(label_uri(g.org, lot)),
        mimetype="image/png",
        headers={"Content-Disposition": f'attachment; filename="qr-{lot.code}.png"'},
    )


@bp.get("/lots/<int:record_id>/labels.pdf")
@login_required
@org_required()
def lot_labels(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    size = request.args.get("size", "70x37")
    copies = request.args.get("copies", type=int) or 1
    options = {"per_unit": request.args.get("per") == "unit", "roll": request.args.get("roll") == "1"}
    pdf, error = attempt(lambda: services.print_now(g.org, lot, size=size, copies=copies, **options))
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="nhan-{lot.code}-{size}.pdf"'},
    )


@bp.post("/lots/<int:record_id>/print-runs")
@login_required
@org_required(edit=Write.LABELS)
def print_run_new(record_id: int):
    """A print run of any length: queued, then followed on its own page."""
    lot = get_scoped_or_404(Lot, record_id)
    if not EmptyForm().validate_on_submit():
        flash(_("Choose a label size and a number of copies."), "error")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    job, error = attempt(
        lambda: services.request_print_run(
            g.org,
            current_user,
            lot,
            size=request.form.get("size", "70x37"),
            copies=request.form.get("copies", type=int) or 1,
            per_unit=request.form.get("per") == "unit",
            roll=request.form.get("roll") == "1",
        )
    )
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    return redirect(url_for(".job_detail", record_id=job.id))


@bp.get("/jobs/<int:record_id>")
@login_required
@org_required()
def job_detail(record_id: int):
    return render_template("labels/job.html", job=get_scoped_or_404(Job, record_id))


@bp.get("/jobs/<int:record_id>/download")
@login_required
@org_required()
def job_download(record_id: int):
    job = db.session.scalar(
        scoped(Job).where(Job.id == record_id, Job.status == JobStatus.DONE).options(undefer(Job.result))
    )
    if job is None or not 0 < record_id <= MAX_ID:
        abort(404)
    return Response(
        blobs.load(job.result, job.result_key),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{job.result_name}"'},
    )


@bp.post("/jobs/<int:record_id>/retry")
@login_required
@org_required(edit=Write.LABELS)
def job_retry(record_id: int):
    job = get_scoped_or_404(Job, record_id)
    if EmptyForm().validate_on_submit():
        retry(job)
    return redirect(url_for(".job_detail", record_id=job.id))
