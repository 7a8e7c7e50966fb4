"""``flask --app traceability epcis …``: make the stored events of older records, capture a supplier's document
received as a file, choose what is shared, and print the canonical hashes of any document's events."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from traceability.accounts.models import Organisation
from traceability.epcis import capture, store
from traceability.epcis.hashing import document_hashes
from traceability.epcis.models import PublicEvents
from traceability.epcis.sharing import sharing_of
from traceability.extensions import db
from traceability.transactions import unit_of_work

epcis = AppGroup("epcis", help="The EPCIS 2.0 interface for trading partners.")


def _organisation(code: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None:
        raise click.UsageError(f"There is no organisation {code}.")
    return org


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{path}: not a JSON document ({error})") from None


@epcis.command("backfill")
@click.option("--org", "org_code", help="Only this organisation (default: all).")
def backfill(org_code):
    """Store the EPCIS events of records made before they were stored as they commit (after upgrading)."""
    with unit_of_work():
        orgs = (
            [_organisation(org_code)]
            if org_code
            else list(db.session.scalars(sa.select(Organisation).order_by(Organisation.id)))
        )
        for org in orgs:
            click.echo(f"{org.code}: {store.backfill(org)} events stored")


@epcis.command("capture")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--org", "org_code", required=True, help="The organisation that bought what the document tells of.")
def capture_file(path, org_code):
    """Capture a supplier's EPCIS document received as a file: all its events, or none and every error."""
    with unit_of_work():
        job = capture.capture(_organisation(org_code), None, _read(path))
    if job.errors:
        for error in job.errors:
            click.echo(error["detail"], err=True)
        raise click.ClickException(f"nothing stored: {len(job.errors)} errors")
    click.echo(f"{job.events} events, {job.stored} new")


@epcis.command("share")
@click.argument("org_code")
@click.argument("public", type=click.Choice([p.value for p in PublicEvents]))
def share(org_code, public):
    """What anyone may query without a token: none, or the events behind the lots' public pages."""
    with unit_of_work():
        sharing = sharing_of(_organisation(org_code).id)
        sharing.public = PublicEvents(public)
        db.session.merge(sharing)
    click.echo(f"{org_code}: {public}")


@epcis.command("hash")
@click.argument("path", type=click.Path(dir_okay=False))
def hash_file(path):
    """Print the CBV 2.0 canonical hash (eventID) of every event of an EPCIS JSON-LD document."""
    for hashed in document_hashes(_read(path)):
        click.echo(hashed)
