"""``flask --app traceability backup -o FILE`` and ``restore FILE``: a copy of one moment, and its checkpoint.

SQLite: the online backup API copies every page in one step, inside one read transaction, so the
copy is one moment of the database while requests go on writing (WAL lets them). Copying the file
itself misses what still sits in ``-wal`` and can lose the newest commits.
PostgreSQL: ``pg_dump --format=custom`` inside a snapshot exported by the transaction that reads
the checkpoint, so the dump and its checkpoint are the same moment.

The checkpoint (``events/checkpoint.py``) is printed and written beside the copy as
``FILE.checkpoint``; ``restore`` verifies the restored chain against it, ``audit verify
--checkpoint`` against any later one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy.pool import NullPool

from traceability.accounts.models import Organisation
from traceability.config import normalise_database_url
from traceability.database import utcnow
from traceability.events import chain, checkpoint
from traceability.extensions import db
from traceability.transparency import audit as log_audit

SQLITE_HEADER, PG_DUMP_HEADER = b"SQLite format 3\0", b"PGDMP"


class Refused(click.ClickException):
    """A failure told in the user's language, without click's English "Error:" in front."""

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


def checkpoint_path(file: str | Path) -> Path:
    return Path(f"{file}.checkpoint")


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The copy to write.")
@with_appcontext
def backup_command(output):
    """Copy the database while the app runs; print the checkpoint and write it to FILE.checkpoint."""
    url, started = _server_url(), time.perf_counter()
    part = Path(f"{output}.part")  # renamed into place once whole: a failed run leaves no half copy
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            taken_at, marks = utcnow(), _backup_sqlite(url.database, part)
        else:
            marks, taken_at = _backup_postgres(url, part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    part.replace(output)
    text = checkpoint.dumps(marks, taken_at)
    checkpoint_path(output).write_text(text, encoding="utf-8")
    click.echo(text, nl=False)  # stdout: a schedule can append it to a log kept apart from the copies
    click.echo(
        _(
            "Backup written to %(file)s in %(seconds)s s: %(events)s events; checkpoint in %(checkpoint)s.",
            file=output,
            seconds=f"{time.perf_counter() - started:.2f}",
            events=sum(mark.count for mark in marks),
            checkpoint=checkpoint_path(output),
        ),
        err=True,
    )


def _backup_sqlite(source: str, part: Path) -> list[checkpoint.Mark]:
    if not Path(source).is_file():
        raise Refused(_("There is no database at %(path)s.", path=source))
    part.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source, timeout=30), sqlite3.connect(part)
    try:
        src.backup(dst)  # pages=-1: all in one step, so one read transaction and one moment
    finally:
        src.close()
        dst.close()
    # Read from the copy itself, not from the live database: the checkpoint says what the copy holds.
    engine = sa.create_engine(f"sqlite:///{part}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            marks = checkpoint.take(connection)
    finally:
        engine.dispose()
    single = sqlite3.connect(part)
    single.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    single.close()
    return marks


def _backup_postgres(url: sa.URL, part: Path):
    pg_dump = _tool("pg_dump")
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with connection.begin():
                # The first statement fixes the transaction's snapshot; pg_dump joins it while we hold it open.
                snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                taken_at = connection.execute(sa.text("SELECT now() AT TIME ZONE 'UTC'")).scalar_one()
                marks = checkpoint.take(connection)
                _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={part}", *_libpq(url)], url)
    finally:
        engine.dispose()
    return marks, taken_at


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace a database that already holds records.")
@click.option(
    "--checkpoint",
    "checkpoint_",
    help="Verify against this checkpoint (a file, or its text) instead of FILE.checkpoint: e.g. a later one.",
)
@with_appcontext
def restore_command(file, overwrite, checkpoint_):
    """Restore a copy made by ``backup`` into the configured database, then verify its chain."""
    url, started = _server_url(), time.perf_counter()
    with open(file, "rb") as fp:
        head = fp.read(16)
    sqlite = url.get_backend_name() == "sqlite"
    if not head.startswith(SQLITE_HEADER if sqlite else PG_DUMP_HEADER):
        raise Refused(
            _(
                "%(file)s is not a copy made by backup on %(database)s.",
                file=file,
                database="SQLite" if sqlite else "PostgreSQL",
            )
        )
    if not overwrite and _holds_records():
        raise Refused(_("The database already holds records: add --overwrite to replace them with the copy."))
    marks = read_checkpoint(checkpoint_) if checkpoint_ else None
    if marks is None and checkpoint_path(file).is_file():
        marks = read_checkpoint(str(checkpoint_path(file)))
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours may hold the database while it is replaced
    if sqlite:
        _restore_sqlite(file, url.database)
    else:
        _run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *_libpq(url), file],
            url,
        )
    click.echo(
        _("Restored %(file)s in %(seconds)s s.", file=file, seconds=f"{time.perf_counter() - started:.2f}"), err=True
    )
    if marks is None:
        click.echo(_("No checkpoint found beside the copy: only the links of the chain can be checked."), err=True)
    verify_chain(marks=marks)


def _restore_sqlite(file: str, target: str) -> None:
    src, dst = sqlite3.connect(file), sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _holds_records() -> bool:
    names = [n for n in sa.inspect(db.engine).get_table_names() if n != "alembic_version"]
    found = any(db.session.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() for name in names)
    db.session.rollback()
    return found


def read_checkpoint(value: str) -> list[checkpoint.Mark]:
    """A checkpoint given on the command line: the path of its file, or its text."""
    text = Path(value).read_text(encoding="utf-8") if os.path.isfile(value) else value
    try:
        return checkpoint.loads(text)
    except ValueError as error:
        raise Refused(str(error)) from None


def verify_chain(org_code: str | None = None, marks: list[checkpoint.Mark] | None = None) -> None:
    """Recompute every link, print the checkpoint found, and compare it with ``marks`` when given."""
    org_id = None
    if org_code:
        org_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.code == org_code))
        if org_id is None:
            raise Refused(_("No organisation with the code %(code)s.", code=org_code))
        marks = [mark for mark in marks or [] if mark.organisation == org_code]
    # Taken before the walk: on a live database every event the checkpoint counts is then one the walk checked.
    found, taken_at = checkpoint.take(db.session, org_code), utcnow()
    result = chain.verify(org_id)
    if not result.ok:
        code = db.session.scalar(sa.select(Organisation.code).where(Organisation.id == result.organisation_id))
        raise Refused(
            _(
                "Broken at event %(event)s of %(org)s: its content or its link to the previous event does not "
                "match its hash (%(checked)s events checked).",
                event=result.broken_event_id,
                org=code,
                checked=result.checked,
            )
        )
    click.echo(checkpoint.dumps(found, taken_at), nl=False)
    problems = checkpoint.compare(db.session, marks) if marks else []
    # A chain recomputed after an edit, or cut short, still links: the signed checkpoints of its log do not.
    logs = db.session.scalars(sa.select(Organisation).where(Organisation.id == org_id if org_id else sa.true())).all()
    for org in logs:
        problems += log_audit.problems(org)
    if problems:
        raise Refused("\n".join(problems))
    for line in filter(None, map(log_audit.held, logs)):
        click.echo(line, err=True)
    # The checkpoint alone on stdout (`audit verify > latest.checkpoint` is the next --checkpoint), words on stderr.
    if marks:
        ok = _(
            "OK: %(count)s events, every hash and link matches and the chain reaches the checkpoint.",
            count=result.checked,
        )
    else:
        ok = _("OK: %(count)s events, every hash and link matches.", count=result.checked)
    click.echo(ok, err=True)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Refused(
            _(
                "%(tool)s is not on PATH: install the PostgreSQL client of the server's version or newer "
                "(Debian: apt-get install postgresql-client).",
                tool=name,
            )
        )
    return path


def _server_url() -> sa.URL:
    """The database itself: pg_dump and pg_restore set session state (``search_path``) that a transaction
    pooler in ``DATABASE_URL`` would hand on to the app's next transaction, so they go around it."""
    direct = current_app.config.get("DATABASE_DIRECT_URL")
    return sa.engine.make_url(normalise_database_url(direct)) if direct else db.engine.url


def _libpq(url: sa.URL) -> list[str]:
    """The database for pg_dump and pg_restore; the password goes through the environment, not ps."""
    return [f"--dbname={url.set(drivername='postgresql', password=None).render_as_string(hide_password=False)}"]


def _run(command: list[str], url: sa.URL) -> None:
    env = {**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})}
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise Refused(
            _("%(tool)s failed: %(error)s", tool=Path(command[0]).name, error=done.stderr.strip() or done.returncode)
        )
