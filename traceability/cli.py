"""Command line: ``flask --app traceability init | demo | users create | audit verify | translate | move-files``.

``backup`` and ``restore`` are in ``backup.py``, registered here.

Each command calls the same services as the web forms and commits once at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from traceability import backup, blobs, demo
from traceability.accounts import services as accounts
from traceability.accounts.models import Organisation, OrganisationKind, Role, User
from traceability.accounts.tokens import create_token
from traceability.config import Defaults
from traceability.epcis import cli as epcis_cli
from traceability.errors import DomainError
from traceability.exports import cli as exports_cli
from traceability.extensions import db
from traceability.jobs.models import Job
from traceability.labels import cli as labels_cli
from traceability.lots.models import Lot
from traceability.ocop import cli as ocop_cli
from traceability.ocop.models import OcopAttachment
from traceability.photos.models import Photo
from traceability.provenance import proofs
from traceability.transactions import unit_of_work
from traceability.transparency import checkpoints as log_checkpoints
from traceability.transparency import keys as log_keys
from traceability.transparency import witness as log_witness


def register(app) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(users)
    app.cli.add_command(translate)
    app.cli.add_command(audit)
    app.cli.add_command(witness)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
    app.cli.add_command(exports_cli.export)
    app.cli.add_command(epcis_cli.epcis)
    app.cli.add_command(labels_cli.labels)
    app.cli.add_command(ocop_cli.dossier)
    app.cli.add_command(move_files_command)


def upgrade_database() -> None:
    upgrade(directory=current_app.extensions["migrate"].directory)


@contextmanager
def writing():
    """A command's changes: committed once when it succeeds; a broken rule is a plain message."""
    try:
        with unit_of_work():
            yield
    except DomainError as error:
        raise click.ClickException(error.message) from None


@click.command("init")
@click.option("--org-code", help="Short code of the first organisation, e.g. tay-hoang.")
@click.option("--org-name", help="Full name of the first organisation.")
@click.option(
    "--org-kind", type=click.Choice([k.value for k in OrganisationKind]), default="cooperative", show_default=True
)
@click.option("--commune", help="Commune of the first organisation.")
@click.option("--province", help="Province of the first organisation.")
@click.option("--login", "login_", help="Phone number or email of the first administrator.")
@click.option("--name", help="Name of the first administrator.")
@click.option("--password", help="Password of the first administrator (prompted when missing).")
@with_appcontext
def init_command(org_code, org_name, org_kind, commune, province, login_, name, password):
    """Create or upgrade the database; on an empty one, create the first organisation and admin."""
    upgrade_database()
    click.echo("Database is up to date.")
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        if login_:
            raise click.UsageError("Users exist already: add more with 'users create'.")
        return
    org_code = org_code or click.prompt("Organisation short code (e.g. tay-hoang)")
    org_name = org_name or click.prompt("Organisation name")
    commune = commune or click.prompt("Commune")
    province = province or click.prompt("Province")
    login_ = login_ or click.prompt("Administrator phone number or email")
    name = name or click.prompt("Administrator name")
    password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with writing():
        org = accounts.create_organisation(
            code=org_code, name=org_name, kind=OrganisationKind(org_kind), commune=commune, province=province
        )
        user = _create_user(login_, name, password)
        accounts.add_membership(user, org, Role.ADMIN)
    log_keys.signing_key(org.code)  # the log's key, kept in the instance folder (transparency.keys)
    click.echo(f"Created organisation {org.code} and administrator {user.login}.")


def _create_user(login: str, name: str, password: str) -> User:
    parsed = accounts.normalise_login(login)
    if parsed is None:
        raise DomainError("The login must be a Vietnamese phone number or an email address.", "login")
    kind, value = parsed
    return accounts.create_user(name=name, password=password, **{kind: value})


@click.command("demo")
@with_appcontext
def demo_command():
    """Create or upgrade the database and load the Quảng Thái demo data (once); print the logins
    and the address the printed QR codes carry."""
    upgrade_database()
    with writing():
        created = demo.load()
    click.echo("Demo data loaded." if created else "Demo data was already there.")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login, role, org in demo.DEMO_LOGINS:
        click.echo(f"  {login:<28} {role:<10} {org}")
    click.echo(_public_address())


def _public_address() -> str:
    """Point the demo's QR codes at this machine on its network, where a phone can open them, unless
    an address was chosen (environment or ``instance/config.py``); say which and how to change it."""
    config_file = Path(current_app.instance_path) / "config.py"
    chosen = current_app.config["PUBLIC_BASE_URL"]
    if chosen == Defaults.PUBLIC_BASE_URL and "PUBLIC_BASE_URL" not in os.environ:
        address = demo.network_address()
        if address:
            chosen = f"http://{address}:5000"
            with config_file.open("a", encoding="utf-8") as f:
                f.write("\n# Written by `flask demo`: the address printed in QR codes. Change it here.\n")
                f.write(f"PUBLIC_BASE_URL = {chosen!r}\n")
            current_app.config["PUBLIC_BASE_URL"] = chosen
    return (
        f"QR codes point to {chosen} (PUBLIC_BASE_URL, set in {config_file} or the environment).\n"
        f"Start the server with `flask --app traceability run --host 0.0.0.0` so that a phone on this\n"
        f"network opens them; the demo's passwords are public: use it on a network you trust."
    )


users = AppGroup("users", help="Manage user accounts.")


@users.command("create")
@click.argument("login")
@click.option("--org", "org_code", required=True, help="Short code of the organisation.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", help="Display name (defaults to the login).")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
def create_user_command(login, org_code, role, name, password):
    """Create a user with a phone number or email as LOGIN and a role in one organisation."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code.strip().lower()))
    if org is None:
        raise click.ClickException(f"No organisation with the code {org_code!r}.")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with writing():
        user = _create_user(login, name or login, password)
        accounts.add_membership(user, org, Role(role))
    click.echo(f"Created {user.login} as {role} of {org.code}.")


@users.command("token")
@click.argument("login")
@click.option("--org", "org_code", required=True, help="Short code of the organisation the token works in.")
@click.option("--name", default="API", show_default=True, help="What the token is for.")
def create_token_command(login, org_code, name):
    """Create an API token for LOGIN in one organisation; it is printed once, never stored in clear."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code.strip().lower()))
    user = accounts.find_user_by_login(login)
    if org is None or user is None:
        raise click.ClickException("Unknown organisation or login.")
    with writing():
        _row, token = create_token(user, org, name)
    click.echo(token)


audit = AppGroup("audit", help="Check the event log.")


@audit.command("verify")
@click.option("--org", "org_code", help="Only this organisation (default: all).")
@click.option(
    "--checkpoint",
    "checkpoint_",
    help="The last checkpoint printed by backup or audit verify (a file, or its text): the chain must reach it.",
)
def audit_verify(org_code, checkpoint_):
    """Recompute the hash chain of the event log; name the first event that does not match; print its checkpoint."""
    marks = backup.read_checkpoint(checkpoint_) if checkpoint_ else None
    backup.verify_chain(org_code, marks)


@audit.command("checkpoint")
@click.option("--org", "org_code", help="Only this organisation (default: every producer).")
@with_appcontext
def audit_checkpoint(org_code):
    """Sign a checkpoint of each log that has grown since its last one, and print it."""
    with writing():
        for org in _producers(org_code):
            found = log_checkpoints.make(org, now=True)
            if found is not None:
                click.echo(log_checkpoints.published(found))


@audit.command("rotate-key")
@click.argument("org_code")
@with_appcontext
def audit_rotate_key(org_code):
    """A new signing key for the organisation's log; the old public key stays published."""
    (org,) = _producers(org_code)
    log_keys.rotate(org.code)
    with writing():
        log_checkpoints.make(org, now=True)  # the next checkpoint is signed with the new key
    click.echo(log_checkpoints.log_key(org))


@audit.command("proof")
@click.argument("lot_code")
@click.option("--org", "org_code", help="The organisation, when two have a lot of this code.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def audit_proof(lot_code, org_code, output):
    """Write a lot's events with their proofs and the signed checkpoint, for tlog.py to check anywhere."""
    query = sa.select(Lot).join(Organisation, Organisation.id == Lot.organisation_id).where(Lot.code == lot_code)
    if org_code:
        query = query.where(Organisation.code == org_code)
    lots = db.session.scalars(query).all()
    if len(lots) != 1:
        raise click.UsageError(f"{len(lots)} lots have the code {lot_code}: name the organisation with --org.")
    with writing():
        found = proofs.bundle(lots[0], now=True)
    if found is None:
        raise click.ClickException(f"The log of lot {lot_code} has no checkpoint yet.")
    Path(output).write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    org = db.session.get(Organisation, lots[0].organisation_id)
    click.echo(f"{len(found['events'])} events. Check it with the log's key:")
    click.echo(f"python traceability/transparency/tlog.py {output} --log-key {log_checkpoints.log_key(org)}")


def _producers(org_code: str | None) -> list[Organisation]:
    query = sa.select(Organisation).order_by(Organisation.code)
    if org_code:
        query = query.where(Organisation.code == org_code)
    orgs = [o for o in db.session.scalars(query) if not o.kind.is_authority]
    if org_code and not orgs:
        raise click.UsageError(f"No producer organisation with the code {org_code}.")
    return orgs


witness = AppGroup("witness", help="Follow other servers' logs as a witness (a commune, a province).")


@witness.command("follow")
@click.argument("url")
@click.option("--as", "org_code", required=True, help="The authority this server witnesses for (its code).")
@click.option("--log-key", help="The log's verifier key, given by the producer (default: read once from URL/keys).")
def witness_follow(url, org_code, log_key):
    """Check the newest checkpoint of the log at URL (…/log/<code>) and cosign it, or refuse it."""
    org = _authority(org_code)
    try:
        outcome = log_witness.follow(org, url, log_key)  # commits itself, around the requests it sends
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{url}: {error}") from None
    if not outcome.accepted:
        raise click.ClickException(f"Refused the checkpoint of {outcome.size} events: {outcome.reason}.")
    click.echo(f"Cosigned the checkpoint of {outcome.size} events.")


@witness.command("compare")
@click.argument("url")
@click.option("--as", "org_code", required=True, help="The authority this server witnesses for (its code).")
def witness_compare(url, org_code):
    """Compare the checkpoints this witness accepted with another witness's (URL: …/witness/<code>)."""
    org = _authority(org_code)
    try:
        compared, caught = log_witness.compare(org, url)  # commits itself, around the requests it sends
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{url}: {error}") from None
    if caught:
        raise click.ClickException(f"Shown another history than this witness: {', '.join(caught)}.")
    click.echo(f"Compared {len(compared)} logs with {url}: the same histories.")


@witness.command("key")
@click.option("--as", "org_code", required=True, help="The authority this server witnesses for (its code).")
def witness_key(org_code):
    """Print the witness's verifier key, for the producers' LOG_WITNESSES."""
    click.echo(log_witness.verifier_key(_authority(org_code)))


def _authority(org_code: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code))
    if org is None or not org.kind.is_authority:
        raise click.UsageError(f"No commune or province authority with the code {org_code}.")
    return org


translate = AppGroup("translate", help="Extract and update the message catalogues.")
TRANSLATIONS = Path(__file__).parent / "translations"
ROOT = Path(__file__).parent.parent


@translate.command("update")
def translate_update():
    """Extract every translatable string and merge it into the vi and en catalogues."""
    pot = ROOT / "messages.pot"
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "_n:1,2",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
        "traceability",
        "templates",
    )
    _pybabel("update", "-i", str(pot), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete")
    pot.unlink()


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


# Every file kept in a row: the column of its bytes, its kind in the bucket, and the key's suffix for a row.
STORED_FILES = (
    (Photo, "image", "photos", lambda row: ".jpg"),
    (Photo, "thumbnail", "photos", lambda row: "-thumb.jpg"),
    (OcopAttachment, "data", "evidence", lambda row: "." + row.filename.rsplit(".", 1)[-1]),
    (Job, "result", "jobs", lambda row: ".pdf"),
)


@click.command("move-files")
@click.option("--batch", default=50, show_default=True, help="Files moved per transaction.")
@with_appcontext
def move_files_command(batch):
    """Move the files kept in the database (photos, evidence, print runs) to object storage (S3_BUCKET).

    Each file is written to the bucket before its row forgets the bytes, a batch per transaction: stopped
    at any point (storage down, the process killed), what was moved is moved and the rest is still in rows."""
    if not blobs.configured():
        raise click.ClickException("Set S3_BUCKET (and S3_ENDPOINT_URL for MinIO) first.")
    for model, column, kind, suffix in STORED_FILES:
        key_column, moved = getattr(model, f"{column}_key"), 0
        waiting = sa.select(model).where(getattr(model, column).is_not(None), key_column.is_(None))
        while rows := db.session.scalars(waiting.options(sa.orm.undefer(getattr(model, column))).limit(batch)).all():
            with writing():
                for row in rows:
                    key = blobs.store(row.organisation_id, kind, getattr(row, column), suffix(row))
                    setattr(row, f"{column}_key", key)
                    setattr(row, column, None)
            moved += len(rows)
            click.echo(f"{model.__tablename__}.{column}: {moved}")
        click.echo(f"{model.__tablename__}.{column}: {moved} moved")
