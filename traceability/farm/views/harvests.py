"""Recording a harvest: a field action, made where the other field records are. The service lives with
the lots, because a harvest makes a lot."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from traceability.accounts.tenancy import org_required
from traceability.clock import local_today
from traceability.farm.forms import HarvestForm
from traceability.farm.services import seasons
from traceability.farm.views import bp
from traceability.farm.views.seasons import FIELD_WORKERS, offline_form, planting_label
from traceability.forms import choices
from traceability.lots import services
from traceability.photos.services import attach_photo, read_upload
from traceability.web import form_values, submit


@bp.route("/harvests/new", methods=["GET", "POST"])
@login_required
@org_required(edit=FIELD_WORKERS)
def harvest_new():
    form = HarvestForm()
    plantings = seasons.growing_plantings(g.org, current_user)
    form.planting_id.choices = choices([("", _l("Choose…"))] + [(p.id, planting_label(p)) for p in plantings])
    if not form.is_submitted():
        form.harvested_on.data = local_today()
        form.planting_id.data = request.args.get("planting", type=int) or (
            plantings[0].id if len(plantings) == 1 else None
        )

    def harvest():
        values = form_values(form)
        values.pop("photo")
        data = read_upload(request.files.get("photo"))
        lot = services.record_harvest(g.org, current_user, **values)
        if data:
            attach_photo(g.org, current_user, data, event_id=lot.event_id)
        return lot

    lot = submit(form, harvest)
    if lot is not None:
        flash(_("Harvest recorded as lot %(code)s.", code=lot.code), "success")
        if lot.yield_flagged:
            flash(_("More than this plot can plausibly yield: the lot is flagged for the manager to review."), "error")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    return render_template(
        "registry/form.html",
        form=form,
        title=_("Harvest"),
        multipart=True,
        cancel_url=url_for(".plantings"),
        **offline_form("harvest"),
    )
