"""``flask --app traceability export epcis|fsma|portal (--lot CODE | --from DATE --to DATE) --org ORG -o FILE``,
and ``export site -o DIR``: the public pages as a static site.

Read-only: every command reads through the export modules and writes one file; nothing is committed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.epcis.export import epcis_document, events_between, events_for_lot
from traceability.exports.fsma import fsma_rows, write_csv, write_xlsx
from traceability.exports.portal import portal_record, write_portal_csv
from traceability.extensions import db
from traceability.lots.models import Lot
from traceability.provenance.static_site import export_site as write_site

export = AppGroup("export", help="Export traceability records: EPCIS 2.0, FSMA 204 spreadsheet, national portal.")


def register(app) -> None:
    app.cli.add_command(export)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.ClickException(f"{option} {value!r} is not a date: write it as YYYY-MM-DD.") from None


def _selection(org_code: str, lot_code: str | None, start: str | None, end: str | None):
    """(organisation, lot or None, start, end), or a ClickException saying what to give instead."""
    if lot_code and (start or end):
        raise click.ClickException("Give either --lot, or --from and --to, not both.")
    if not lot_code and not (start or end):
        raise click.ClickException("Say what to export: --lot CODE, or --from DATE and --to DATE.")
    if not lot_code and not (start and end):
        raise click.ClickException("Give both --from and --to (YYYY-MM-DD).")
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code.strip().lower()))
    if org is None:
        raise click.ClickException(f"No organisation with the code {org_code!r}.")
    if lot_code:
        lot = db.session.scalar(sa.select(Lot).where(of_org(Lot, org.id), Lot.code == lot_code.strip().upper()))
        if lot is None:
            raise click.ClickException(f"No lot {lot_code!r} in organisation {org.code}.")
        return org, lot, None, None
    first, last = _date(start, "--from"), _date(end, "--to")
    if first > last:
        raise click.ClickException(f"--from {first} is after --to {last}.")
    return org, None, first, last


def _selectors(command):
    """The options every export shares; the command receives (org, lot, start, end, output)."""

    @click.option("--org", "org_code", required=True, help="Short code of the organisation, e.g. tay-hoang.")
    @click.option("--lot", "lot_code", help="A lot code: the lot's whole lineage, back and forward.")
    @click.option("--from", "start", help="First day (YYYY-MM-DD), with --to.")
    @click.option("--to", "end", help="Last day (YYYY-MM-DD), included.")
    @click.option(
        "-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write."
    )
    @functools.wraps(command)
    def wrapper(org_code, lot_code, start, end, output):
        return command(*_selection(org_code, lot_code, start, end), output)

    return wrapper


def _events(org, lot, start, end):
    return events_for_lot(org, lot) if lot is not None else events_between(org, start, end)


@export.command("epcis")
@_selectors
def export_epcis(org, lot, start, end, output):
    """EPCIS 2.0 JSON-LD document of harvests, processing, packing, sales, bought-in lots and recalls."""
    document = epcis_document(org, _events(org, lot, start, end))
    with open(output, "w", encoding="utf-8") as fp:
        json.dump(document, fp, ensure_ascii=False, indent=2)
    click.echo(f"Wrote {len(document['epcisBody']['eventList'])} EPCIS events to {output}.")


@export.command("fsma")
@_selectors
def export_fsma(org, lot, start, end, output):
    """FSMA 204 key data elements, one row per critical tracking event: .xlsx, or CSV for any other name."""
    rows = fsma_rows(org, _events(org, lot, start, end))
    if output.lower().endswith(".xlsx"):
        write_xlsx(rows, output)
    else:
        with open(output, "w", encoding="utf-8-sig", newline="") as fp:  # the BOM lets Excel read Vietnamese
            write_csv(rows, fp)
    click.echo(f"Wrote {len(rows)} FSMA 204 rows to {output}.")


@export.command("portal")
@_selectors
def export_portal(org, lot, start, end, output):
    """The ten TT 02/2024 fields per lot (one lot, or every lot produced in the dates): JSON, or CSV for .csv."""
    lots = (
        [lot]
        if lot is not None
        else db.session.scalars(
            sa.select(Lot).where(of_org(Lot, org.id), Lot.produced_on.between(start, end)).order_by(Lot.code)
        ).all()
    )
    records = [portal_record(x) for x in lots]
    if output.lower().endswith(".csv"):
        with open(output, "w", encoding="utf-8-sig", newline="") as fp:
            write_portal_csv(records, fp)
    else:
        with open(output, "w", encoding="utf-8") as fp:
            json.dump(records, fp, ensure_ascii=False, indent=2)
    click.echo(f"Wrote {len(records)} portal records to {output}.")


@export.command("site")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, writable=True),
    help="Directory to write the static site into (created if missing).",
)
@click.option("--org", "org_code", help="Only this organisation's lots (default: every organisation).")
def export_site(output, org_code):
    """Every public provenance page as static HTML at the same paths, for any static host."""
    if org_code and db.session.scalar(sa.select(Organisation.id).where(Organisation.code == org_code)) is None:
        raise click.ClickException(f"No organisation with the code {org_code!r}.")
    with click.progressbar(length=1, label="Pages", file=None) as bar:

        def report(done, total):
            bar.length = total
            bar.update(done - bar.pos)

        summary = write_site(Path(output), org_code=org_code, report=report)
    click.echo(f"{summary.lots} lots, {summary.units} units: {summary.files} files in {output}")
