"""Finding a lot among hundreds: by code, product, kind, status and dates, a page at a time, and
odd search values answered with a plain message, never a 500."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import login
from traceability import demo
from traceability.extensions import db
from traceability.lots.models import Lot, LotKind
from traceability.lots.search import PAGE_SIZE


@pytest.fixture
def manager(demo_app, client):
    login(client, "0900000002", demo.DEMO_PASSWORD)
    return client


def _codes(page) -> list[str]:
    return re.findall(r'<h2><a href="/lots/\d+">([^<]+)</a></h2>', page.get_data(as_text=True))


def test_the_list_comes_a_page_at_a_time_newest_first(app, manager):
    with app.app_context():
        org_id = db.session.scalar(sa.select(Lot.organisation_id).where(Lot.code.like("%A1%")))
        total = db.session.scalar(sa.select(sa.func.count(Lot.id)).where(Lot.organisation_id == org_id))
    first = manager.get("/lots")
    assert len(_codes(first)) == PAGE_SIZE and f"Số lô tìm thấy: {total}" in first.get_data(as_text=True)
    last_page = -(-total // PAGE_SIZE)
    last = manager.get(f"/lots?page={last_page}")
    assert len(_codes(last)) == total - PAGE_SIZE * (last_page - 1)
    assert 'rel="prev"' in last.get_data(as_text=True) and 'rel="next"' not in last.get_data(as_text=True)
    everything = {c for n in range(1, last_page + 1) for c in _codes(manager.get(f"/lots?page={n}"))}
    assert len(everything) == total  # no lot on two pages, none missing


def test_filters_narrow_the_list_and_keep_to_the_next_page(app, manager):
    with app.app_context():
        harvest = db.session.scalar(sa.select(Lot).where(Lot.kind == LotKind.HARVEST).order_by(Lot.id))
        code, produced = harvest.code, harvest.produced_on
    found = _codes(manager.get(f"/lots?q={code[-6:].lower()}"))
    assert code in found and all(code[-6:] in c for c in found)
    harvests = manager.get("/lots?kind=harvest")
    with app.app_context():
        kinds = set(db.session.scalars(sa.select(Lot.kind).where(Lot.code.in_(_codes(harvests)))))
    assert kinds == {LotKind.HARVEST}
    page = harvests.get_data(as_text=True)
    if 'rel="next"' in page:
        assert re.search(r'href="/lots\?[^"]*kind=harvest[^"]*page=2', page)  # the filter goes along
    day = produced.isoformat()
    assert code in _codes(manager.get(f"/lots?since={day}&until={day}"))


ODD_QUERIES = [
    "q=%25",
    "q=_",
    "q=" + "X" * 5000,
    "q=%00%FF",
    "page=0",
    "page=-3",
    "page=99999999999999999999",
    "page=abc",
    "kind=nothing",
    "status=%27%3B--",
    "product=abc",
    "product=999999999",
    "since=2026-13-45",
    "since=2026-12-01&until=2026-01-01",
    "since=",
]


def test_odd_searches_get_a_page_never_a_500(manager):
    """One demo for all of them: each is a GET that changes nothing."""
    for query in ODD_QUERIES:
        page = manager.get(f"/lots?{query}")
        assert page.status_code == 200, query
        assert "<form" in page.get_data(as_text=True), query


def test_a_search_matching_nothing_says_so(manager):
    page = manager.get("/lots?q=ZZZZNOTHING").get_data(as_text=True)
    assert "Không có lô nào khớp" in page and "Số lô tìm thấy: 0" in page
    assert "Không đọc được ngày" in manager.get("/lots?since=31/12/2026").get_data(as_text=True)
