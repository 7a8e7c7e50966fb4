"""Upgrading an empty database with the committed migrations gives exactly the models' schema."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from tests.conftest import TEST_CONFIG
from traceability import create_app
from traceability.extensions import db


def test_migrations_match_models(empty_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        db.engine.dispose()


def test_migrated_database_keeps_events_append_only(empty_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
            else:
                query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal"
            triggers = set(conn.execute(sa.text(query)).scalars())
        db.engine.dispose()
    assert triggers in ({"events_no_update", "events_no_delete"}, {"events_append_only"})


def test_down_and_up_again_keeps_certificate_links(empty_database_url):
    """0006 and 0007 change tables that others point at: on SQLite a rebuilt table would cascade
    away (or refuse to drop) the rows pointing at it. Demo data must survive down and up."""
    from flask_migrate import downgrade

    from traceability import demo

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    tables = (
        "certificates",
        "certificate_plots",
        "certificate_households",
        "certificate_products",
        "lot_certificates",
        "products",
    )
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        demo.load()
        db.session.commit()

        def counts():
            with db.engine.connect() as conn:
                return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}

        before = counts()
        db.session.remove()
        downgrade(directory=directory, revision="0005")
        assert counts() == before
        upgrade(directory=directory)
        assert counts() == before
        db.engine.dispose()
    assert before["certificate_households"] and before["certificate_products"] and before["lot_certificates"]
