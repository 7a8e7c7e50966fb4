"""A member on a phone logs a spray, is refused a harvest inside the pre-harvest interval with the
earliest date, then harvests after it: with the field app's scripts (each save goes to the outbox
first and is sent at once) and without JavaScript (the forms post as they always did)."""

import re

import pytest
import sqlalchemy as sa

from tests.browser.conftest import assert_fits, screenshot
from tests.factories import (
    PASSWORD,
    days_ago,
    make_household,
    make_org,
    make_planting,
    make_plot,
    make_user,
    make_village,
)
from traceability.accounts.models import Membership, Role
from traceability.extensions import db
from traceability.farm.services import permitted

pytestmark = pytest.mark.browser


@pytest.fixture
def member_plot(app):
    with app.app_context():
        org = make_org("tay-hoang", name="Hợp tác xã khổ qua Tây Hoàng")
        member = make_user(org, Role.MEMBER, login="0987000003", name="Trần Thị Bé")
        manager = make_user(org, Role.MANAGER)
        village = make_village(org, "Tây Hoàng")
        household = make_household(org, village, "Trần Thị Bé")
        db.session.scalar(sa.select(Membership).where(Membership.user_id == member.id)).household_id = household.id
        plot = make_plot(org, village, household, code="A3", area="2000")
        plot.name = "Ruộng A3"
        make_planting(org, manager, plot, sown_days_ago=45)
        permitted.load_default_inputs(org)
        db.session.commit()


@pytest.fixture(params=["scripts", "no-javascript"])
def field_phone(request, browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        base_url=live_server,
        java_script_enabled=request.param == "scripts",
    )
    page = context.new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)
    page.external_requests = external
    yield page
    context.close()


def test_spray_then_refused_then_harvest(field_phone, member_plot):
    page = field_phone
    page.goto("/login")
    page.get_by_label("Số điện thoại hoặc email").fill("0987000003")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_text("Ruộng A3: có thể thu hoạch").is_visible()
    screenshot(page, "field-1-member-home")

    sprayed, earliest = days_ago(10), days_ago(4)  # Emagold 6.5EC: 6 days on its label
    page.get_by_role("main").get_by_role("link", name="Phun thuốc / bón phân").click()
    assert page.get_by_label("Thửa ruộng và mùa vụ").input_value()  # her only season, chosen for her
    page.get_by_label("Ngày phun, bón").fill(sprayed.isoformat())
    page.get_by_label("Vật tư").select_option(label="Emagold 6.5EC · cách ly 6 ngày")
    page.get_by_label("Lượng dùng", exact=True).fill("20")
    assert_fits(page)
    screenshot(page, "field-2-spray-form")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r"/plantings/\d+$"))
    assert page.get_by_text(f"Được thu hoạch từ {earliest:%d/%m/%Y}").first.is_visible()
    screenshot(page, "field-3-season-after-spray")

    page.get_by_role("main").get_by_role("link", name="Thu hoạch").first.click()
    page.get_by_label("Ngày thu hoạch").fill(days_ago(5).isoformat())
    page.get_by_label("Khối lượng (kg)").fill("85,5")
    page.get_by_role("button", name="Lưu").click()
    page.locator(".error").first.wait_for()
    refusal = page.locator(".error").first.inner_text()
    assert "Emagold 6.5EC" in refusal and f"{sprayed:%d/%m/%Y}" in refusal and f"{earliest:%d/%m/%Y}" in refusal
    assert page.get_by_label("Khối lượng (kg)").input_value() == "85,5"
    assert_fits(page)
    screenshot(page, "field-4-harvest-refused")

    page.get_by_label("Ngày thu hoạch").fill(earliest.isoformat())
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r"/lots/\d+$"))
    assert page.locator("h1").inner_text().startswith("Lô")
    assert "85,5 kg" in page.locator("dl.facts").inner_text()
    assert_fits(page)
    screenshot(page, "field-5-harvest-lot")
    assert page.external_requests == []
