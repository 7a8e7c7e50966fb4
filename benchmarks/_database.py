"""The throwaway database every benchmark starts from, and what it runs on (shared by the scripts here)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa


def empty_postgresql(parsed: sa.engine.URL, say=print) -> str:
    """Create the database if missing and drop its public schema: nothing of the last run survives."""
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
            say(f"creating database {parsed.database}")
            conn.exec_driver_sql(f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(parsed.database)}")
    admin.dispose()
    engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return parsed.render_as_string(hide_password=False)


def remove_sqlite_files(database: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(database + suffix).unlink(missing_ok=True)


def prepare_database(url: str | None, workdir: Path, say=print, filename: str = "public-page.db") -> str:
    """An empty database for one run (a SQLite file in ``workdir`` unless ``url`` names one); its URL."""
    if not url:
        return f"sqlite:///{workdir / filename}"
    from traceability.config import normalise_database_url

    parsed = sa.engine.make_url(normalise_database_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            remove_sqlite_files(parsed.database)
            return parsed.render_as_string(hide_password=False)
        raise SystemExit("an in-memory SQLite database cannot be shared with gunicorn: name a file")
    if backend != "postgresql":
        raise SystemExit(f"unsupported database: {backend} (use SQLite or PostgreSQL)")
    return empty_postgresql(parsed, say)


def describe_server(conn) -> str:
    if conn.dialect.name == "postgresql":
        return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
    return "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar()
