from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from traceability.accounts.models import Role
from traceability.dashboard import services
from traceability.extensions import db
from traceability.farm.models import Plot
from traceability.tenancy import scoped

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
        context["vietgap"] = services.plot_area_by_vietgap(g.org.id)
    if g.role is Role.MEMBER:
        context["plots"] = db.session.scalars(
            scoped(Plot).where(Plot.archived_at.is_(None)).options(joinedload(Plot.village)).order_by(Plot.code)
        ).all()
    if g.role is Role.OFFICIAL and g.org.kind.is_authority:
        context["overview"] = services.jurisdiction_overview(g.org)
    return render_template("dashboard/index.html", **context)
