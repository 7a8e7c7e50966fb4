"""What a buyer's phone (360×740) shows for each answer of the resolver, in Vietnamese and in English
as its Accept-Language asks: the product page, a lot never made and a serial never printed (the
page walked up to, the warning first and in the first screen), a code that is not a Digital Link
(400), a unit's page and its province page. Each fits the screen, passes axe-core and is
photographed under test-artifacts/."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, assert_no_serious_axe_finding, need_axe, phone_context, screenshot
from tests.factories import PHONE, STARCH_GTIN, make_bagged_lot, make_ocop_certificate
from traceability.accounts.models import Organisation, User
from traceability.extensions import db
from traceability.products.models import Product
from traceability.scans.models import UnitScan
from traceability.scans.recorder import recorder

pytestmark = pytest.mark.browser

SCREEN = {"width": 360, "height": 740}
LOCALES = {"vi": "vi-VN", "en": "en-US"}
TEXT = {
    "vi": {
        "product": "Tinh bột nghệ Lai Hà",
        "not_ours": "Mã này không có trong hồ sơ",
        "never_made": "chưa từng làm lô NEVERMADE của sản phẩm này",
        "never_printed": "Mã đơn vị NEVERPRINTED chưa từng được in cho lô {lot}",
        "invalid": "Mã này không hợp lệ",
        "on_sale": "Các lô đang bán",
        "stars": "OCOP 3 sao",
        "scans": "Số lần quét: 1.",
        "place": "Cho chúng tôi biết bạn đã mua ở tỉnh nào",
        "where": "Bạn mua ở đâu? (tỉnh hoặc thành phố)",
        "send": "Gửi",
        "thanks": "Cảm ơn bạn",
    },
    "en": {
        "product": "Lai Hà turmeric starch",
        "not_ours": "This code is not in our records",
        "never_made": "never made a lot NEVERMADE of this product",
        "never_printed": "The unit number NEVERPRINTED was never printed for lot {lot}",
        "invalid": "This code is not valid",
        "on_sale": "Lots on sale now",
        "stars": "OCOP 3 stars",
        "scans": "Scans so far: 1.",
        "place": "Tell us in which province you bought it",
        "where": "Where did you buy it? (province or city)",
        "send": "Send",
        "thanks": "Thank you",
    },
}


@pytest.fixture(params=["vi", "en"])
def language(request) -> str:
    return request.param


@pytest.fixture
def lot(app, live_server) -> dict:
    """``make_bagged_lot`` (5 serials) with a valid 3-star OCOP certificate on its product; its links
    (absolute, as printed) point at the live server."""
    app.config["PUBLIC_BASE_URL"] = live_server
    with app.app_context():
        lot = make_bagged_lot()
        manager = db.session.scalar(sa.select(User).where(User.phone == "0988888888"))
        make_ocop_certificate(
            db.session.get(Organisation, lot["org_id"]),
            manager,
            db.session.scalar(sa.select(Product.id).where(Product.gtin == STARCH_GTIN)),
            number="OCOP-2026-07",
            valid=(30, 700),
        )
        db.session.commit()
    return {**lot, "uri": live_server + lot["url"]}


@pytest.fixture
def buyer(browser, live_server, language):
    """A person's phone under the app's real CSP: its user agent is a person's, so its scans count."""
    context = phone_context(browser, live_server, screen=SCREEN, locale=LOCALES[language], user_agent=PHONE)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: None if r.url.startswith(live_server) else page.problems.append(r.url))
    yield page
    context.close()


@pytest.fixture
def axe_page(browser, live_server, language):
    """The same screen for axe-core only: the CSP rightly refuses an injected script, so this context
    bypasses it; its user agent stays headless Chromium's, so its visits are not scans."""
    need_axe()
    context = phone_context(browser, live_server, screen=SCREEN, locale=LOCALES[language], bypass_csp=True)
    yield context.new_page()
    context.close()


def _check(page, axe_page, name: str, language: str, *, status: int = 200) -> None:
    """What every page must do: the visitor's language, no sideways scrolling, nothing fetched from
    elsewhere nor refused by the CSP, no serious axe-core finding (the same URL in ``axe_page``)."""
    assert page.locator("html").get_attribute("lang") == language
    assert_fits(page)
    own_status = f"Failed to load resource: the server responded with a status of {status} (BAD REQUEST)"
    assert [p for p in page.problems if p != own_status] == []  # Chromium logs the page's own 400
    screenshot(page, f"buyer-{name}-{language}")
    assert axe_page.goto(page.url).status == status
    assert axe_page.locator("html").get_attribute("lang") == language
    assert_no_serious_axe_finding(axe_page, language)


def _warning_first(page, *, above_h1: bool = True):
    """The red warning is the first thing in ``main``, above the ``<h1>``, whole in the first screen."""
    alert = page.locator("main [role=alert]").first
    expect(alert).to_be_visible()
    assert page.evaluate("scrollY") == 0
    box, h1 = alert.bounding_box(), page.locator("h1").bounding_box()
    assert box["y"] + box["height"] <= SCREEN["height"], f"the warning ends at {box['y'] + box['height']}px"
    if above_h1:
        assert box["y"] + box["height"] <= h1["y"]
    expect(alert).to_have_class(re.compile(r"\bflash-error\b"))  # red
    return alert


def test_product_page(buyer, axe_page, lot, language):
    text = TEXT[language]
    assert buyer.goto(f"/01/{STARCH_GTIN}").status == 200
    expect(buyer.locator("h1")).to_have_text(text["product"])
    expect(buyer.locator("main [role=alert]")).to_have_count(0)
    expect(buyer.locator(".ocop")).to_contain_text(text["stars"])
    expect(buyer.locator("main")).to_contain_text("Tổ hợp tác tinh bột nghệ Lai Hà")
    on_sale = buyer.locator("section[aria-labelledby=lots]")
    expect(on_sale.locator("h2")).to_have_text(text["on_sale"])
    expect(on_sale.get_by_role("link")).to_have_attribute("href", lot["uri"])
    _check(buyer, axe_page, "product", language)
    on_sale.get_by_role("link").click()  # the lot on sale opens its own page
    buyer.wait_for_url(lot["uri"])
    expect(buyer.locator("h1 + p")).to_contain_text(lot["code"])


def test_unknown_lot_walks_up_to_the_product(buyer, axe_page, lot, language):
    text = TEXT[language]
    assert buyer.goto(f"/01/{STARCH_GTIN}/10/NEVERMADE").status == 200
    alert = _warning_first(buyer)
    expect(alert).to_contain_text(text["not_ours"])
    expect(alert).to_contain_text(text["never_made"])
    expect(buyer.locator("h1")).to_have_text(text["product"])
    expect(buyer.locator("section[aria-labelledby=lots]").get_by_role("link")).to_have_attribute("href", lot["uri"])
    _check(buyer, axe_page, "unknown-lot", language)


def test_unknown_serial_walks_up_to_the_lot(buyer, axe_page, lot, language):
    text = TEXT[language]
    assert buyer.goto(f"{lot['url']}/21/NEVERPRINTED").status == 200
    alert = _warning_first(buyer)
    expect(alert).to_contain_text(text["not_ours"])
    expect(alert).to_contain_text(text["never_printed"].format(lot=lot["code"]))
    expect(buyer.locator("h1")).to_have_text(text["product"])
    expect(buyer.locator("h1 + p")).to_contain_text(lot["code"])
    expect(buyer.locator("section[aria-labelledby=unit]")).to_have_count(0)
    _check(buyer, axe_page, "unknown-serial", language)


@pytest.mark.parametrize(
    "path", [f"/01/{STARCH_GTIN}/10/LOT/foo", "/01/09520123000036"], ids=["not-a-key", "check-digit"]
)
def test_invalid_code(buyer, axe_page, lot, language, path):
    text = TEXT[language]
    assert buyer.goto(path).status == 400
    expect(buyer.locator("h1")).to_have_text(text["invalid"])  # here the heading is the warning
    _warning_first(buyer, above_h1=False)
    _check(buyer, axe_page, f"invalid-{path.rsplit('/', 1)[1]}", language, status=400)


def test_unit_page_and_its_place_page(app, buyer, axe_page, lot, language):
    text = TEXT[language]
    serial = lot["serials"][0]
    unit_path = f"{lot['url']}/21/{serial}"
    assert buyer.goto(unit_path).status == 200
    expect(buyer.locator("h1")).to_have_text(text["product"])
    expect(buyer.locator("section[aria-labelledby=unit]")).to_contain_text(serial)
    expect(buyer.locator("section[aria-labelledby=unit]")).to_contain_text(text["scans"])
    assert buyer.context.cookies() == []  # a scan sets no cookie
    _check(buyer, axe_page, "unit", language)

    buyer.get_by_role("link", name=text["place"]).click()
    buyer.wait_for_url(f"**{unit_path}/place")
    expect(buyer.locator("main")).to_contain_text(serial)
    province = buyer.get_by_label(text["where"])
    expect(province).to_have_value("")  # nothing chosen for the buyer
    _check(buyer, axe_page, "place", language)

    province.select_option(label="Đà Nẵng")
    buyer.get_by_role("button", name=text["send"]).click()
    buyer.wait_for_url(f"**{unit_path}")
    expect(buyer.locator("main [role=status]")).to_contain_text(text["thanks"])
    expect(buyer.locator("section[aria-labelledby=unit]")).to_contain_text(text["scans"])  # the same phone
    assert buyer.locator("html").get_attribute("lang") == language
    assert_fits(buyer)
    assert buyer.problems == []
    screenshot(buyer, f"buyer-unit-thanked-{language}")
    with app.app_context():
        recorder(app).flush()
        assert db.session.scalars(sa.select(UnitScan.province)).all() == ["da-nang"]  # one scan, its province

    axe_page.goto(f"{unit_path}/place")  # the thank-you, as axe-core's context gets it
    axe_page.get_by_label(text["where"]).select_option(label="Đà Nẵng")
    axe_page.get_by_role("button", name=text["send"]).click()
    axe_page.wait_for_url(f"**{unit_path}")
    expect(axe_page.locator("main [role=status]")).to_contain_text(text["thanks"])
    assert_no_serious_axe_finding(axe_page, language)
