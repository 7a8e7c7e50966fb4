"""``flask --app traceability labels print LOT_CODE [--size 70x37] -o FILE.pdf``"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from traceability.accounts.models import Organisation
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.labels.services import check_print
from traceability.labels.sheets import SIZES, render_sheet
from traceability.lots.models import Lot

labels = AppGroup("labels", help="Print label sheets.")


@labels.command("print")
@click.argument("lot_code")
@click.option("--org", "org_code", help="Organisation short code (needed when two organisations use the code).")
@click.option("--size", type=click.Choice(list(SIZES)), default="70x37", show_default=True)
@click.option(
    "--per",
    type=click.Choice(["lot", "unit"]),
    default="lot",
    show_default=True,
    help="One QR per lot, or one per unit serial.",
)
@click.option("--copies", type=click.IntRange(min=1), default=1, show_default=True, help="With --per lot.")
@click.option("--roll", is_flag=True, help="One label per page, for roll printers.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def print_labels(lot_code, org_code, size, per, copies, roll, output):
    query = sa.select(Lot).where(Lot.code == lot_code.strip().upper())
    if org_code:
        query = query.join(Organisation).where(Organisation.code == org_code)
    lots = db.session.scalars(query).all()
    if not lots:
        raise click.ClickException(f"No lot {lot_code!r}.")
    if len(lots) > 1:
        raise click.ClickException(f"Several organisations have a lot {lot_code!r}: add --org.")
    lot, per_unit = lots[0], per == "unit"
    org = db.session.get(Organisation, lot.organisation_id)
    try:
        check_print(
            org, lot, size=size, per_unit=per_unit, copies=copies, limit=current_app.config["PRINT_RUN_MAX_LABELS"]
        )
        pdf = render_sheet(org, lot, size=size, per_unit=per_unit, roll=roll, copies=copies)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    with open(output, "wb") as fp:
        fp.write(pdf)
    click.echo(f"Wrote {output}.")
