"""Processing runs, packing into sale lots, and the expected yields a run is checked against."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from traceability.accounts.policy import Write, writers
from traceability.accounts.tenancy import current_records, org_required, scoped
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.forms import DEFAULT_CROPS
from traceability.forms import choices
from traceability.lots.forms import PackingForm, ProcessingForm, ProcessingYieldForm
from traceability.lots.models import Lot, LotKind, LotStatus, ProcessingYield
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.lots.views import bp
from traceability.lots.yields import default_yields, save_processing_yield
from traceability.products.models import Product
from traceability.registry import add_registry_routes
from traceability.web import form_values, submit

MANAGERS = writers(Write.TRADE)  # processing, packing, sales and recalls


def active_lots(*kinds: LotKind) -> list[Lot]:
    """Lots that still hold something, for the choices of a run, a packing or a sale."""
    query = scoped(Lot).where(Lot.status == LotStatus.ACTIVE, Lot.remaining_quantity > 0)
    if kinds:
        query = query.where(Lot.kind.in_(kinds))
    return db.session.scalars(
        query.options(selectinload(Lot.product))  # labels show the product: no query per lot
        .order_by(Lot.produced_on.desc(), Lot.code)
        .limit(300)
    ).all()


def chosen_lot(lots) -> str | None:
    """The lot a page's action chose (``?lot=CODE``, from the lot's own page), if it is one of ``lots``."""
    code = (request.args.get("lot") or "").strip().upper()
    return code if any(x.code == code for x in lots) else None


def _product_choices():
    products = current_records(Product, Product.code)
    return choices([("", _l("Choose…"))] + [(p.code, f"{p.code} · {p.name_vi}") for p in products])


@bp.route("/processing/new", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def processing_new():
    form = ProcessingForm()
    raw = active_lots(LotKind.HARVEST, LotKind.PROCESSED)
    form.output_product.choices = _product_choices()
    if not form.is_submitted():
        form.processed_on.data = local_today()
        form.input_1.data = chosen_lot(raw)
        source = next((x for x in raw if x.code == form.input_1.data), None)
        if source is not None:  # a lot opened from its page is most often processed whole
            form.quantity_1.data = source.remaining_quantity

    def action():
        inputs = [RunInput(form.input_1.data, form.quantity_1.data)]
        if form.input_2.data:
            inputs.append(RunInput(form.input_2.data, form.quantity_2.data))
        steps = [{"step": line} for line in (form.steps.data or "").splitlines() if line.strip()]
        return record_processing(
            g.org,
            current_user,
            processed_on=form.processed_on.data,
            inputs=inputs,
            outputs=[RunOutput(form.output_product.data, form.output_quantity.data)],
            steps=steps,
            reason=form.reason.data,
        )

    processed = submit(form, action)
    if processed is not None:
        (output,) = processed.outputs
        flash(_("Processing recorded: lot %(code)s.", code=output.code), "success")
        return redirect(url_for("lots.lot_detail", record_id=output.id))
    return render_template(
        "lots/picking_form.html", form=form, title=_("Processing run"), cancel_url=url_for("lots.lots"), lots=raw
    )


@bp.route("/packing/new", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def packing_new():
    form = PackingForm()
    sources = active_lots(LotKind.HARVEST, LotKind.PROCESSED)
    form.product_code.choices = _product_choices()
    if not form.is_submitted():
        form.packed_on.data = local_today()
        form.source_lot_code.data = chosen_lot(sources)
        source = next((x for x in sources if x.code == form.source_lot_code.data), None)
        if source is not None and source.product is not None:  # a processed lot is packed as what it is
            form.product_code.data = source.product.code
    lot = submit(form, lambda: pack(g.org, current_user, **form_values(form)))
    if lot is not None:
        flash(_("Packed as sale lot %(code)s.", code=lot.code), "success")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    return render_template(
        "lots/picking_form.html", form=form, title=_("Packing"), cancel_url=url_for("lots.lots"), lots=sources
    )


def _setup_yield_form(form) -> None:
    products = current_records(Product, Product.code)
    form.output_product_id.choices = choices(
        [("", _l("Choose…"))] + [(p.id, f"{p.code} · {p.name_vi}") for p in products]
    )
    form.crop_suggestions = DEFAULT_CROPS


add_registry_routes(
    bp,
    plural="processing_yields",
    model=ProcessingYield,
    form_class=ProcessingYieldForm,
    save=save_processing_yield,
    editors=MANAGERS,
    order_by=(ProcessingYield.input_name,),
    load_options=(joinedload(ProcessingYield.output_product),),
    setup_form=_setup_yield_form,
    list_context=lambda: {"defaults": default_yields()},
    titles={
        "list": _l("Expected processing yields"),
        "new": _l("New expected yield"),
        "edit": _l("Edit expected yield"),
    },
)
