"""``flask --app traceability dossier pdf DOSSIER_ID -o FILE.pdf`` (and ``dossier zip``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from traceability.extensions import db
from traceability.ocop.criteria import get_set
from traceability.ocop.dossier_pdf import dossier_zip as build_zip
from traceability.ocop.dossier_pdf import render_dossier_pdf
from traceability.ocop.models import OcopDossier

dossier = AppGroup("dossier", help="OCOP dossiers: write one as PDF, or as a ZIP with its attached files.")


def register(app) -> None:
    app.cli.add_command(dossier)


def _find(dossier_id: int) -> OcopDossier:
    found = db.session.get(OcopDossier, dossier_id) if 0 < dossier_id < 2**31 else None
    if found is None:
        raise click.ClickException(f"No OCOP dossier with the id {dossier_id}.")
    if get_set(found.criteria_set) is None:
        raise click.ClickException(f"The dossier's criteria set {found.criteria_set} is no longer installed.")
    return found


@dossier.command("pdf")
@click.argument("dossier_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def dossier_pdf(dossier_id: int, output: str):
    """Write the dossier as one A4 PDF (Mẫu 01, Mẫu 02, evidence list, story, label, Mẫu 03)."""
    with open(output, "wb") as f:
        f.write(render_dossier_pdf(_find(dossier_id)))
    click.echo(f"Wrote {output}")


@dossier.command("zip")
@click.argument("dossier_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def dossier_zip(dossier_id: int, output: str):
    """Write the dossier's PDF and every attached file as one ZIP."""
    with open(output, "wb") as f:
        f.write(build_zip(_find(dossier_id)))
    click.echo(f"Wrote {output}")
