"""Exports from the web: one lot's whole lineage, or every event in a date range."""

from __future__ import annotations

import datetime as dt
import io
import json

from flask import Blueprint, Response, abort, g, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from traceability import replica
from traceability.accounts.tenancy import get_scoped_or_404, org_required, scoped
from traceability.clock import local_today
from traceability.epcis.export import epcis_document, events_between, events_for_lot
from traceability.exports.fsma import fsma_rows, write_csv, write_xlsx
from traceability.exports.portal import portal_record, write_portal_csv
from traceability.extensions import db
from traceability.lots.models import Lot
from traceability.spreadsheets import XLSX_MIMETYPE

bp = Blueprint("exports", __name__)
FORMATS = ("epcis.jsonld", "fsma.xlsx", "fsma.csv", "portal.json", "portal.csv")


def _download(fmt: str, name: str, events, lots) -> Response:
    if fmt == "epcis.jsonld":
        body = json.dumps(epcis_document(g.org, events), ensure_ascii=False, indent=2)
        return _file(body.encode(), "application/ld+json", f"{name}-epcis.jsonld")
    if fmt.startswith("fsma"):
        rows = fsma_rows(g.org, events)
        if fmt == "fsma.xlsx":
            buffer = io.BytesIO()
            write_xlsx(rows, buffer)
            return _file(buffer.getvalue(), XLSX_MIMETYPE, f"{name}-fsma.xlsx")
        text = io.StringIO()
        write_csv(rows, text)
        return _file(text.getvalue().encode("utf-8-sig"), "text/csv", f"{name}-fsma.csv")
    records = [portal_record(x) for x in lots]
    if fmt == "portal.json":
        return _file(
            json.dumps(records, ensure_ascii=False, indent=2).encode(), "application/json", f"{name}-portal.json"
        )
    text = io.StringIO()
    write_portal_csv(records, text)
    return _file(text.getvalue().encode("utf-8-sig"), "text/csv", f"{name}-portal.csv")


def _file(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/lots/<int:record_id>/export/<fmt>")
@login_required
@org_required()
@replica.reads
def lot_export(record_id: int, fmt: str):
    lot = get_scoped_or_404(Lot, record_id)
    if fmt not in FORMATS:
        abort(404)
    return _download(fmt, lot.code, events_for_lot(g.org, lot), [lot])


@bp.get("/exports")
@login_required
@org_required()
def exports():
    """A date range and a format: the form is a GET, so the link can be saved and shared."""
    errors = {}
    today = local_today()
    values = {
        "start": request.args.get("start", (today - dt.timedelta(days=30)).isoformat()),
        "end": request.args.get("end", today.isoformat()),
        "fmt": request.args.get("fmt", ""),
    }
    if values["fmt"]:
        try:
            start, end = dt.date.fromisoformat(values["start"]), dt.date.fromisoformat(values["end"])
        except ValueError:
            errors["start"] = _("Choose two dates.")
        else:
            if start > end:
                errors["end"] = _("The end is before the start.")
            elif values["fmt"] not in FORMATS:
                errors["fmt"] = _("Choose a format from the list.")
            else:
                lots = scoped(Lot).where(Lot.produced_on.between(start, end)).order_by(Lot.produced_on, Lot.code)
                return _download(
                    values["fmt"],
                    f"{g.org.code}-{start}-{end}",
                    events_between(g.org, start, end),
                    db.session.scalars(lots).all(),
                )
    return render_template("exports/index.html", values=values, errors=errors, formats=FORMATS), (
        400 if errors else 200
    )
