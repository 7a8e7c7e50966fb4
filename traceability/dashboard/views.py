from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from traceability.accounts.models import Role
from traceability.clock import local_today
from traceability.dashboard import services
from traceability.farm.services import seasons
from traceability.ocop.overview import producer_reminders
from traceability.quality.services import quality_alerts
from traceability.scans.services import suspicious_serials
from traceability.transparency import witness

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return home()


@login_required
def home():
    if g.org is None:
        return render_template("dashboard/no_organisation.html")
    counts = services.registry_counts(g.org.id)
    context = {"counts": counts}
    if g.role in (Role.MANAGER, Role.ADMIN):
        context["next_steps"] = services.manager_next_steps(g.org.id, counts)
    if g.role is Role.ADMIN:
        context["next_steps"] = services.admin_next_steps(g.org.id) + context["next_steps"]
    if g.role in (Role.INSPECTOR, Role.MANAGER, Role.ADMIN):
        context["vietgap"] = services.vietgap_figures(g.org.id)
    if g.role in (Role.MEMBER, Role.MANAGER, Role.ADMIN):
        plantings = seasons.growing_plantings(g.org, current_user)
        context["plantings"] = plantings
        context["blocks"] = seasons.harvest_blocks([p.id for p in plantings])
        context["today"] = local_today()
    if g.role in (Role.INSPECTOR, Role.MANAGER, Role.ADMIN):
        context["alerts"] = quality_alerts(g.org.id, local_today())
        context["field_flags"] = services.field_flags(g.org.id)
    if g.role in (Role.MANAGER, Role.ADMIN):
        context["suspicious"] = suspicious_serials(g.org.id)
        context["ocop_reminders"] = producer_reminders(g.org.id)
    if g.role is Role.OFFICIAL and g.org.kind.is_authority:
        context["overview"] = services.jurisdiction_overview(g.org)
        context["witness_alerts"] = witness.alerts(g.org)
        context["witness_reason_labels"] = witness.REASON_LABELS
    return render_template("dashboard/index.html", **context)
