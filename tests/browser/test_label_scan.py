"""A printed label scanned with a phone: the QR of a 50×30 per-unit sheet, decoded from the PDF at
300 dpi, opens the public page in Chromium as is; Vietnamese first, then English and back, axe-core
on both, nothing fetched from elsewhere, nothing wider than a 360 px screen. A serial that was
never printed on a lot that was gets the lot's page, the warning first."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_fits,
    assert_no_serious_axe_finding,
    need_axe,
    phone_context,
    screenshot,
    watched,
)
from tests.conftest import needs_tool
from tests.factories import (
    PHONE,
    days_ago,
    make_harvest,
    make_org,
    make_photo,
    make_planting,
    make_plot,
    make_spray,
    make_user,
)
from traceability.accounts.models import Role
from traceability.extensions import db
from traceability.labels.sheets import render_sheet
from traceability.lots.models import Lot, UnitSerial
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.products import services as products

pytestmark = [pytest.mark.browser, needs_tool("pdftoppm")]

GTIN = "09520123000035"
UNITS = 24


def _build_sale_lot() -> tuple[int, int]:
    """The ``bags`` of tests/labels/test_label_sheets_mandatory_text_and_qr.py, with an English name,
    a spray and a photo: a bagged turmeric-starch lot with one serial per bag, built through the
    services and committed."""
    org = make_org("nghe-lai-ha", name="Tổ hợp tác tinh bột nghệ Lai Hà")
    org.address_line = "Thôn Lai Hà"
    manager = make_user(org, Role.MANAGER)
    planting = make_planting(org, manager, make_plot(org, code="N1", area="3000"), sown_days_ago=280, crop="Nghệ")
    make_spray(org, manager, planting, applied_days_ago=40, phi_days=7)
    harvest = make_harvest(org, manager, planting, days_ago_=10, kg="1000")
    products.save_product(
        org,
        None,
        code="TBN",
        name_vi="Tinh bột nghệ Lai Hà",
        name_en="Lai Hà turmeric starch",
        kind="processed",
        unit="kg",
        gtin=GTIN,
        shelf_life_days=365,
        ingredients="Tinh bột nghệ vàng 100%",
        usage_instructions="Pha với nước ấm",
        storage_instructions="Nơi khô ráo",
    )
    (starch,) = record_processing(
        org,
        manager,
        processed_on=days_ago(5),
        inputs=[RunInput(harvest.code, Decimal(1000))],
        outputs=[RunOutput("TBN", Decimal(40))],
    ).outputs
    sale_lot = pack(
        org,
        manager,
        source_lot_code=starch.code,
        product_code="TBN",
        units=UNITS,
        net_content=Decimal(100),
        net_unit="g",
        packed_on=days_ago(4),
        serials=True,
    )
    make_photo(org, manager, event_id=sale_lot.event_id)
    db.session.commit()
    return org.id, sale_lot.id


def _decode_pdf(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every QR on the sheet, as a phone would read it: pdftoppm at 300 dpi, then zxing-cpp."""
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(tmp_path / "sheet.pdf"), str(tmp_path / "page")], check=True)
    texts = []
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as image:
            texts += [r.text for r in zxingcpp.read_barcodes(image)]
    return texts


@pytest.fixture
def printed(app, live_server, tmp_path):
    """A 50×30 per-unit sheet whose QR codes point at the live server, and what they decode to."""
    from traceability.accounts.models import Organisation

    app.config["PUBLIC_BASE_URL"] = live_server  # the codes must open here, exactly as printed
    with app.app_context():
        org_id, lot_id = _build_sale_lot()
        org, lot = db.session.get(Organisation, org_id), db.session.get(Lot, lot_id)
        serials = db.session.scalars(
            sa.select(UnitSerial.serial).where(UnitSerial.lot_id == lot_id).order_by(UnitSerial.id)
        ).all()
        pdf = render_sheet(org, lot, size="50x30", per_unit=True)
        code = lot.code
    urls = _decode_pdf(pdf, tmp_path)
    expected = {f"{live_server}/01/{GTIN}/10/{code}/21/{s}" for s in serials}
    assert len(serials) == UNITS and len(urls) == UNITS and set(urls) == expected, (urls, expected)
    return {"code": code, "urls": urls, "serials": serials}


@pytest.fixture
def phone(browser, live_server):
    """The conftest's phone with a buyer's user agent: headless Chromium's own says "HeadlessChrome",
    which the visitor rules rightly take for a script, and a script's fetch is not a scan."""
    context = phone_context(browser, live_server, user_agent=PHONE)
    yield watched(context.new_page(), live_server)
    context.close()


@pytest.fixture
def axe_context(browser, live_server):
    """A phone context for axe-core only: the app's CSP rightly forbids injected scripts, so this
    context bypasses it (the scan itself runs in ``phone``, under the real CSP)."""
    need_axe()
    context = phone_context(browser, live_server, bypass_csp=True)
    yield context
    context.close()


def _assert_fits_360(page) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 740})
    try:
        assert_fits(page, 360)
    finally:
        page.set_viewport_size(size)


def test_scanned_label_opens_the_unit_page(phone, printed, live_server, axe_context):
    page = phone
    url = printed["urls"][0]
    assert urlsplit(url).netloc == urlsplit(live_server).netloc  # opened as decoded, no path mapping
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    response = page.goto(url)
    assert response.status == 200, url
    assert page.url == url
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.locator("h1")).to_have_text("Tinh bột nghệ Lai Hà")
    expect(page.locator("h1 + p")).to_contain_text(f"Lô {printed['code']}")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_be_visible()
    expect(page.get_by_role("heading", name="Hành trình sản phẩm")).to_be_visible()
    for step in ("Thu hoạch", "Chế biến", "Đóng gói"):
        expect(timeline.locator("li strong", has_text=step).first).to_be_visible()
    unit = page.locator("section[aria-labelledby=unit]")
    serial = url.rsplit("/", 1)[1]
    expect(unit.locator("h2")).to_contain_text(serial)
    expect(unit).to_contain_text(re.compile(r"Quét lần đầu ngày \d\d/\d\d/\d{4}\. Số lần quét: 1\."))
    place = page.get_by_role("link", name="Cho chúng tôi biết bạn đã mua ở tỉnh nào")
    expect(place).to_have_attribute("href", urlsplit(url).path + "/place")  # the form is a page of its own
    assert page.context.cookies() == []  # so a scan sets no cookie
    assert_fits(page)
    screenshot(page, "label-scan-unit-vi")
    _assert_fits_360(page)

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", name="The journey")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Lai Hà turmeric starch")
    expect(page.locator("h1 + p")).to_contain_text(f"Lot {printed['code']}")
    for step in ("Harvest", "Processing", "Packing"):
        expect(timeline.locator("li strong", has_text=step).first).to_be_visible()
    expect(unit).to_contain_text(re.compile(r"Scans so far: 1\."))  # the same phone again: still one scan
    assert_fits(page)
    screenshot(page, "label-scan-unit-en")
    _assert_fits_360(page)

    page.get_by_role("link", name="Tiếng Việt").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.get_by_role("heading", name="Hành trình sản phẩm")).to_be_visible()
    expect(timeline.locator("li strong", has_text="Thu hoạch").first).to_be_visible()

    assert page.external_requests == []
    assert console_errors == []

    axe_page = axe_context.new_page()
    for language in ("vi", "en"):
        assert axe_page.goto(f"{url}?lang={language}").status == 200
        assert axe_page.locator("html").get_attribute("lang") == language
        assert_no_serious_axe_finding(axe_page, language)


def test_unknown_serial_shows_the_lot_page_with_the_warning_first(phone, printed):
    page = phone
    url = printed["urls"][0].rsplit("/", 1)[0] + "/ZZZZZZZZZZZZ"
    response = page.goto(url)
    assert response.status == 200  # the lot is known: its page, walked up to, and the warning
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Mã này không có trong hồ sơ")
    expect(alert).to_contain_text(f"ZZZZZZZZZZZZ chưa từng được in cho lô {printed['code']}")
    expect(page.locator("h1")).to_have_text("Tinh bột nghệ Lai Hà")
    assert alert.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]
    expect(page.locator("main")).to_contain_text("Tổ hợp tác tinh bột nghệ Lai Hà")
    expect(page.locator("section[aria-labelledby=unit]")).to_have_count(0)  # no pack card for a serial never printed
    assert_fits(page)
    screenshot(page, "label-scan-unknown-serial-vi")
    assert page.external_requests == []
