"""Print requests: the checks every way of printing shares (the lot page, a print run, the command
line), so a label that cannot be printed is refused at once, with the reason, wherever it is asked for."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.errors import DomainError
from traceability.jobs.models import Job
from traceability.jobs.runner import enqueue
from traceability.labels.sheets import SIZES, check_mandatory, fitting_lines, label_facts, render_sheet
from traceability.lots.models import Lot


def check_print(org: Organisation, lot: Lot, *, size: str, per_unit: bool, copies: int, limit: int) -> None:
    """Refuse a size we do not print, a count outside 1..limit, a missing mandatory field, or a size
    too small for the mandatory text — before anything is rendered or queued."""
    if size not in SIZES:
        raise DomainError(_("Choose a label size and a number of copies."), "size")
    count = int(lot.quantity) if per_unit else copies
    if not 1 <= count <= limit:
        raise DomainError(_("Up to %(n)s labels can be printed from this page.", n=limit), "copies")
    facts = label_facts(lot, org)
    check_mandatory(lot, facts)
    fitting_lines(lot, facts, size)


def sizes(org: Organisation, lot: Lot) -> list[tuple[str, str | None]]:
    """Each label size with why it cannot carry this lot's mandatory text (None: it can), so a page
    offers only the sizes that print instead of refusing one after a round trip."""
    facts = label_facts(lot, org)
    try:
        check_mandatory(lot, facts)
    except DomainError as missing:
        return [(size, missing.message) for size in SIZES]
    offered = []
    for size in SIZES:
        try:
            fitting_lines(lot, facts, size)
            offered.append((size, None))
        except DomainError as refused:
            offered.append((size, refused.message))
    return offered


def print_now(org: Organisation, lot: Lot, *, size: str, per_unit: bool, roll: bool, copies: int) -> bytes:
    """A sheet rendered inside the request: short runs only (``LABELS_IN_REQUEST``)."""
    check_print(org, lot, size=size, per_unit=per_unit, copies=copies, limit=current_app.config["LABELS_IN_REQUEST"])
    return render_sheet(org, lot, size=size, per_unit=per_unit, roll=roll, copies=copies)


def request_print_run(
    org: Organisation, user: User, lot: Lot, *, size: str, per_unit: bool, roll: bool, copies: int
) -> Job:
    """A print run of up to ``PRINT_RUN_MAX_LABELS`` labels, queued for a worker."""
    check_print(org, lot, size=size, per_unit=per_unit, copies=copies, limit=current_app.config["PRINT_RUN_MAX_LABELS"])
    params = {"lot_id": lot.id, "size": size, "per_unit": per_unit, "roll": roll, "copies": copies}
    return enqueue(org.id, user.id, "print_run", params)
