"""A unit's page under a crowd: no query while its lot's page, the code's unit and its counters are
kept; the counters read again at most every PUBLIC_PAGE_RECHECK_SECONDS; the visitor's own scan
shown at once and counted as the writer will count it; a recall still reaching the unit's page."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.factories import days_ago, make_bagged_lot, scan, written_scans
from traceability.database import utcnow
from traceability.extensions import db
from traceability.lots.models import UnitSerial
from traceability.scans.models import UnitScan


@pytest.fixture
def lot(app):
    with app.app_context():
        return make_bagged_lot(units=8)


def _selects(app, client, url: str, address: str) -> tuple[int, str]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = scan(client, url, address)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    return len(statements), page.get_data(as_text=True)


def test_a_scan_of_a_known_unit_runs_no_query_and_a_new_unit_one(app, client, lot):
    first, second = (f"{lot['url']}/21/{serial}" for serial in lot["serials"][:2])
    scan(client, first)  # the lot's page is built and kept
    queries, page = _selects(app, client, first, "10.1.0.2")
    assert queries == 0 and "Số lần quét: 2" in page
    queries, page = _selects(app, client, second, "10.1.0.3")  # a unit this process has not shown
    assert queries == 1 and "Số lần quét: 1" in page  # the unit and its scans, in one statement
    assert written_scans(app) == 3


def test_the_visitor_counts_once_and_other_processes_scans_show_after_the_recheck(app, client, lot):
    app.config["PUBLIC_PAGE_RECHECK_SECONDS"] = 0.5
    unit = f"{lot['url']}/21/{lot['serials'][0]}"
    assert "Số lần quét: 1" in scan(client, unit).get_data(as_text=True)
    assert "Số lần quét: 1" in scan(client, unit).get_data(as_text=True)  # a reload: the same count
    assert "Số lần quét: 2" in scan(client, unit, "10.2.0.2").get_data(as_text=True)
    written_scans(app)
    with app.app_context():  # two scans another serving process wrote meanwhile
        unit_row = db.session.scalar(sa.select(UnitSerial).where(UnitSerial.serial == lot["serials"][0]))
        for n in range(2):
            row = {"organisation_id": lot["org_id"], "unit_serial_id": unit_row.id, "agent": "Safari · iOS"}
            db.session.add(UnitScan(**row, scanned_at=utcnow(), client=f"elsewhere{n}", receipt=f"elsewhere{n}"))
        db.session.commit()
    assert "Số lần quét: 2" in scan(client, unit, "10.2.0.2").get_data(as_text=True)  # kept: not read yet
    time.sleep(0.6)
    scan(client, unit, "10.2.0.2")  # this look reads every unit shown lately again, in one go
    assert "Số lần quét: 4" in scan(client, unit, "10.2.0.2").get_data(as_text=True)
    assert "Số lần quét: 4" in scan(client, unit).get_data(as_text=True)  # the first phone, already counted
    assert written_scans(app) == 4


def test_the_count_shown_stops_where_the_writer_stops(app, client, lot):
    app.config["SCAN_UNIT_PER_HOUR"] = 3
    unit = f"{lot['url']}/21/{lot['serials'][1]}"
    pages = [scan(client, unit, f"10.3.0.{n}").get_data(as_text=True) for n in range(5)]
    assert ["Số lần quét: 3" in page for page in pages] == [False, False, True, True, True]
    assert written_scans(app) == 3
    assert "Số lần quét: 3" in scan(client, unit, "10.3.0.9").get_data(as_text=True)


def test_a_recall_reaches_a_kept_unit_page_within_the_recheck(app, client, lot):
    app.config["PUBLIC_PAGE_RECHECK_SECONDS"] = 0.5
    unit = f"{lot['url']}/21/{lot['serials'][2]}"
    assert "đã bị thu hồi" not in scan(client, unit).get_data(as_text=True)
    with app.app_context():
        from traceability.accounts.models import Organisation, User
        from traceability.lots.recalls import open_recall

        org = db.session.get(Organisation, lot["org_id"])
        manager = db.session.scalar(sa.select(User).where(User.phone == "0988888888"))
        open_recall(org, manager, lot_code=lot["code"], reason="Kiểm tra", opened_on=days_ago(0))
        db.session.commit()
    time.sleep(0.6)
    page = scan(client, unit, "10.4.0.2").get_data(as_text=True)
    assert "đã bị thu hồi" in page and lot["serials"][2] in page


def test_a_code_once_kept_still_walks_up_when_its_unit_is_not_a_unit(app, client, lot):
    scan(client, f"{lot['url']}/21/{lot['serials'][3]}")
    walked = scan(client, f"{lot['url']}/21/NEVERPRINTED")
    assert walked.status_code == 200 and walked.headers["Cache-Control"] == "no-store"
    assert "NEVERPRINTED" in walked.get_data(as_text=True)
    assert written_scans(app) == 1  # a serial never printed is not a unit: nothing to count
