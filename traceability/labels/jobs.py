"""The print run as a job: thousands of labels rendered off the request path."""

from __future__ import annotations

from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.labels.sheets import render_sheet_in_chunks
from traceability.lots.models import Lot


def print_run(job, report) -> tuple[bytes, str]:
    lot = db.session.get(Lot, job.params["lot_id"])
    if lot is None or lot.organisation_id != job.organisation_id:
        raise ValueError("lot not found")
    org = db.session.get(Organisation, job.organisation_id)
    params = job.params
    pdf = render_sheet_in_chunks(
        org,
        lot,
        size=params["size"],
        per_unit=params["per_unit"],
        roll=params["roll"],
        copies=params.get("copies", 1),
        report=report,
    )
    return pdf, f"nhan-{lot.code}-{params['size']}.pdf"
