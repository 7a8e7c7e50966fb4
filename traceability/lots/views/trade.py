"""Lots that leave or arrive: sales, bought-in lots, and recalls of what was sold."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from traceability.accounts.policy import Write
from traceability.accounts.tenancy import get_scoped_or_404, org_required, scoped
from traceability.clock import local_today
from traceability.extensions import db
from traceability.farm.forms import DEFAULT_CROPS
from traceability.lots import lineage, recalls, trade
from traceability.lots.forms import CloseRecallForm, RecallForm, ReceiveForm, SaleForm
from traceability.lots.models import Lot, Party, Recall
from traceability.lots.views import bp
from traceability.lots.views.processing import MANAGERS, active_lots, chosen_lot
from traceability.pdf import render_pdf
from traceability.spreadsheets import XLSX_MIMETYPE, xlsx_bytes
from traceability.web import form_values, submit


@bp.route("/sales/new", methods=["GET", "POST"])
@login_required
@org_required(edit=MANAGERS)
def sale_new():
    form = SaleForm()
    lots = active_lots()
    if not form.is_submitted():
        form.sold_on.data = local_today()
        form.lot_code.data = chosen_lot(lots)
    sale = submit(form, lambda: trade.record_sale(g.org, current_user, **form_values(form)))
    if sale is not None:
        flash(_("Sale recorded."), "success")
        return redirect(url_for("lots.lot_detail", record_id=sale.lot_id))
    # Shown with the phone kept for each, so two shops of one name are told apart (managers only).
    buyers = db.session.execute(
        scoped(Party).where(Party.archived_at.is_(None)).order_by(Party.name).with_only_columns(Party.name, Party.phone)
    ).all()
    return render_template(
        "lots/picking_form.html",
        form=form,
        title=_("Sale"),
        cancel_url=url_for("lots.lots"),
        lots=lots,
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
@org_required(writes=Write.TRADE)
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
    return Response(
        xlsx_bytes("Thu hồi", RECALL_COLUMNS, _recall_rows(report)), headers=headers, mimetype=XLSX_MIMETYPE
    )


@bp.get("/recalls/<int:record_id>/report.pdf")
@login_required
@org_required()
def recall_pdf(record_id: int):
    report = recalls.recall_report(get_scoped_or_404(Recall, record_id))
    pdf = render_pdf("lots/recall_report.html", organisation=g.org, printed_on=local_today(), **report)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="thu-hoi-{report["recall"].lot.code}.pdf"'},
    )
