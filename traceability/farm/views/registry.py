from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from traceability.accounts import policy
from traceability.accounts.services import household_of
from traceability.accounts.tenancy import PLOT_EDITORS, REGISTRY_EDITORS, current_records, of_org
from traceability.extensions import db
from traceability.farm import services
from traceability.farm.forms import DEFAULT_CROPS, HouseholdForm, PlotForm, VillageForm
from traceability.farm.models import Household, Plot, Village
from traceability.farm.views import bp
from traceability.forms import choices
from traceability.registry import add_registry_routes

# Crops suggested in the plot form; any other crop can be typed.


def _choices(model, label, *, empty: str | None = None):
    rows = current_records(model, label)
    first = ("", empty if empty is not None else _l("Choose…"))
    return choices([first, *((row.id, getattr(row, label.key)) for row in rows)])


def _setup_household_form(form: HouseholdForm) -> None:
    form.village_id.choices = _choices(Village, Village.name)


def _setup_plot_form(form: PlotForm) -> None:
    form.village_id.choices = _choices(Village, Village.name)
    form.household_id.choices = _choices(Household, Household.name, empty=_l("None (cooperative plot)"))
    usage = db.session.execute(
        sa.select(Plot.crop, Plot.village_id, sa.func.count(Plot.id).label("n"))
        .where(of_org(Plot, g.org.id), Plot.archived_at.is_(None))
        .group_by(Plot.crop, Plot.village_id)
        .order_by(sa.desc("n"))
    ).all()
    form.crop_suggestions = sorted(set(DEFAULT_CROPS) | {row.crop for row in usage})
    if not form.is_submitted() and form.code.data is None:
        # A new plot: default to what this organisation registers most, or its only village.
        if usage:
            form.crop.data = form.crop.data or usage[0].crop
            form.village_id.data = form.village_id.data or usage[0].village_id
        elif len(form.village_id.choices) == 2:
            form.village_id.data = int(form.village_id.choices[1].value)


add_registry_routes(
    bp,
    plural="villages",
    model=Village,
    form_class=VillageForm,
    save=services.save_village,
    editors=REGISTRY_EDITORS,
    order_by=(Village.name,),
    titles={"list": _l("Villages"), "new": _l("New village"), "edit": _l("Edit village")},
)
add_registry_routes(
    bp,
    plural="households",
    model=Household,
    form_class=HouseholdForm,
    save=services.save_household,
    editors=REGISTRY_EDITORS,
    order_by=(Household.name,),
    load_options=(joinedload(Household.village),),
    setup_form=_setup_household_form,
    titles={"list": _l("Member households"), "new": _l("New household"), "edit": _l("Edit household")},
)
add_registry_routes(
    bp,
    plural="plots",
    model=Plot,
    form_class=PlotForm,
    save=lambda org, plot, **values: services.save_plot(org, plot, by=current_user, **values),
    editors=PLOT_EDITORS,
    order_by=(Plot.code,),
    load_options=(joinedload(Plot.village), joinedload(Plot.household)),
    setup_form=_setup_plot_form,
    titles={"list": _l("Plots"), "new": _l("New plot"), "edit": _l("Edit plot")},
    may_change=lambda plot: policy.may_record_for(household_of(current_user, g.org), plot.household_id),
)
