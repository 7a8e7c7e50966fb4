"""Scans of a unit's serial: counted once per phone, guarded against pumping, and a label that looks
copied (scanned too often, or in provinces far apart) warned of on its page and on the dashboard."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import PHONE, make_bagged_lot, scan, written_scans
from traceability.extensions import db
from traceability.scans.models import UnitScan


@pytest.fixture
def lot(app):
    with app.app_context():
        return make_bagged_lot()


def test_scans_are_counted_once_per_phone_and_shown(app, client, lot):
    unit = f"{lot['url']}/21/{lot['serials'][0]}"
    first = scan(client, unit)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    assert "Số lần quét: 1" in first.get_data(as_text=True)  # counting this scan, still in the spool
    written_scans(app)
    assert "Số lần quét: 1" in scan(client, unit).get_data(as_text=True)  # the same phone again: not counted
    other = scan(client, unit, "10.0.0.2", **{"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1"})
    assert "Số lần quét: 2" in other.get_data(as_text=True)
    assert written_scans(app) == 2
    with app.app_context():
        scans = db.session.scalars(sa.select(UnitScan).order_by(UnitScan.id)).all()
    assert [s.agent for s in scans] == ["Zalo · Android", "Safari · iOS"]
    assert all("10.0.0.2" not in (s.client + s.agent) and "127.0.0.1" not in s.client for s in scans)


def test_one_phone_cannot_pump_the_counters(app, client, lot):
    app.config["SCAN_CLIENT_PER_HOUR"] = 3
    app.config["SCAN_REPEAT_MINUTES"] = 0
    unit = f"{lot['url']}/21/{lot['serials'][0]}"
    for _ in range(10):
        scan(client, unit)
    assert written_scans(app) == 3


def test_a_unit_scanned_too_often_warns_and_reaches_the_dashboard(app, client, lot):
    app.config["SCAN_ALERT_COUNT"] = 3
    unit = f"{lot['url']}/21/{lot['serials'][1]}"
    for n in range(4):
        page = scan(client, unit, f"10.0.1.{n}")
        written_scans(app)
    assert "có thể đã bị sao chép" in page.get_data(as_text=True)
    assert "có thể đã bị sao chép" not in scan(client, f"{lot['url']}/21/{lot['serials'][2]}").get_data(as_text=True)
    login(client, "0988888888")
    dashboard = client.get("/").get_data(as_text=True)
    assert lot["serials"][1] in dashboard and lot["serials"][2] not in dashboard


def test_provinces_far_apart_warn_only_with_the_buyers_consent(app, client, lot):
    unit = f"{lot['url']}/21/{lot['serials'][3]}"
    for address, province in (("10.0.2.1", "ha-noi"), ("10.0.2.2", "ho-chi-minh")):
        scan(client, unit, address)
        told = client.post(f"{unit}/place", data={"province": province}, environ_base={"REMOTE_ADDR": address})
        assert told.status_code == 303
    page = scan(client, unit, "10.0.2.1").get_data(as_text=True)
    assert "có thể đã bị sao chép" in page and re.search(r"cách nhau 1[.\d]* km", page)
    # Without a scan first, a "place" is not taken; and a province not on the list is refused.
    client.post(f"{unit}/place", data={"province": "ha-noi"}, environ_base={"REMOTE_ADDR": "10.0.9.9"})
    client.post(f"{unit}/place", data={"province": "atlantis"}, environ_base={"REMOTE_ADDR": "10.0.2.1"})
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(UnitScan.province))) == ["ha-noi", "ho-chi-minh"]


def test_place_form_keeps_csrf(app, lot):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    unit = f"{lot['url']}/21/{lot['serials'][0]}"
    assert client.get(unit).headers.get("Set-Cookie") is None  # a scan sets no cookie: the form is a page apart
    page = client.get(f"{unit}/place").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert client.post(f"{unit}/place", data={"province": "ha-noi"}).status_code == 400


def test_dates_of_the_scan_are_local(app, client, lot):
    unit = f"{lot['url']}/21/{lot['serials'][4]}"
    page = scan(client, unit).get_data(as_text=True)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    assert f"{today:%d/%m/%Y}" in page


def test_a_changing_browser_name_or_a_crowd_cannot_pump_a_serial(app, client, lot):
    unit = f"{lot['url']}/21/{lot['serials'][1]}"
    for n in range(5):  # one address posing as five phones
        scan(client, unit, **{"User-Agent": f"{PHONE} Phone/{n}"})
    client.head(unit, headers={"User-Agent": PHONE})
    assert written_scans(app) == 1
    app.config["SCAN_UNIT_PER_HOUR"] = 3
    for n in range(6):  # a crowd of addresses
        scan(client, unit, f"10.9.0.{n}")
    assert written_scans(app) == 3
