"""Field records on a phone: plantings, sprays and fertiliser, the permitted-product list."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from traceability.accounts.forms import EmptyForm
from traceability.accounts.policy import Write, writers
from traceability.accounts.services import household_of
from traceability.accounts.tenancy import (
    REGISTRY_EDITORS,
    get_scoped_or_404,
    of_org,
    org_required,
    scoped,
)
from traceability.clock import local_today
from traceability.errors import DomainError
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.forms import DEFAULT_CROPS, OTHER_PRODUCT, InputForm, PermittedInputForm, PlantingForm
from traceability.farm.models import (
    InputApplication,
    PermittedInput,
    Planting,
    Plot,
)
from traceability.farm.services import permitted, seasons
from traceability.farm.services.field import field_lists
from traceability.farm.views import bp
from traceability.forms import choices
from traceability.lots.models import Lot
from traceability.photos.models import Photo
from traceability.photos.services import attach_photo, read_upload
from traceability.registry import add_registry_routes
from traceability.web import form_values, submit

FIELD_WORKERS = writers(Write.FIELD)  # members, managers, admins record field work


def offline_form(kind: str) -> dict:
    """A field form the phone saves to its outbox first (``static/js/field.js``), with the lists it
    checks against offline (pre-harvest intervals, products)."""
    return {"offline": kind, "field_lists": field_lists(g.org, current_user).as_json()}


def planting_label(planting: Planting) -> str:
    # Short enough for a 360-px select: the plot as members name it, and when the season began.
    return f"{planting.plot.name} · {planting.sown_on:%d/%m/%Y}"


@bp.get("/plantings")
@login_required
@org_required()
def plantings():
    """Each growing season with the date its plot may be harvested (one query for all PHIs)."""
    rows = seasons.growing_plantings(g.org, current_user)
    blocks = seasons.harvest_blocks([p.id for p in rows])
    return render_template(
        "farm/plantings.html", plantings=rows, blocks=blocks, today=local_today(), can_record=g.role in FIELD_WORKERS
    )


@bp.route("/plantings/new", methods=["GET", "POST"])
@login_required
@org_required(edit=FIELD_WORKERS)
def planting_new():
    form = PlantingForm()
    plots_query = scoped(Plot).where(Plot.archived_at.is_(None)).order_by(Plot.code)
    household_id = household_of(current_user, g.org)
    plots = db.session.scalars(plots_query).all()
    form.plot_id.choices = choices([("", _l("Choose…"))] + [(p.id, f"{p.code} · {p.name}") for p in plots])
    if not form.is_submitted():
        form.sown_on.data = local_today()
        own = [p for p in plots if p.household_id == household_id] if household_id else []
        chosen = request.args.get("plot", type=int) or (own[0].id if own else None)
        form.plot_id.data = chosen
    form.crop_suggestions = DEFAULT_CROPS
    planting = submit(form, lambda: seasons.start_planting(g.org, current_user, **form_values(form)))
    if planting is not None:
        flash(_("Season started on plot %(code)s.", code=planting.plot.code), "success")
        return redirect(url_for(".planting_detail", record_id=planting.id))
    return render_template(
        "registry/form.html",
        form=form,
        title=_("New season"),
        cancel_url=url_for(".plantings"),
        **offline_form("planting"),
    )


@bp.get("/plantings/<int:record_id>")
@login_required
@org_required()
def planting_detail(record_id: int):
    planting = get_scoped_or_404(Planting, record_id)
    applications = db.session.scalars(
        sa.select(InputApplication)
        .where(InputApplication.planting_id == planting.id)
        .order_by(InputApplication.applied_on.desc(), InputApplication.id.desc())
    ).all()
    events = {
        e.id: e
        for e in db.session.scalars(
            sa.select(Event)
            .where(Event.planting_id == planting.id)
            .options(joinedload(Event.recorded_by), joinedload(Event.for_household))
        )
    }
    lots = db.session.scalars(sa.select(Lot).where(Lot.planting_id == planting.id).order_by(Lot.produced_on)).all()
    block = seasons.harvest_blocks([planting.id]).get(planting.id)
    photos: dict[int, list[int]] = {}
    for photo_id, event_id in db.session.execute(
        sa.select(Photo.id, Photo.event_id).where(Photo.event_id.in_(list(events))).order_by(Photo.id)
    ):
        photos.setdefault(event_id, []).append(photo_id)
    return render_template(
        "farm/planting.html",
        planting=planting,
        applications=applications,
        events=events,
        lots=lots,
        block=block,
        today=local_today(),
        can_record=g.role in FIELD_WORKERS,
        photos=photos,
    )


@bp.post("/plantings/<int:record_id>/end")
@login_required
@org_required(edit=FIELD_WORKERS)
def planting_end(record_id: int):
    planting = get_scoped_or_404(Planting, record_id)
    form = EmptyForm()
    if submit(form, lambda: seasons.end_planting(g.org, current_user, planting, ended_on=local_today())):
        flash(_("Season closed."), "success")
    else:
        for error in form.form_errors:
            flash(error, "error")
    return redirect(url_for(".planting_detail", record_id=planting.id))


def _setup_input_form(form: InputForm, planting_id: int | None) -> None:
    plantings_ = seasons.growing_plantings(g.org, current_user)
    if planting_id and planting_id not in {p.id for p in plantings_}:
        chosen = get_scoped_or_404(Planting, planting_id)
        plantings_ = [chosen, *plantings_]
    form.planting_id.choices = choices([("", _l("Choose…"))] + [(p.id, planting_label(p)) for p in plantings_])
    listed = db.session.scalars(
        scoped(PermittedInput)
        .where(PermittedInput.archived_at.is_(None))
        .order_by(PermittedInput.kind, PermittedInput.trade_name)
    ).all()
    form.product.choices = choices(
        [("", _l("Choose…"))]
        + [(p.trade_name, _product_label(p)) for p in listed]
        + [(OTHER_PRODUCT, _l("Another product (type it below)"))]
    )
    if not form.is_submitted():
        form.applied_on.data = local_today()
        form.planting_id.data = planting_id or (plantings_[0].id if len(plantings_) == 1 else None)
        last = db.session.scalar(
            sa.select(InputApplication.trade_name)
            .join(Event, Event.id == InputApplication.event_id)
            .where(Event.recorded_by_id == current_user.id, of_org(InputApplication, g.org.id))
            .order_by(Event.id.desc())
            .limit(1)
        )
        if last and last in {p.trade_name for p in listed}:
            form.product.data = last  # the last product this person used


def _product_label(entry: PermittedInput) -> str:
    """The product with its pre-harvest interval, so the member sees it before choosing."""
    if entry.phi_days is None:
        return entry.trade_name
    return _("%(product)s · PHI %(n)s days", product=entry.trade_name, n=entry.phi_days)


def _input_facts(form: InputForm) -> seasons.InputFacts:
    values = form_values(form)
    product = values.pop("product")
    values.pop("photo"), values.pop("reason", None)
    if product != OTHER_PRODUCT:
        values["trade_name"] = product
        values["kind"] = None  # from the list
    elif not values.get("trade_name"):
        raise DomainError(_("Type the product's trade name."), "trade_name")
    values["kind"] = values.get("kind") or None
    return seasons.InputFacts(**values)


def _save_input(form: InputForm, supersedes: InputApplication | None = None) -> InputApplication:
    facts = _input_facts(form)
    data = read_upload(request.files.get("photo"))
    application = seasons.record_input_application(
        g.org, current_user, facts, supersedes=supersedes, reason=form.reason.data if supersedes else None
    )
    if data:
        attach_photo(g.org, current_user, data, event_id=application.event_id)
    return application


@bp.route("/inputs/new", methods=["GET", "POST"])
@login_required
@org_required(edit=FIELD_WORKERS)
def input_new():
    form = InputForm()
    del form.reason
    _setup_input_form(form, request.args.get("planting", type=int))
    application = submit(form, lambda: _save_input(form))
    if application is not None:
        _flash_input(application)
        return redirect(url_for(".planting_detail", record_id=application.planting_id))
    return render_template(
        "registry/form.html",
        form=form,
        title=_("Spray or fertiliser"),
        cancel_url=url_for(".plantings"),
        multipart=True,
        **offline_form("input"),
    )


@bp.route("/inputs/<int:record_id>/correct", methods=["GET", "POST"])
@login_required
@org_required(edit=FIELD_WORKERS)
def input_correct(record_id: int):
    original = get_scoped_or_404(InputApplication, record_id)
    if original.superseded:
        abort(404)
    form = InputForm(obj=original)
    _setup_input_form(form, original.planting_id)
    if not form.is_submitted():
        form.applied_on.data = original.applied_on
        listed = {c.value for c in form.product.choices}
        form.product.data = original.trade_name if original.trade_name in listed else OTHER_PRODUCT
    application = submit(form, lambda: _save_input(form, supersedes=original))
    if application is not None:
        _flash_input(application)
        return redirect(url_for(".planting_detail", record_id=application.planting_id))
    return render_template(
        "registry/form.html",
        form=form,
        title=_("Correct a record"),
        cancel_url=url_for(".planting_detail", record_id=original.planting_id),
        multipart=True,
    )


def _flash_input(application: InputApplication) -> None:
    flash(_("Saved."), "success")
    if application.banned_ingredient:
        flash(
            _(
                "%(active)s is banned in Vietnam. The record is kept as it happened; this season can no longer "
                "be sold as VietGAP and the manager is alerted.",
                active=application.banned_ingredient,
            ),
            "error",
        )
    elif not application.on_permitted_list:
        flash(
            _(
                "%(product)s is not on your organisation's permitted list: the record is flagged for the manager.",
                product=application.trade_name,
            ),
            "error",
        )
    if application.harvest_allowed_from:
        flash(_("Harvest allowed from %(date)s.", date=application.harvest_allowed_from.strftime("%d/%m/%Y")), "info")


add_registry_routes(
    bp,
    plural="permitted_inputs",
    model=PermittedInput,
    form_class=PermittedInputForm,
    save=permitted.save_permitted_input,
    editors=REGISTRY_EDITORS,
    order_by=(PermittedInput.kind, PermittedInput.trade_name),
    titles={"list": _l("Permitted products"), "new": _l("New permitted product"), "edit": _l("Edit permitted product")},
)


@bp.post("/permitted_inputs/defaults")
@login_required
@org_required(edit=REGISTRY_EDITORS)
def permitted_inputs_defaults():
    if EmptyForm().validate_on_submit():
        added = permitted.load_default_inputs(g.org)
        flash(_("%(n)s products added from the default list.", n=added), "success")
    return redirect(url_for(".permitted_inputs"))
