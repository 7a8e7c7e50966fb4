"""Upgrading an empty database with the committed migrations gives exactly the models' schema."""

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_babel import force_locale
from flask_migrate import downgrade, upgrade

from tests.conftest import TEST_CONFIG
from traceability import create_app, demo
from traceability.extensions import db
from traceability.lots.models import Lot
from traceability.ocop import services
from traceability.ocop.models import OcopAnswer, OcopDossier


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


def test_notes_stored_as_sentences_become_facts_and_back(empty_database_url):
    """0008 reads the plausible most back from a stored yield note in either language, recomputes the
    rest from the records, and drops the sentences; its downgrade writes them again, in Vietnamese."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        demo.load()  # B3's season is more than its 1,000 m² can give; B2 was sprayed with chlorpyrifos
        db.session.commit()
        db.session.remove()
        downgrade(directory=directory, revision="0007")
        with db.engine.begin() as conn:
            flagged, planting = conn.execute(sa.text("SELECT id, planting_id FROM lots WHERE yield_flagged")).one()
            assert conn.execute(sa.text("SELECT yield_note FROM lots WHERE id = :id"), {"id": flagged}).scalar() == (
                "Sản lượng thu hoạch của mùa vụ này (6.664 kg) vượt mức hợp lý 6.000 kg cho 1.000 m² Khổ qua (mướp đắng)."
            )
            banned = conn.execute(sa.text("SELECT non_conformity_note FROM plantings WHERE non_conformant")).scalar()
            assert banned.startswith("Đã dùng hoạt chất bị cấm chlorpyrifos ethyl ngày ")
            earlier = conn.execute(
                sa.text("SELECT id FROM lots WHERE planting_id = :p AND id < :id ORDER BY id"),
                {"p": planting, "id": flagged},
            ).scalars()
            second, third = list(earlier)[-2:]
            # Rows as they were before 0008: written by a manager reading English, by one reading
            # Vietnamese, and one no catalogue wrote.
            notes = {
                flagged: "This season's harvests (6,664 kg) exceed the plausible 6,250.5 kg for 1,000 m² of Khổ qua.",
                third: "Sản lượng thu hoạch của mùa vụ này (5.000 kg) vượt mức hợp lý 4.999,5 kg cho 1.000 m² Khổ qua.",
                second: "Quá nhiều.",
            }
            for lot_id, note in notes.items():
                conn.execute(
                    sa.text("UPDATE lots SET yield_flagged = :yes, yield_note = :note WHERE id = :id"),
                    {"yes": True, "note": note, "id": lot_id},
                )
            season = {
                lot_id: conn.execute(
                    sa.text("SELECT sum(quantity) FROM lots WHERE planting_id = :p AND id <= :id"),
                    {"p": planting, "id": lot_id},
                ).scalar()
                for lot_id in notes
            }
        upgrade(directory=directory)
        facts = {
            row.id: row[1:]
            for row in db.session.execute(
                sa.select(Lot.id, Lot.yield_season_kg, Lot.yield_area_m2, Lot.yield_max_kg).where(Lot.id.in_(notes))
            )
        }
        assert facts == {
            flagged: (Decimal(str(season[flagged])), 1000, Decimal("6250.5")),
            third: (Decimal(str(season[third])), 1000, Decimal("4999.5")),
            second: (Decimal(str(season[second])), 1000, None),  # unreadable: the rest still recomputed
        }
        with app.test_request_context(), force_locale("en"):
            lot = db.session.get(Lot, flagged)
            assert lot.yield_text() == (
                "This season's harvests (6,664 kg) exceed the plausible 6,250.5 kg for 1,000 m² of Khổ qua (mướp đắng)."
            )
            assert (
                "are more than 1,000 m² of Khổ qua (mướp đắng) can plausibly yield"
                in db.session.get(Lot, second).yield_text()
            )
        db.session.remove()
        db.engine.dispose()


def test_ocop_findings_stored_as_sentences_become_facts_and_back(empty_database_url):
    """0009 reads each pre-filled answer's sentence back into facts, in either language, and leaves a
    producer's own note alone; its downgrade writes the sentences again, in Vietnamese."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    note = "Bản tự công bố sản phẩm 01/2026 (Chi cục ATTP)."  # a producer's words, shaped like a finding

    def worded(language: str) -> dict[int, str]:
        with app.test_request_context(), force_locale(language):
            return {a.id: a.evidence_text() for a in db.session.scalars(sa.select(OcopAnswer))}

    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        demo.load()  # the cooperative's dossier, pre-filled from its records
        services.save_answer(db.session.scalars(sa.select(OcopDossier)).one(), "A1.3", 1, note=note)
        db.session.commit()
        vietnamese, english = worded("vi"), worded("en")
        assert len({a for a, text in english.items() if text != vietnamese[a]}) >= 8
        db.session.remove()
        downgrade(directory=directory, revision="0008")
        with db.engine.begin() as conn:
            stored = dict(conn.execute(sa.text("SELECT id, evidence FROM ocop_answers")).all())
            assert stored == vietnamese
            findings = [answer_id for answer_id, text in stored.items() if text and text != note]
            assert len(findings) == 8
            for answer_id in findings[::2]:  # as a manager reading English refreshed them
                conn.execute(
                    sa.text("UPDATE ocop_answers SET evidence = :e WHERE id = :id"),
                    {"e": english[answer_id], "id": answer_id},
                )
        upgrade(directory=directory)
        assert worded("vi") == vietnamese and worded("en") == english
        kept = db.session.execute(
            sa.select(OcopAnswer.evidence, OcopAnswer.finding).where(OcopAnswer.evidence.is_not(None))
        )
        assert kept.all() == [(note, None)]
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    ("finder", "sentence", "facts"),  # facts None: unreadable, left as it is
    [
        (
            "local_raw_material_share",
            "62,5 % nguyên liệu của 12 tháng qua là của địa phương: 1.000 cái từ ruộng của đơn vị và 250 cái mua "
            "của nhà cung cấp ở Quảng Thái, trên tổng số 2.000 cái (4 lô).",
            {"share": "62.5", "own": "1000", "bought": "250", "total": "2000", "unit": "piece", "lots": 4},
        ),
        (
            "local_raw_material_share",
            "62.5 % of the raw material of the last 12 months is local: 1,000.5 from the organisation's own plots "
            "and 250 bought from suppliers in Quảng Thái, of 2,000 in all (4 lots).",
            {"share": "62.5", "own": "1000.5", "bought": "250", "total": "2000", "unit": None, "lots": 4},
        ),
        (
            "certified_area",
            "VG-01 (Chi cục TT&BVTV, Huế, until 01/02/2027), VG-02 (FITES, until 03/04/2028): 2 of 3 plots, "
            "1,500 m² certified.",
            {
                "certificates": [
                    {"number": "VG-01", "issuer": "Chi cục TT&BVTV, Huế", "valid_to": "2027-02-01"},
                    {"number": "VG-02", "issuer": "FITES", "valid_to": "2028-04-03"},
                ],
                "area_m2": "1500",
            },
        ),
        ("legal_form", "Đăng ký là: Tổ hợp tác (THT) .", {"kind": "cooperative_group", "number": None}),
        (
            "quality_assurance",
            "Giấy chứng nhận cơ sở đủ điều kiện ATTP A-1, hiệu lực đến 10/04/2028.",
            {"valid_to": "2028-04-10"},
        ),
        ("quality_assurance", "The records hold nothing to answer this yet.", {"code": "nothing"}),
        ("quality_assurance", "Đã kiểm tra.", None),
    ],
)
def test_0009_reads_old_sentences_in_either_language(finder, sentence, facts):
    path = Path(__file__).resolve().parents[2] / "migrations/versions/0009_ocop_findings_as_facts.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    found = migration.read_sentence(finder, sentence)
    if facts is None:
        assert found is None
        return
    assert facts.items() <= found.items()
    back = migration.write_sentence(found)  # the downgrade writes Vietnamese: read again, the same facts
    assert migration.read_sentence(finder, back) == found
