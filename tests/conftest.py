"""Fixtures: a fresh app and a fresh database for every test.

SQLite by default (a new file per test). With ``DATABASE_URL`` set to a PostgreSQL URL the same
tests run there: the schema is created once and every table is emptied after each test. Under
``pytest -n`` (pytest-xdist) each worker has a database of its own beside the one named, created on
first use, so workers never empty each other's tables.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import PASSWORD
from traceability import create_app
from traceability.config import normalise_database_url
from traceability.extensions import db


def _worker_database(url: str | None) -> str | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"… under pytest -n
    if not url or not worker:
        return url
    parsed = sa.engine.make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


NAMED_URL = normalise_database_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
POSTGRES_URL = _worker_database(NAMED_URL)

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,  # tests of CSRF itself switch it back on
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "TRACEABILITY_ENV": "development",
}


def make_app(tmp_path, **extra):
    uri = POSTGRES_URL or f"sqlite:///{tmp_path / 'test.db'}"
    # Each app its own scan spool, written only when a test flushes it (scans.recorder).
    spool = {"SCAN_SPOOL_DIR": str(tmp_path / "scan-spool"), "SCAN_FLUSH_SECONDS": 0}
    spool["LOG_KEYS_DIR"] = str(tmp_path / "log-keys")  # each test's own signing keys, never the instance's
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, **spool, **extra})


@pytest.fixture(scope="session")
def _postgres_schema():
    if not POSTGRES_URL:
        yield
        return
    if POSTGRES_URL != NAMED_URL:
        _create_database(sa.engine.make_url(POSTGRES_URL).database)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": POSTGRES_URL})
    with app.app_context():
        with db.engine.begin() as conn:  # whatever an earlier run left, start from an empty schema
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        db.create_all()
        db.engine.dispose()
    yield


def _create_database(name: str) -> None:
    """``name`` created unless it exists. Two workers copying template1 at the same moment may be told
    it "is being accessed by other users": the later one tries again."""
    admin = sa.create_engine(NAMED_URL, isolation_level="AUTOCOMMIT")
    for attempt in range(20):
        try:
            with admin.connect() as conn:
                if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            break
        except sa.exc.OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.25)
    admin.dispose()


def _empty_all_tables() -> None:
    """Every table emptied and every id restarting at 1, between two tests on PostgreSQL.

    DELETE with triggers and foreign keys set aside (``session_replication_role``, superuser only)
    takes about 10 ms where a TRUNCATE of every table takes 90 to 200, once per test; without the
    privilege, TRUNCATE."""
    try:
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(sa.text(f'DELETE FROM "{table.name}"'))
        db.session.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
    except sa.exc.ProgrammingError:
        db.session.rollback()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app(tmp_path, _postgres_schema):
    app = make_app(tmp_path)
    with app.app_context():
        if not POSTGRES_URL:
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if POSTGRES_URL:
            _empty_all_tables()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _demo_rows(tmp_path_factory, _postgres_schema) -> dict[str, list[dict]]:
    """The demo's rows, table by table: loaded once per worker (3 s on SQLite, 7 on PostgreSQL),
    then written into each test's empty database by ``demo_app``."""
    from traceability import demo

    app = make_app(tmp_path_factory.mktemp("demo"))
    with app.app_context():
        if not POSTGRES_URL:
            db.create_all()
        demo.load()
        db.session.commit()
        rows = {
            t.name: [dict(r) for r in db.session.execute(t.select().order_by(*t.primary_key)).mappings()]
            for t in db.metadata.sorted_tables
        }  # by key: a row that names another of its table comes after it
        db.session.remove()
        if POSTGRES_URL:
            _empty_all_tables()
        db.engine.dispose()
    return rows


@pytest.fixture
def demo_app(_demo_rows, app):
    """``app`` with the Quảng Thái demo data loaded: the same rows as ``demo.load()`` writes, copied."""
    with app.app_context():
        for table in db.metadata.sorted_tables:  # parents first
            if _demo_rows[table.name]:
                db.session.execute(table.insert(), _demo_rows[table.name])
        if POSTGRES_URL:  # each id sequence on past the copied ids, as the load itself leaves it
            db.session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence(c.table_name, 'id'), max_id) FROM ("
                    + " UNION ALL ".join(
                        f"SELECT '{t.name}' AS table_name, max(id) AS max_id FROM \"{t.name}\""
                        for t in db.metadata.sorted_tables
                        if "id" in t.c and t.c.id.autoincrement is not False and _demo_rows[t.name]
                    )
                    + ") c"
                )
            )
        db.session.commit()
    return app


@pytest.fixture
def ctx(app):
    """An application context, for tests that call services directly.

    Not for tests that also use the client: a request would share this context (its ``g`` and its
    session). Such fixtures seed data inside their own ``with app.app_context()`` block.
    """
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, login_name: str, password: str = PASSWORD):
    return client.post("/login", data={"login": login_name, "password": password})


@pytest.fixture
def empty_database_url(tmp_path):
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"migr_{uuid.uuid4().hex[:10]}"
    _create_database(name)
    admin = sa.create_engine(NAMED_URL, isolation_level="AUTOCOMMIT")
    url = sa.engine.make_url(POSTGRES_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def needs_tool(name: str):
    """Skip a test whose system tool is missing on a developer's machine; in CI (``CI`` set) run it
    anyway, so a missing install step fails loudly instead of skipping quietly."""
    import shutil

    return pytest.mark.skipif(
        not shutil.which(name) and not os.environ.get("CI"), reason=f"{name} is not installed (bash .ci/system-deps)"
    )
