"""The contract a phone that recorded offline relies on, kept by the server for every field record:
the phone's UUID is the record's identity in its organisation; the same record again writes nothing;
other content under it is 409 with the stored answer; parallel resends write once; refusals say why;
the time it was saved on the phone is when it was recorded.

Sent as the phone sends them: the member's signed-in session, ``X-Requested-With`` and
``X-Organisation`` set (``static/js/outbox.js``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from io import BytesIO

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.concurrency import all_at_once
from tests.conftest import login
from tests.factories import days_ago, make_household, make_org, make_planting, make_plot, make_user, make_village
from traceability.accounts.models import Membership, Role
from traceability.api.models import IdempotentRequest
from traceability.events import chain
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.models import InputApplication, Planting
from traceability.farm.services import permitted
from traceability.lots.models import Lot
from traceability.photos.models import Photo

PARALLEL = 20


@pytest.fixture
def field(app):
    with app.app_context():
        org = make_org("tay-hoang")
        member = make_user(org, Role.MEMBER, login="0987000003")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        village = make_village(org, "Tây Hoàng")
        own, other = make_household(org, village, "Trần Thị Bé"), make_household(org, village, "Lê Văn Tư")
        db.session.scalar(sa.select(Membership).where(Membership.user_id == member.id)).household_id = own.id
        plot = make_plot(org, village, own, code="A3", area="2000")
        neighbour = make_plot(org, village, other, code="B1", area="1000")
        planting = make_planting(org, manager, plot, sown_days_ago=45)
        theirs = make_planting(org, manager, neighbour, sown_days_ago=45)
        permitted.load_default_inputs(org)
        stranger_org = make_org("other")
        db.session.commit()
        return {
            "org": org.id,
            "other_org": stranger_org.id,
            "plot": plot.id,
            "neighbour_plot": neighbour.id,
            "planting": planting.id,
            "theirs": theirs.id,
        }


def phone(app, field, login_name="0987000003"):
    """A client signed in as the member, sending as the outbox does."""
    client = app.test_client()
    assert login(client, login_name).status_code == 302
    headers = {"X-Requested-With": "outbox", "X-Organisation": str(field["org"])}

    def send(method, path, json=None, data=None, **extra):
        return client.open(f"/api/v1{path}", method=method, json=json, data=data, headers={**headers, **extra})

    send.client = client
    return send


def saved(days: int = 0, hours: float = 0) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days, hours=hours)
    return moment.astimezone(dt.timezone(dt.timedelta(hours=7))).isoformat(timespec="seconds")


def jpeg(colour=(30, 120, 40), size=(64, 48)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


RECORDS = {
    # kind: (method, path, body) for a first send; the path may name the planting by its id
    "planting": lambda f: ("POST", "/plantings", {"plot_id": f["plot"], "sown_on": days_ago(1).isoformat()}),
    "spray": lambda f: (
        "POST",
        f"/plantings/{f['planting']}/inputs",
        {"applied_on": days_ago(3).isoformat(), "trade_name": "Emagold 6.5EC", "dose": "20"},
    ),
    "fertiliser": lambda f: (
        "POST",
        f"/plantings/{f['planting']}/inputs",
        {"applied_on": days_ago(2).isoformat(), "trade_name": "NPK 16-16-8", "kind": "fertiliser", "dose": "5"},
    ),
    "harvest": lambda f: (
        "POST",
        "/harvests",
        {"planting_id": f["planting"], "harvested_on": days_ago(0).isoformat(), "quantity_kg": "42.5"},
    ),
}


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_the_same_record_again_writes_nothing_and_other_content_is_a_conflict(app, field, kind):
    send = phone(app, field)
    method, path, body = RECORDS[kind](field)
    body = {**body, "uuid": str(uuid.uuid4()), "saved_at": saved(hours=2)}
    first = send(method, path, body)
    assert first.status_code == 201, first.json
    events = count(app, Event)

    again = send(method, path, {**body})
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    reordered = dict(reversed(list(body.items())))  # the same content, its fields in another order
    assert send(method, path, reordered).json == first.json
    assert count(app, Event) == events  # no second event in the hash chain

    changed = {**body, "saved_at": saved(hours=1)}  # edited on the phone after it was first sent
    conflict = send(method, path, changed)
    assert conflict.status_code == 409 and conflict.json["error"]["code"] == "conflict"
    assert conflict.json["error"]["stored"] == first.json  # the stored version, for the phone to show beside its own
    assert count(app, Event) == events
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.uuid == body["uuid"]))
        assert event.organisation_id == field["org"] and event.saved_at is not None and not event.late
        assert chain.verify(field["org"]).ok


@pytest.mark.parametrize("kind", ["spray", "harvest", "photo"])
def test_parallel_resends_of_one_record_write_it_once(app, field, kind):
    """A weak signal: the phone's sends time out and it resends; twenty copies arrive at once."""
    record = str(uuid.uuid4())
    photo = str(uuid.uuid4())
    if kind == "photo":
        spray = RECORDS["spray"](field)
        assert phone(app, field)(spray[0], spray[1], {**spray[2], "uuid": record}).status_code == 201
        method, path, body, data = "PUT", f"/records/{record}/photos/{photo}", None, jpeg()
    else:
        method, path, body = RECORDS[kind](field)
        body, data = {**body, "uuid": record, "saved_at": saved(hours=1)}, None
    senders = [phone(app, field) for _ in range(PARALLEL)]
    before = count(app, Event), count(app, Photo)

    def resend(_i, send):
        extra = {"Content-Type": "image/jpeg"} if data else {}
        response = send(method, path, body, data=data, **extra)
        return response.status_code, response.get_data(as_text=True)

    answers = all_at_once(PARALLEL, resend, prepare=senders.__getitem__)

    assert {status for status, _ in answers} == {201}, answers
    assert len({text for _, text in answers}) == 1  # every copy answered as the one written
    written = (count(app, Event) - before[0], count(app, Photo) - before[1])
    assert written == ((0, 1) if kind == "photo" else (1, 0))
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(IdempotentRequest.key == (photo if kind == "photo" else record))
            )
            == 1
        )
        assert chain.verify(field["org"]).ok


def test_records_made_offline_refer_to_each_other_by_uuid_and_photos_follow(app, field):
    """A season started offline, sprayed and harvested offline, a photo of the harvest: sent in order."""
    send = phone(app, field)
    season, spray, harvest, photo = (str(uuid.uuid4()) for _ in range(4))
    started = send(
        "POST", "/plantings", {"uuid": season, "plot_id": field["plot"], "sown_on": days_ago(20).isoformat()}
    )
    assert started.status_code == 201
    sprayed = send(
        "POST",
        f"/plantings/{season}/inputs",
        {"uuid": spray, "applied_on": days_ago(15).isoformat(), "trade_name": "Emagold 6.5EC"},
    )
    assert sprayed.status_code == 201 and sprayed.json["id"]
    lot = send("POST", "/harvests", {"uuid": harvest, "planting_uuid": season, "quantity_kg": 12})
    assert lot.status_code == 201 and lot.json["plot"] == "A3"

    first = send("PUT", f"/records/{harvest}/photos/{photo}", data=jpeg(), **{"Content-Type": "image/jpeg"})
    assert first.status_code == 201 and first.json["record"] == harvest
    again = send("PUT", f"/records/{harvest}/photos/{photo}", data=jpeg(), **{"Content-Type": "image/jpeg"})
    assert again.json == first.json  # resending a photo already received is harmless
    other = send("PUT", f"/records/{harvest}/photos/{photo}", data=jpeg((200, 0, 0)), **{"Content-Type": "image/jpeg"})
    assert other.status_code == 409
    with app.app_context():
        stored = db.session.scalars(sa.select(Photo).where(Photo.uuid == photo)).all()
        event = db.session.scalar(sa.select(Event).where(Event.uuid == harvest))
        assert len(stored) == 1 and stored[0].event_id == event.id
        planting = db.session.get(Planting, started.json["id"])
        assert db.session.scalar(sa.select(Lot.planting_id).where(Lot.code == lot.json["code"])) == planting.id
    early = send("PUT", f"/records/{uuid.uuid4()}/photos/{uuid.uuid4()}", data=jpeg(), **{"Content-Type": "image/jpeg"})
    assert early.status_code == 404 and "record" in early.json["error"]["message"].lower() or early.json


def test_a_week_offline_is_not_late_and_a_wrong_clock_is_flagged(app, field):
    send = phone(app, field)

    def spray(applied: int, saved_at: str | None):
        body = {"uuid": str(uuid.uuid4()), "applied_on": days_ago(applied).isoformat(), "trade_name": "NPK 16-16-8"}
        body |= {"kind": "fertiliser"} | ({"saved_at": saved_at} if saved_at else {})
        assert send("POST", f"/plantings/{field['planting']}/inputs", body).status_code == 201
        with app.app_context():
            return db.session.scalar(sa.select(Event).where(Event.uuid == body["uuid"]))

    honest = spray(9, saved(days=9, hours=-1))  # saved in the field the day it was done, sent nine days later
    assert not honest.late and not honest.clock_suspect and honest.saved_at < honest.recorded_at
    typed_late = spray(9, None)  # typed in today, nine days after
    assert typed_late.late
    future = spray(9, saved(days=-3))  # the phone's clock says three days from now
    assert future.clock_suspect and future.late  # not trusted: lateness judged from the receipt
    before_deed = spray(2, saved(days=5))  # saved before the day it says it happened
    assert before_deed.clock_suspect
    with app.app_context():
        assert chain.verify(field["org"]).ok


def test_refusals_say_why_in_the_members_language_and_write_nothing(app, field):
    send = phone(app, field)
    events = count(app, Event)
    spray = send(
        "POST",
        f"/plantings/{field['planting']}/inputs",
        {"uuid": str(uuid.uuid4()), "applied_on": days_ago(1).isoformat(), "trade_name": "Emagold 6.5EC"},
    )
    earliest = days_ago(1) + dt.timedelta(days=6)
    body = {"uuid": str(uuid.uuid4()), "planting_id": field["planting"], "quantity_kg": 10}
    refused = send("POST", "/harvests", body)
    assert spray.status_code == 201 and refused.status_code == 422
    assert (
        refused.json["error"]["field"] == "harvested_on" and f"{earliest:%d/%m/%Y}" in refused.json["error"]["message"]
    )
    assert "thu hoạch" in refused.json["error"]["message"].lower()  # Vietnamese first
    # Fixed on the phone (a date after the interval is not possible today), it is refused again the same way:
    assert send("POST", "/harvests", body).status_code == 422
    assert count(app, Event) == events + 1 and count(app, IdempotentRequest) == 1  # refusals are not remembered

    neighbours = send(
        "POST", "/harvests", {"uuid": str(uuid.uuid4()), "planting_id": field["theirs"], "quantity_kg": 5}
    )
    assert neighbours.status_code == 422 and "hộ khác" in neighbours.json["error"]["message"]
    on_their_plot = send("POST", "/plantings", {"plot_id": field["neighbour_plot"], "sown_on": days_ago(1).isoformat()})
    assert on_their_plot.status_code == 422 and on_their_plot.json["error"]["field"] == "plot_id"

    not_uuid = send("POST", "/harvests", {**body, "uuid": "not-a-uuid"})
    assert not_uuid.status_code == 400 and not_uuid.json["error"]["field"] == "uuid"
    bad_clock = send("POST", "/harvests", {**body, "saved_at": "1970-01-01T00:00:00Z"})
    assert bad_clock.status_code == 400 and bad_clock.json["error"]["field"] == "saved_at"
    naive = send("POST", "/harvests", {**body, "saved_at": "2026-12-01T08:00:00"})
    assert naive.status_code == 400 and naive.json["error"]["field"] == "saved_at"
    huge = send("POST", "/harvests", {**body, "grade": "x" * 300_000})
    assert huge.status_code == 400 and huge.json["error"]["message"]
    record = spray.json and str(uuid.uuid4())
    not_image = send(
        "PUT", f"/records/{record}/photos/{uuid.uuid4()}", data=b"<html>", **{"Content-Type": "image/jpeg"}
    )
    assert not_image.status_code == 404  # no such record yet
    with app.app_context():
        sprayed = db.session.scalar(
            sa.select(Event.uuid).where(Event.kind == "input_application", Event.uuid.is_not(None))
        )
    not_image = send(
        "PUT", f"/records/{sprayed}/photos/{uuid.uuid4()}", data=b"<html>", **{"Content-Type": "image/jpeg"}
    )
    assert not_image.status_code == 422 and not_image.json["error"]["message"] == "Tệp này không phải là ảnh."
    bad_photo_id = send("PUT", f"/records/{sprayed}/photos/nope", data=jpeg(), **{"Content-Type": "image/jpeg"})
    assert bad_photo_id.status_code == 400 and bad_photo_id.json["error"]["field"] == "photo"
    assert count(app, Event) == events + 1 and count(app, Photo) == 0


def test_the_session_may_expire_and_another_site_cannot_send(app, field):
    send = phone(app, field)
    body = {"uuid": str(uuid.uuid4()), "planting_id": field["planting"], "quantity_kg": 3}
    assert send.client.post("/api/v1/harvests", json=body).status_code == 401  # no X-Requested-With: not the phone
    other = send("POST", "/harvests", body, **{"X-Organisation": str(field["other_org"])})
    assert other.status_code == 403 and other.json["error"]["message"]
    with send.client.session_transaction() as session:
        session.clear()  # the session expired while the phone was offline
    expired = send("POST", "/harvests", body)
    assert expired.status_code == 401 and expired.json["error"]["code"] == "login_required"
    assert count(app, Lot) == 0 and count(app, InputApplication) == 0


def test_the_lists_a_member_records_from(app, field):
    lists = phone(app, field)("GET", "/field").json
    assert [p["code"] for p in lists["plots"]] == ["A3"]  # her household's plot, not the neighbour's
    assert [p["id"] for p in lists["plantings"]] == [field["planting"]]
    emagold = next(p for p in lists["products"] if p["trade_name"] == "Emagold 6.5EC")
    assert emagold["phi_days"] == 6 and emagold["kind"] == "plant_protection"
    manager = phone(app, field, "0911111111")("GET", "/field").json
    assert {p["id"] for p in manager["plantings"]} == {field["planting"], field["theirs"]}
    assert len(manager["households"]) == 2
