"""The EPCIS 2.0 query interface: discovery, the standard filters, paging that returns each event once while
events are being added, what is shared without a token, and GS1's error shape for every bad parameter."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from tests.epcis.conftest import STARCH_GTIN, query_events, supplier_document
from traceability.epcis.models import EpcisEvent, EpcisSharing, Origin, PublicEvents
from traceability.extensions import db


def test_discovery_says_what_the_repository_speaks(partners):
    for path in ("", "/", "/events", "/eventTypes", "/capture"):
        response = partners("OPTIONS", path, token=None)
        assert response.status_code == 204 and response.get_data() == b""
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0" and response.headers["GS1-CBV-Version"] == "2.0.0"
        assert "GET" in response.headers["Allow"]
    assert "POST" in partners("OPTIONS", "/capture").headers["Allow"]
    assert partners("OPTIONS", "").headers["GS1-EPCIS-Capture-Limit"] == "1000"
    types = partners("GET", "/eventTypes").json
    assert types["type"] == "Collection" and "TransformationEvent" in types["member"]
    assert partners("GET", "/events", headers={"GS1-EPCIS-Min": "3.0"}).status_code == 406
    assert partners("GET", "/events", headers={"GS1-EPC-Format": "Always_EPC_URN"}).status_code == 406
    assert partners("GET", "/events", headers={"Accept": "application/xml"}).status_code == 406


def test_the_standard_filters_find_our_own_events(partners):
    everything = query_events(partners("GET", "/events?perPage=100"))
    kinds = [(e["type"], e.get("bizStep")) for e in everything]
    assert kinds == [
        ("ObjectEvent", "receiving"),
        ("TransformationEvent", "creating_class_instance"),
        ("TransformationEvent", "packing"),
        ("ObjectEvent", "shipping"),
    ]
    bags = f"https://id.gs1.org/01/{STARCH_GTIN}/10/{partners.ids['bags']}"
    # The bags' own history: packed, then sold. Asked by the canonical link or by our own label's domain.
    by_class = query_events(partners("GET", f"/events?MATCH_anyEPCClass={bags}"))
    assert [e["bizStep"] for e in by_class] == ["packing", "shipping"]
    label = everything[3]["quantityList"][0]["epcClass"]
    assert (
        not label.startswith("https://id.gs1.org")
        and query_events(partners("GET", f"/events?MATCH_anyEPCClass={label}")) == by_class
    )
    assert [e["bizStep"] for e in query_events(partners("GET", f"/events?MATCH_epcClass={bags}"))] == ["shipping"]
    assert [e["bizStep"] for e in query_events(partners("GET", f"/events?MATCH_outputEPCClass={bags}"))] == ["packing"]
    assert len(query_events(partners("GET", "/events?eventType=TransformationEvent"))) == 2
    assert len(query_events(partners("GET", "/events?eventType=ObjectEvent|TransformationEvent"))) == 4
    assert [
        e["bizStep"]
        for e in query_events(partners("GET", "/events?EQ_bizStep=https://ref.gs1.org/cbv/BizStep-shipping"))
    ] == ["shipping"]
    location = everything[0]["bizLocation"]["id"]
    assert len(query_events(partners("GET", "/events", query_string={"EQ_bizLocation": location}))) == 4
    day = everything[2]["eventTime"][:10]
    window = {"GE_eventTime": f"{day}T00:00:00+07:00", "LT_eventTime": f"{day}T23:59:59+07:00"}
    assert [e["bizStep"] for e in query_events(partners("GET", "/events", query_string=window))] == ["packing"]
    assert query_events(partners("GET", "/events", query_string={"GE_recordTime": "2999-01-01T00:00:00Z"})) == []
    one = everything[1]["eventID"]
    assert query_events(partners("GET", "/events", query_string={"EQ_eventID": one})) == [everything[1]]
    assert query_events(partners("GET", f"/events/{one.replace('?', '%3F')}")) == [everything[1]]
    assert query_events(partners("GET", f"/events/{one}")) == [everything[1]]  # its "?ver=" left unencoded


def test_each_organisation_reads_its_own_events_and_shares_only_what_it_chose(app, partners):
    assert query_events(partners("GET", "/events", token=partners.neighbour_token)) == []
    unshared = partners.client.get(f"/01/{STARCH_GTIN}/10/{partners.ids['bags']}?linkType=linkset").json
    assert "https://gs1.org/voc/epcis" not in unshared["linkset"][0]
    everything = query_events(partners("GET", "/events"))
    assert (
        partners(
            "GET", f"/events/{everything[0]['eventID'].replace('?', '%3F')}", token=partners.neighbour_token
        ).status_code
        == 404
    )
    assert query_events(partners("GET", "/events", token=None)) == []  # nothing is public until a manager says so
    with app.app_context():
        db.session.add(EpcisSharing(organisation_id=partners.ids["org"], public=PublicEvents.LOTS))
        db.session.commit()
    app.config["PUBLIC_PAGE_RECHECK_SECONDS"] = 0  # the kept linkset is checked now, not up to 5 s later
    shared = query_events(partners("GET", "/events", token=None))
    # What the lots' public pages tell: processing and packing. Not the purchase (the supplier), not the sale (the buyer).
    assert [e["bizStep"] for e in shared] == ["creating_class_instance", "packing"]
    partners("POST", "/capture", supplier_document())
    assert len(query_events(partners("GET", "/events", token=None))) == 2  # a supplier's events are theirs to share
    # The lot's linkset now offers gs1:epcis, which anyone can follow to the lot's shared events.
    linkset = partners.client.get(f"/01/{STARCH_GTIN}/10/{partners.ids['bags']}?linkType=linkset").json
    (epcis_link,) = linkset["linkset"][0]["https://gs1.org/voc/epcis"]
    followed = query_events(partners.client.get(epcis_link["href"].removeprefix(app.config["PUBLIC_BASE_URL"])))
    assert [e["bizStep"] for e in followed] == ["packing"]
    assert partners("GET", "/events", token="tx_forged").status_code == 401


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("perPage=abc", "perPage"),
        ("perPage=0", "perPage"),
        ("perPage=-5", "perPage"),
        ("GE_eventTime=yesterday", "GE_eventTime"),
        ("LT_recordTime=2026-13-45T00:00:00Z", "LT_recordTime"),
        ("GE_eventTime=2026-06-01T00:00:00", "GE_eventTime"),  # no time zone: which day?
        ("GE_eventTime=9999-12-31T23:59:59-14:00", "GE_eventTime"),  # past the calendar once in UTC
        ("EQ_bizStep=", "EQ_bizStep"),
        ("eventType=ObjectEvent||", "eventType"),
        ("nextPageToken=not-a-token", "nextPageToken"),
        ("EQ_quantity=5", "EQ_quantity"),  # a standard parameter this repository does not offer
        ("color=red", "color"),
    ],
)
def test_a_bad_parameter_is_a_400_in_gs1s_shape(partners, query, parameter):
    response = partners("GET", f"/events?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    body = response.json
    assert body["type"] == "epcisException:QueryParameterException" and body["status"] == 400
    assert body["parameter"] == parameter and body["title"]


def test_a_page_token_is_for_the_query_it_came_from(partners):
    first = partners("GET", "/events?perPage=1&eventType=TransformationEvent")
    token = parse_qs(urlsplit(re.match(r"<([^>]+)>", first.headers["Link"]).group(1)).query)["nextPageToken"][0]
    elsewhere = partners("GET", f"/events?perPage=1&eventType=ObjectEvent&nextPageToken={token}")
    assert elsewhere.status_code == 400 and elsewhere.json["parameter"] == "nextPageToken"


def _next(link: str | None) -> str | None:
    if not link:
        return None
    url = urlsplit(re.match(r'<([^>]+)>; rel="next"', link).group(1))
    return f"{url.path.removeprefix('/epcis')}?{url.query}"


@pytest.mark.parametrize(
    "path",
    [
        "/events?EQ_bizStep=receiving&perPage=1000",  # in stored order
        "/events?EQ_bizStep=receiving&GE_eventTime=2000-01-01T00:00:00Z&perPage=1000",  # along the time index
    ],
)
def test_paging_over_ten_thousand_events_returns_each_exactly_once_while_more_arrive(app, partners, path):
    moment = dt.datetime(2026, 1, 1, 5, 0)

    def add(first: int, count: int) -> None:
        rows = [
            {
                "organisation_id": partners.ids["org"],
                "origin": Origin.SUPPLIER,
                "event_hash": f"ni:///sha-256;{n:064x}?ver=CBV2.0",
                "event_type": "ObjectEvent",
                "event_time": moment + dt.timedelta(minutes=n),
                "record_time": moment,
                "biz_step": "receiving",
                "public": False,
                "document": {
                    "type": "ObjectEvent",
                    "eventTime": f"{(moment + dt.timedelta(minutes=n)).isoformat()}Z",
                    "eventTimeZoneOffset": "+07:00",
                    "eventID": f"ni:///sha-256;{n:064x}?ver=CBV2.0",
                    "action": "OBSERVE",
                    "bizStep": "receiving",
                    "epcList": [f"https://id.gs1.org/01/09520123456788/21/S{n}"],
                },
            }
            for n in range(first, first + count)
        ]
        with app.app_context():
            db.session.execute(sa.insert(EpcisEvent), rows)
            db.session.commit()

    add(0, 10_000)
    seen, times, pages, by_time = [], [], 0, "eventTime" in path
    while path:
        response = partners("GET", path)
        assert response.status_code == 200
        if pages == 0:
            query_events(response)  # a full page of 1,000 is a valid document too
        page = response.json["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        seen += [e["eventID"] for e in page]
        times += [dt.datetime.fromisoformat(e["eventTime"]) for e in page]
        pages += 1
        if pages == 3:
            add(10_000, 500)  # recorded while the partner is paging: found on a later page, once
        path = _next(response.headers.get("Link"))
        assert pages < 30
    ours = [s for s in seen if not s.startswith("ni:///sha-256;" + "0" * 40)]
    assert len(seen) == len(set(seen)) == 10_501  # 10,500 added and our own purchase
    assert len(ours) == 1 and pages == 11
    if by_time:
        assert times == sorted(times)
