"""Web pages of the lots engine: processing, packing, sales, bought-in lots, traces and recalls."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.views.registry import DEFAULT_CROPS
from traceability.forms import choices
from traceability.lots import lineage, recalls, trade
from traceability.lots.forms import (
    CloseRecallForm,
    PackingForm,
    ProcessingForm,
    ProcessingYieldForm,
    RecallForm,
    ReceiveForm,
    SaleForm,
)
from traceability.lots.models import Lot, LotKind, LotStatus, Party, ProcessingYield, Recall
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing, save_processing_yield
from traceability.lots.views import bp
from traceability.products.models import Product
from traceability.registry import add_registry_routes
from traceability.tenancy import REGISTRY_EDITORS, current_records, get_scoped_or_404, org_required, scoped
from traceability.web import form_values, submit

MANAGERS = REGISTRY_EDITORS


def _active_lots(*kinds: LotKind) -> list[Lot]:
    query = scoped(Lot).where(Lot.status == LotStatus.ACTIVE, Lot.remaining_quantity > 0)
    if kinds:
        query = query.where(Lot.kind.in_(kinds))
    return db.session.scalars(
        query.options(selectinload(Lot.product))  # labels show the product: no query per lot
        .order_by(Lot.produced_on.desc(), Lot.code)
        .limit(300)
    ).all()


def _lot_choices(lots, empty=None):
    return choices(
        [("", empty or _l("Choose…"))]
        + [(x.code, f"{x.code} · {x.label} · {x.remaining_quantity.normalize():f} {x.unit}") for x in lots]
    )


def _product_choices():
    products = current_records(Product, Product.code)
    return choices([("", _l("Choose…"))] + [(p.code, f"{p.code} · {p.name_vi}") for p in products])


@bp.route("/processing/new", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def processing_new():
    form = ProcessingForm()
    raw = _active_lots(LotKind.HARVEST, LotKind.PROCESSED)
    form.input_1.choices = _lot_choices(raw)
    form.input_2.choices = _lot_choices(raw, empty=_l("None"))
    form.output_product.choices = _product_choices()
    if not form.is_submitted():
        form.processed_on.data = local_today()

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

    run = submit(form, action)
    if run is not None:
        output = db.session.scalar(sa.select(Lot).where(Lot.event_id == run.event_id))
        flash(_("Processing recorded: lot %(code)s.", code=output.code), "success")
        return redirect(url_for("lots.lot_detail", record_id=output.id))
    return render_template("registry/form.html", form=form, title=_("Processing run"), cancel_url=url_for("lots.lots"))


@bp.route("/packing/new", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def packing_new():
    form = PackingForm()
    form.source_lot_code.choices = _lot_choices(_active_lots(LotKind.HARVEST, LotKind.PROCESSED))
    form.product_code.choices = _product_choices()
    if not form.is_submitted():
        form.packed_on.data = local_today()
    lot = submit(form, lambda: pack(g.org, current_user, **form_values(form)))
    if lot is not None:
        flash(_("Packed as sale lot %(code)s.", code=lot.code), "success")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    return render_template("registry/form.html", form=form, title=_("Packing"), cancel_url=url_for("lots.lots"))


@bp.route("/sales/new", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def sale_new():
    form = SaleForm()
    if not form.is_submitted():
        form.sold_on.data = local_today()
    sale = submit(form, lambda: trade.record_sale(g.org, current_user, **form_values(form)))
    if sale is not None:
        flash(_("Sale recorded."), "success")
        return redirect(url_for("lots.lot_detail", record_id=sale.lot_id))
    buyers = db.session.scalars(scoped(Party).order_by(Party.name).with_only_columns(Party.name)).all()
    return render_template(
        "lots/sale_form.html",
        form=form,
        title=_("Sale"),
        cancel_url=url_for("lots.lots"),
        lots=_active_lots(),
        buyers=buyers,
    )


@bp.route("/receipts/new", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def receive_new():
    form = ReceiveForm()
    form.crop_suggestions = DEFAULT_CROPS
    if not form.is_submitted():
        form.received_on.data = local_today()
    lot = submit(form, lambda: trade.receive_lot(g.org, current_user, **form_values(form)))
    if lot is not None:
        flash(_("Bought-in lot recorded as %(code)s.", code=lot.code), "success")
        return redirect(url_for("lots.lot_detail", record_id=lot.id))
    return render_template("registry/form.html", form=form, title=_("Lot bought in"), cancel_url=url_for("lots.lots"))


@bp.get("/lots/<int:record_id>/trace")
@login_required
@org_required()
def lot_trace(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    return render_template("lots/trace.html", lot=lot, back=lineage.trace_back(lot), forward=lineage.trace_forward(lot))


@bp.route("/lots/<int:record_id>/recall", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def recall_new(record_id: int):
    lot = get_scoped_or_404(Lot, record_id)
    form = RecallForm()
    if not form.is_submitted():
        form.opened_on.data = local_today()
    recall = submit(form, lambda: recalls.open_recall(g.org, current_user, lot_code=lot.code, **form_values(form)))
    if recall is not None:
        return redirect(url_for(".recall_detail", record_id=recall.id))
    affected = lineage.trace_forward(lot)
    return render_template("lots/recall_form.html", form=form, lot=lot, affected=affected)


@bp.route("/recalls/<int:record_id>", methods=["GET", "POST"])
@login_required
@org_required()
def recall_detail(record_id: int):
    recall = get_scoped_or_404(Recall, record_id)
    form = CloseRecallForm()
    if not form.is_submitted():
        form.closed_on.data = local_today()
    if recall.closed_on is None and form.is_submitted():
        if g.role not in MANAGERS:
            abort(403)
        if submit(form, lambda: recalls.close_recall(g.org, current_user, recall, **form_values(form))):
            flash(_("Recall closed."), "success")
            return redirect(url_for(".recall_detail", record_id=recall.id))
    return render_template(
        "lots/recall.html",
        report=recalls.recall_report(recall),
        form=form,
        can_close=g.role in MANAGERS and recall.closed_on is None,
    )


RECALL_COLUMNS = ("buyer", "buyer_kind", "phone", "email", "lot", "product", "quantity", "unit", "sold_on", "invoice")


def _recall_rows(report) -> list[list[str]]:
    return [
        [
            sale.buyer.name,
            sale.buyer.kind.value,
            sale.buyer.phone or "",
            sale.buyer.email or "",
            sale.lot.code,
            sale.lot.label,
            f"{sale.quantity.normalize():f}",
            sale.lot.unit,
            sale.sold_on.strftime("%d/%m/%Y"),
            sale.invoice_ref or "",
        ]
        for sale in report["sales"]
    ]


@bp.get("/recalls/<int:record_id>/report.<any(csv, xlsx):fmt>")
@login_required
@org_required()
def recall_spreadsheet(record_id: int, fmt: str):
    """Whom to contact, as a spreadsheet: CSV, or XLSX with a frozen, filterable header."""
    report = recalls.recall_report(get_scoped_or_404(Recall, record_id))
    name = f"thu-hoi-{report['recall'].lot.code}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(RECALL_COLUMNS)
        writer.writerows(_recall_rows(report))
        # A byte-order mark so spreadsheet programs read the Vietnamese letters as UTF-8.
        return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv", headers=headers)
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Thu hồi"
    sheet.append(RECALL_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _recall_rows(report):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(), headers=headers, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@bp.get("/recalls/<int:record_id>/report.pdf")
@login_required
@org_required()
def recall_pdf(record_id: int):
    from traceability.pdf import render_pdf

    report = recalls.recall_report(get_scoped_or_404(Recall, record_id))
    pdf = render_pdf("lots/recall_report.html", organisation=g.org, printed_on=local_today(), **report)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="thu-hoi-{report["recall"].lot.code}.pdf"'},
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
    titles={
        "list": _l("Expected processing yields"),
        "new": _l("New expected yield"),
        "edit": _l("Edit expected yield"),
    },
)
