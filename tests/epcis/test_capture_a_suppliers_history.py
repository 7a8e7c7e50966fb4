"""EPCIS capture: a supplier's document is stored all or nothing, each event once, queried back by partners and
shown on the trace page and the buyer's page as the supplier's own record."""

from __future__ import annotations

import copy
import json

import sqlalchemy as sa

from tests.concurrency import all_at_once
from tests.conftest import login
from tests.epcis.conftest import NEIGHBOUR_GTIN, STARCH_GTIN, SUPPLIER_GTIN, THEIR_LOT, query_events, supplier_document
from traceability.epcis.models import EpcisCapture, EpcisEvent, EpcisSharing, Origin, PublicEvents
from traceability.extensions import db


def _capture(partners, document, **kwargs):
    response = partners("POST", "/capture", document, **kwargs)
    assert response.status_code == 202, response.get_data(as_text=True)
    job = partners("GET", response.headers["Location"].removeprefix("/epcis"))
    assert job.status_code == 200 and job.json["running"] is False
    return job.json


def _supplier_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(EpcisEvent.origin == Origin.SUPPLIER))


def test_captured_then_queried_back_and_shown_on_the_trace_and_the_buyers_page(app, partners):
    job = _capture(partners, supplier_document())
    assert (job["success"], job["eventsInDocument"], job["eventsStored"], job["errors"]) == (True, 3, 3, [])
    assert job["captureErrorBehaviour"] == "rollback"

    # Queried back by the lot as the supplier wrote it (an EPC class URN) and as a Digital Link: one identifier.
    dried = f"https://id.gs1.org/01/{SUPPLIER_GTIN}/10/{THEIR_LOT}"
    by_link = query_events(partners("GET", f"/events?MATCH_anyEPCClass={dried}"))
    by_urn = query_events(partners("GET", f"/events?MATCH_anyEPCClass=urn:epc:class:lgtin:9520123.045670.{THEIR_LOT}"))
    assert [e["bizStep"] for e in by_link] == ["creating_class_instance", "shipping"] and by_urn == by_link
    shipping = by_link[1]
    assert shipping["eventID"].startswith("ni:///sha-256;") and shipping["recordTime"].endswith("Z")
    assert shipping["@context"] == [{"ncc": "https://ncc.example.vn/voc/"}]  # the sender's prefixes travel with it
    single = query_events(partners("GET", "/events/" + shipping["eventID"].replace("?", "%3F")))
    assert single == [shipping]

    # Sent again (a retry, a supplier's nightly resend): nothing new, the job still succeeds.
    again = _capture(partners, supplier_document())
    assert (again["success"], again["eventsStored"]) == (True, 0) and _supplier_rows(app) == 3

    # The manager's trace of the starch and the buyer's page of the bags both show the supplier's steps.
    login(partners.client, "0988888888")
    with app.app_context():
        from traceability.lots.models import Lot

        starch_id = db.session.scalar(sa.select(Lot.id).where(Lot.code == partners.ids["starch"]))
    page = partners.client.get(f"/lots/{starch_id}/trace").get_data(as_text=True)
    assert "Từ nhà cung cấp" in page and "Đã giao đi" in page and page.count("Đã sản xuất") == 1
    public = partners.client.get(f"/01/{STARCH_GTIN}/10/{partners.ids['bags']}").get_data(as_text=True)
    assert "Từ nhà cung cấp" in public and "Đã giao đi" in public
    assert "ncc.example.vn" not in public  # the supplier's data is told, not dumped


def test_a_document_with_any_bad_event_stores_nothing_and_names_each_error(app, partners):
    document = supplier_document()
    events = document["epcisBody"]["eventList"]
    events[0]["bizStep"] = "harvesting"  # not a CBV word, not a URI
    events[1]["outputQuantityList"][0]["quantity"] = "200 kg"  # a quantity as text
    del events[2]["eventTimeZoneOffset"]
    job = _capture(partners, document)
    assert job["success"] is False and job["eventsStored"] == 0 and _supplier_rows(app) == 0
    assert {e["eventIndex"] for e in job["errors"]} == {0, 1, 2}
    assert all(e["type"] == "epcisException:ValidationException" and e["title"] for e in job["errors"])
    assert any("bizStep" in e["pointer"] for e in job["errors"] if e["eventIndex"] == 0)


def test_times_no_event_can_have_happened_at_are_refused(app, partners):
    document = supplier_document()
    events = document["epcisBody"]["eventList"]
    events[0]["eventTime"] = "9999-12-31T23:59:59-14:00"  # valid RFC 3339, past the calendar in UTC
    events[1]["eventTime"] = "2099-01-01T08:00:00+07:00"  # not yet happened
    events[2]["recordTime"] = "1999-12-31T23:00:00Z"
    job = _capture(partners, document)
    assert job["success"] is False and {e["eventIndex"] for e in job["errors"]} == {0, 1, 2}
    assert _supplier_rows(app) == 0


def test_a_supplier_cannot_write_the_history_of_our_lots_or_a_neighbours(app, partners):
    ours = copy.deepcopy(supplier_document())
    ours["epcisBody"]["eventList"][2]["quantityList"][0]["epcClass"] = f"https://id.gs1.org/01/{STARCH_GTIN}/10/X1"
    job = _capture(partners, ours)
    assert job["success"] is False and "lô của chính đơn vị bạn" in json.dumps(job["errors"], ensure_ascii=False)
    theirs = copy.deepcopy(supplier_document())
    theirs["epcisBody"]["eventList"][0]["quantityList"][0]["epcClass"] = f"https://example.vn/01/{NEIGHBOUR_GTIN}/10/D1"
    job = _capture(partners, theirs)
    assert job["success"] is False and job["errors"][0]["eventIndex"] == 0
    assert "thuộc một tổ chức khác" in job["errors"][0]["title"]
    english = _capture(partners, theirs, headers={"Accept-Language": "en"})  # an integrator may ask for English
    assert "belongs to another organisation" in english["errors"][0]["title"]
    assert _supplier_rows(app) == 0


def test_capture_refuses_what_it_cannot_take(app, partners):
    big = supplier_document()
    big["epcisBody"]["eventList"] = big["epcisBody"]["eventList"][:1] * 1001
    refused = partners("POST", "/capture", big)
    assert refused.status_code == 413 and refused.mimetype == "application/problem+json"
    assert refused.json["type"] == "epcisException:CaptureLimitExceededException"
    assert refused.headers["GS1-EPCIS-Capture-Limit"] == "1000"
    not_json = partners("POST", "/capture", data=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json["type"] == "epcisException:ValidationException"
    as_text = partners("POST", "/capture", data=b"<EPCISDocument/>", headers={"Content-Type": "application/xml"})
    assert as_text.status_code == 415
    proceed = partners("POST", "/capture", supplier_document(), headers={"GS1-Capture-Error-Behaviour": "proceed"})
    assert proceed.status_code == 400 and "rollback" in proceed.json["title"]
    assert partners("POST", "/capture", supplier_document(), token=None).status_code == 401
    assert partners("POST", "/capture", supplier_document(), token=partners.member_token).status_code == 403
    assert partners("POST", "/capture", [1, 2]).status_code == 202  # a job that says why
    with app.app_context():
        job = db.session.scalars(sa.select(EpcisCapture).order_by(EpcisCapture.id.desc())).first()
        assert job.errors and job.stored == 0
    assert _supplier_rows(app) == 0


def test_capture_jobs_are_the_organisations_own(partners):
    location = partners("POST", "/capture", supplier_document()).headers["Location"].removeprefix("/epcis")
    assert partners("GET", location, token=partners.neighbour_token).status_code == 404
    assert partners("GET", "/capture/999999").status_code == 404
    assert partners("GET", "/capture/not-a-number").status_code == 404
    listed = partners("GET", "/capture")
    assert listed.status_code == 200 and len(listed.json["captureJobs"]) == 1


def _nested(levels: int):
    value = "x"
    for _ in range(levels):
        value = {"ncc:a": value}
    return value


def test_bodies_no_check_can_read_are_400_and_store_nothing(app, partners):
    headers = {"Content-Type": "application/json"}
    deep = supplier_document()
    deep["epcisBody"]["eventList"][0]["ilmd"] = _nested(900)  # under json's limit, over any check's recursion
    nul = supplier_document()
    nul["epcisBody"]["eventList"][0]["ncc:note"] = "a\x00b"
    for body in (json.dumps(deep), json.dumps(nul), json.dumps(supplier_document()).replace('"VN"', '"\\ud800"')):
        refused = partners("POST", "/capture", data=body.encode(), headers=headers)
        assert refused.status_code == 400 and refused.json["type"] == "epcisException:ValidationException"
    assert _supplier_rows(app) == 0
    for query in ("MATCH_epc=%00", "EQ_bizStep=%01shipping", "MATCH_anyEPC=" + "a" * 5000):
        assert partners("GET", f"/events?{query}").status_code == 400


def test_managers_see_what_suppliers_sent_and_the_administrator_chooses_what_is_shared(app, partners):
    document = supplier_document()
    document["epcisBody"]["eventList"][1]["bizStep"] = "drying"
    _capture(partners, document)
    _capture(partners, supplier_document())
    with app.app_context():
        from tests.factories import make_user
        from traceability.accounts.models import Organisation, Role

        make_user(db.session.get(Organisation, partners.ids["org"]), Role.ADMIN, login="0977777777")
        db.session.commit()
    client = partners.client
    login(client, "0988888888")  # the manager: reads, cannot change what is shared
    page = client.get("/partners").get_data(as_text=True)
    assert "Bị từ chối: không lưu gì" in page and "Sự kiện 2:" in page and "3 sự kiện mới" in page
    assert 'name="public"' not in page and client.post("/partners", data={"public": "lots"}).status_code == 403
    client.post("/logout")
    login(client, "0977777777")
    assert client.post("/partners", data={"public": "lots"}).status_code == 302
    assert client.post("/partners", data={"public": "everything"}).status_code == 200  # not a choice: the form again
    with app.app_context():
        assert db.session.get(EpcisSharing, partners.ids["org"]).public is PublicEvents.LOTS


def test_the_same_document_sent_many_times_at_once_is_stored_once(app, partners):
    """A supplier's system retrying on a timeout: every copy arrives together, each finds the events missing,
    and each answers 202; the events are stored once (the insert skips what a parallel copy stored)."""
    document = supplier_document()
    assert partners("GET", "/capture").status_code == 200  # the token's use noted (hourly) before the rush

    def send(_n, _prepared):
        response = app.test_client().post(
            "/epcis/capture", json=document, headers={"Authorization": f"Bearer {partners.token}"}
        )
        return response.status_code

    statuses = all_at_once(12, send)
    assert statuses == [202] * 12
    with app.app_context():
        stored = db.session.scalars(sa.select(EpcisCapture.stored)).all()
        assert sorted(stored) == [0] * 11 + [3]  # every job succeeded; one of them stored the three events
    assert _supplier_rows(app) == 3
    # Each event's identifiers were stored once, with the row that was kept.
    by_link = query_events(
        partners("GET", f"/events?MATCH_anyEPCClass=https://id.gs1.org/01/{SUPPLIER_GTIN}/10/{THEIR_LOT}")
    )
    assert len(by_link) == 2
