"""Every page of the demo, at 360 px in both languages: fits the screen, one h1, labelled fields,
landmarks, nothing fetched from outside."""

import pytest

from tests.browser.conftest import assert_fits, assert_reads, screenshot
from traceability import demo
from traceability.extensions import db

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/plots",
    "/plots/new",
    "/households",
    "/households/new",
    "/villages",
    "/villages/new",
    "/products",
    "/products/new",
    "/products/1/edit",
    "/organisations",
    "/nowhere",
    "/plantings",
    "/plantings/new",
    "/plantings/1",
    "/inputs/new",
    "/harvests/new",
    "/lots",
    "/lots/1",
    "/inspections",
    "/inspections/1",
    "/inspections/new",
    "/inspections/1/groups/0",
    "/certificates",
    "/certificates/new",
    "/permitted_inputs",
    "/permitted_inputs/new",
    "/processing/new",
    "/packing/new",
    "/sales/new",
    "/receipts/new",
    "/lots/1/trace",
    "/lots/1/recall",
    "/tokens",
    "/ocop/dossiers",
    "/ocop/dossiers/new",
    "/ocop/dossiers/1",
    "/ocop/dossiers/1/part/A",
    "/ocop/dossiers/1/part/C",
    "/ocop/dossiers/1/details",
    "/partners",
]


@pytest.fixture
def demo_data(demo_app):
    return demo_app


def _log_in(page, login):
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]:not([name])")


@pytest.mark.parametrize("width", [360, 412])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_page_fits_and_reads_on_a_phone(browser, live_server, demo_data, language, width):
    context = browser.new_context(viewport={"width": width, "height": 740}, base_url=live_server)
    page = context.new_page()
    external, console_errors = [], []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)
    # A blocked inline style or script (our CSP) or a missing asset shows up here.
    page.on(
        "console",
        lambda m: console_errors.append((page.url, m.text)) if m.type == "error" and "404" not in m.text else None,
    )
    _log_in(page, "0900000002")
    if language == "en":
        page.click("button[value=en]")
    for path in PAGES:
        response = page.goto(path)
        assert response.status == (404 if path == "/nowhere" else 200), path
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("h1").count() == 1, path
        assert page.locator("main").count() == 1 and page.locator("header").count() == 1, path
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)""")
        assert unlabelled == [], (path, unlabelled)
        assert_fits(page)
        assert_reads(page)
        screenshot(page, f"{width}-{language}{path.replace('/', '_') or '_home'}")
    assert external == []
    assert console_errors == []
    context.close()


def test_official_sees_the_commune(browser, live_server, demo_data):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server)
    page = context.new_page()
    _log_in(page, "canbo@quangthai.example")
    assert page.get_by_text("Hợp tác xã khổ qua Tây Hoàng").first.is_visible()
    assert_fits(page)
    screenshot(page, "360-official-dashboard")
    page.get_by_role("link", name="OCOP trên địa bàn: hạng sao, hồ sơ, hạn chứng nhận").click()
    assert page.locator("h1").inner_text() == "OCOP tại Ủy ban nhân dân xã Quảng Thái"
    assert page.locator("svg.chart").count() == 3
    assert_fits(page)
    assert_reads(page)
    screenshot(page, "360-official-ocop-overview")
    page.locator('svg.chart a[href*="status=draft"] rect').click()  # a bar opens the list behind it
    assert page.locator("h1").inner_text() == "Bản nháp"
    assert_fits(page)
    assert_reads(page)
    screenshot(page, "360-official-ocop-drafts")
    context.close()


def test_public_page_on_a_phone(browser, live_server, demo_data, app):
    import sqlalchemy as sa

    from traceability.lots.models import Lot, LotKind
    from traceability.products.models import Product

    with app.app_context():
        code, gtin = db.session.execute(
            sa.select(Lot.code, Product.gtin).join(Product).where(Lot.kind == LotKind.SALE, Product.code == "TBN")
        ).one()
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", base_url=live_server)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(f"/01/{gtin}/10/{code}")
    assert response.status == 200 and page.locator("h1").inner_text() == "Tinh bột nghệ Lai Hà"
    assert_fits(page)
    screenshot(page, "public-lot-vi")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert_fits(page)
    assert errors == []
    context.close()
