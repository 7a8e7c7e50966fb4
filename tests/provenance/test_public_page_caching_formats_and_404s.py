"""The public page a QR opens: cache validators, JSON, constant query count, 404s, static export.

Counting the scans of a unit and the copied-label warnings are in tests/scans/."""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import sqlalchemy as sa

from tests.factories import STARCH_GTIN as GTIN
from tests.factories import (
    days_ago,
    make_bagged_lot,
    make_harvest,
    make_org,
    make_planting,
    make_plot,
    make_user,
    scan,
    written_scans,
)
from traceability.accounts.models import Role
from traceability.extensions import db
from traceability.lots.processing import pack
from traceability.products import services as products

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def lot(app):
    with app.app_context():
        return make_bagged_lot()


def test_revalidation_answers_304_until_the_lot_changes(app, client, lot):
    app.config["PUBLIC_PAGE_RECHECK_SECONDS"] = 0  # a recall shows at once (by default within 5 s)
    first = client.get(lot["url"])
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"] and "Accept" in first.headers["Vary"]
    again = client.get(lot["url"], headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(lot["url"], headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    with app.app_context():
        from traceability.accounts.models import Organisation, User
        from traceability.lots.recalls import open_recall

        org = db.session.get(Organisation, lot["org_id"])
        manager = db.session.scalar(sa.select(User).where(User.phone == "0988888888"))
        open_recall(org, manager, lot_code=lot["code"], reason="Kiểm tra", opened_on=days_ago(0))
        db.session.commit()
    changed = client.get(lot["url"], headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "thu hồi" in changed.get_data(as_text=True)


def test_page_is_light_and_self_contained(client, lot):
    page = client.get(lot["url"])
    html = page.get_data(as_text=True)
    with client.get("/static/css/app.css") as stylesheet:
        css = stylesheet.data
    assert len(page.data) + len(css) < 30 * 1024, (len(page.data), len(css))
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no CDN, no map tiles, no external anything
    assert "<script src" not in html
    photos = re.findall(r'<img src="([^"]+)"[^>]*loading="lazy"', html)
    assert photos and client.get(photos[0]).mimetype == "image/jpeg"


def test_json_and_json_ld(client, lot):
    data = client.get(lot["url"], headers={"Accept": "application/json"}).get_json()
    assert data["lot"]["code"] == lot["code"] and data["product"]["gtin"] == GTIN
    assert [s["kind"] for s in data["journey"]].count("fertiliser") == 2
    assert re.fullmatch(r"[0-9a-f]{64}", data["verification"]["digest"])
    html = client.get(lot["url"]).get_data(as_text=True)
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL).group(1))
    assert ld["@type"] == "Product" and ld["gtin14"] == GTIN and ld["productID"] == lot["code"]
    assert "Nguyễn Văn Quản" not in json.dumps(data, ensure_ascii=False)


STATEMENTS: list[str] = []


def _count_queries(app, client, url) -> int:
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    STATEMENTS[:] = statements
    return len(statements)


def _empty_database() -> None:
    from tests.conftest import _empty_all_tables

    if db.engine.dialect.name == "sqlite":
        db.session.remove()
        db.drop_all()
        db.create_all()
    else:
        _empty_all_tables()


def test_query_count_does_not_grow_with_the_history(app, client):
    """About 10 against over 1,000 recorded events behind the page: the same number of statements."""
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0  # the page as built, not as cached
    app.config["PUBLIC_PAGE_RECHECK_SECONDS"] = 0  # and the unit's counters read each time
    counts = []
    for inputs in (1, 200):  # on each of 5 plots: 5 against 1,000 applications
        with app.app_context():
            _empty_database()
            built = make_bagged_lot(inputs=inputs, harvests=5)
            events = db.session.scalar(sa.text("SELECT count(*) FROM events"))
        client.get(built["url"])  # warm: the first request also loads translations
        unit = f"{built['url']}/21/{built['serials'][0]}"
        counts.append((events, _count_queries(app, client, built["url"]), _count_queries(app, client, unit)))
    (small_events, small_lot, small_unit), (big_events, big_lot, big_unit) = counts
    assert small_events <= 20 and big_events > 1000, counts
    assert small_lot == big_lot and small_unit == big_unit, counts
    print("statements per page (events, lot page, unit page):", counts)
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 300
    app.config["PUBLIC_PAGE_RECHECK_SECONDS"] = 5
    client.get(built["url"])
    _count_queries(app, client, built["url"])
    assert not [q for q in STATEMENTS if q.lstrip().startswith("SELECT")], STATEMENTS  # cached, just checked
    app.config["PUBLIC_PAGE_RECHECK_SECONDS"] = 0
    _count_queries(app, client, built["url"])
    assert [q for q in STATEMENTS if q.lstrip().startswith("SELECT")] == STATEMENTS[-1:], (
        STATEMENTS
    )  # from the cache: the organisation's latest event


@pytest.mark.parametrize(
    "path",
    [
        "/01/ABCDEFGHIJKLMN/10/X",
        "/01/123/10/X",
        f"/01/{GTIN}/10/{'X' * 500}",
        "/01/%E0%A4%A/10/%FF%FE",
        "/01/٠٩٥٢٠١٢٣٠٠٠٠٣٥/10/X",
        f"/01/{GTIN}/10/LOT/foo",
        f"/01/{GTIN}/21/A/10/B",
        "/o/nghe-lai-ha/p/TBN/21/X",
    ],
)
def test_invalid_codes_get_the_400_page(client, lot, path):
    response = client.get(path)
    assert response.status_code == 400 and "không hợp lệ" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/01/09520123999995/10/X", "/01/09520123999995", "/o/no-such-org/p/X/10/Y"])
def test_codes_of_no_product_of_ours_get_the_404_page(client, lot, path):
    response = client.get(path)
    assert response.status_code == 404 and "không có trong hồ sơ" in response.get_data(as_text=True)


def test_unknown_serial_names_the_producer_and_changes_nothing(app, client, lot):
    response = scan(client, f"{lot['url']}/21/ZZZZZZZZZZZZ")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "ZZZZZZZZZZZZ" in page and "Tổ hợp tác tinh bột nghệ Lai Hà" in page
    assert written_scans(app) == 0


def test_fuzzed_paths_never_answer_500(client, lot):
    rng = random.Random(2026)
    alphabet = "0123456789ABCDEFabcdef-_.~%/?#&=+!*'();:@$,[] ệđ\x00\t"
    stems = ["/01/", f"/01/{GTIN}/10/", f"{lot['url']}/21/", "/o/nghe-lai-ha/p/TBN/10/", "/o/"]
    for _ in range(400):
        tail = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        response = client.get(rng.choice(stems) + tail)
        assert response.status_code < 500, (response.status_code, tail)
    # A NUL in any path parameter is refused before a query (PostgreSQL rejects NUL in strings):
    # 404 from the router, 400 from the resolver's parser.
    assert client.get("/api/v1/lots/A%00B").status_code == 404
    for path in (f"/01/{GTIN}/10/A%00B", f"{lot['url']}/21/%00", "/o/a%00/p/X/10/Y"):
        assert client.get(path).status_code == 400, path


def test_static_export_writes_every_page_at_its_path(app, runner, lot, tmp_path):
    out = tmp_path / "site"
    result = runner.invoke(args=["export", "site", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lot_page = out / lot["url"].strip("/") / "index.html"
    html = lot_page.read_text(encoding="utf-8")
    assert "Thu hoạch" in html and lot["code"] in html
    assert "Harvest" in (lot_page.parent / "en" / "index.html").read_text(encoding="utf-8")
    for serial in lot["serials"]:
        unit_page = out / lot["url"].strip("/") / "21" / serial / "index.html"
        assert serial in unit_page.read_text(encoding="utf-8")
    # Every relative link in a page resolves to a file of the export.
    for link in re.findall(r'(?:href|src)="([^"?#]+)"', html):
        target = (lot_page.parent / link).resolve()
        assert target.is_file() or (target / "index.html").is_file(), link
    # Beside each page its linkset (only what a static host serves); the product page; the description.
    linkset = json.loads((lot_page.parent / "linkset.json").read_text(encoding="utf-8"))
    jsonschema.validate(linkset, json.loads((DATA / "gs1-resolver" / "gs1-linkset-schema.json").read_text()))
    assert {urlsplit(e["anchor"]).path for e in linkset["linkset"]} == {lot["url"], f"/01/{GTIN}"}
    assert all(
        "linkType" not in t["href"]
        for e in linkset["linkset"]
        for k, v in e.items()
        if k.startswith("https")
        for t in v
    )
    assert "Tinh bột nghệ Lai Hà" in (out / "01" / GTIN / "index.html").read_text(encoding="utf-8")
    assert "Lots on sale now" in (out / "01" / GTIN / "en" / "index.html").read_text(encoding="utf-8")
    description = json.loads((out / ".well-known" / "gs1resolver").read_text(encoding="utf-8"))
    assert description["supportedPrimaryKeys"] == ["01"]
    assert runner.invoke(args=["export", "site", "-o", str(out), "--org", "nobody"]).exit_code != 0


def test_the_cache_keeps_no_visitor_message_and_no_spoofed_host(app, client, lot):
    unit = f"{lot['url']}/21/{lot['serials'][0]}"
    client.post(f"{unit}/place", data={"province": "atlantis"})  # a flash waits in this visitor's session
    assert "Chọn tỉnh" in client.get(lot["url"]).get_data(as_text=True)
    other = app.test_client()
    assert "Chọn tỉnh" not in other.get(lot["url"]).get_data(as_text=True)
    app.test_client().get(lot["url"], headers={"Host": "evil.example"})
    page = app.test_client().get(lot["url"]).get_data(as_text=True)
    assert "evil.example" not in page and "http://127.0.0.1:5000" + lot["url"] in page


def test_the_organisation_path_needs_the_lots_own_product(app, client):
    with app.app_context():
        org = make_org("thon-x")
        manager = make_user(org, Role.MANAGER)
        harvest = make_harvest(org, manager, make_planting(org, manager, make_plot(org, code="X1")), kg="50")
        products.save_product(
            org, None, code="KQ", name_vi="Khổ qua", kind="fresh", unit="kg", storage_instructions="Mát"
        )
        bags = pack(
            org,
            manager,
            source_lot_code=harvest.code,
            product_code="KQ",
            units=5,
            net_content=Decimal(1),
            net_unit="kg",
            packed_on=days_ago(0),
        )
        db.session.commit()
        code = bags.code
    assert client.get(f"/o/thon-x/p/KQ/10/{code}").status_code == 200
    assert client.get(f"/o/thon-x/p/OTHER/10/{code}").status_code == 404


def test_the_journey_reads_in_the_order_the_work_was_done(app, client, lot):
    """Steps of one day in the order of the work (harvest, processing, packing), fertilising and
    plant protection told apart in plain words, the fingerprint folded away under "Kiểm chứng"."""
    from traceability.provenance.services import WORK_ORDER

    with app.app_context():
        from tests.factories import make_spray
        from traceability.accounts.models import Organisation, User
        from traceability.farm.models import Planting

        org = db.session.get(Organisation, lot["org_id"])
        manager = db.session.scalar(sa.select(User).where(User.phone == "0988888888"))
        planting = db.session.scalar(sa.select(Planting).order_by(Planting.id))
        make_spray(
            org,
            manager,
            planting,
            applied_days_ago=100,
            phi_days=7,
            trade_name="Emagold 6.5EC",
            kind="plant_protection",
            active="Emamectin benzoate",
        )
        db.session.commit()
    data = client.get(lot["url"], headers={"Accept": "application/json"}).get_json()
    days = [(s["date"], WORK_ORDER[s["kind"]]) for s in data["journey"]]
    assert days == sorted(days), days
    html = client.get(lot["url"]).get_data(as_text=True)
    assert (
        "Bón phân</strong>" in html
        and "Phun thuốc bảo vệ thực vật</strong> · Emagold 6.5EC · hoạt chất: Emamectin" in html
    )
    assert "Phun thuốc, bón phân" not in html
    verification = html.split('id="verify"')[1]
    assert "<details><summary>Dấu vân tay" in verification and "sổ ghi" in verification


def test_steps_of_one_day_in_the_demo_come_in_the_order_of_the_work(app, client):
    from traceability import demo
    from traceability.lots.models import Lot, LotKind
    from traceability.provenance.services import WORK_ORDER, provenance

    with app.app_context():
        demo.load()
        db.session.commit()
        shared_days = 0
        for lot in db.session.scalars(sa.select(Lot).where(Lot.kind == LotKind.SALE).limit(20)):
            steps = [(s.day, WORK_ORDER[s.kind]) for s in provenance(lot).steps]
            assert steps == sorted(steps), lot.code
            shared_days += len(steps) - len({day for day, _ in steps})
    assert shared_days > 0  # the demo has days with several steps: the order is really tested
