"""The throwaway database every benchmark starts from (shared by the scripts in this folder)."""

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
