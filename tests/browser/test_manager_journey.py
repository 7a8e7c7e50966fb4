"""A manager on a phone: log in, switch to English and back, add a plot (bad input first)."""

import pytest

from tests.browser.conftest import assert_fits, screenshot
from tests.factories import PASSWORD, make_household, make_org, make_user, make_village
from traceability.accounts.models import Role
from traceability.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def cooperative(app):
    with app.app_context():
        org = make_org("tay-hoang", name="Hợp tác xã khổ qua Tây Hoàng")
        make_user(org, Role.MANAGER, login="0900000002", name="Nguyễn Thị Hoa")
        village = make_village(org, "Tây Hoàng")
        make_household(org, village, "Trần Thị Bé")
        db.session.commit()


def test_manager_journey_on_a_phone(phone, cooperative):
    page = phone
    page.goto("/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    assert_fits(page)
    screenshot(page, "login-vi")

    page.get_by_label("Số điện thoại hoặc email").fill("0900000002")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.locator("h1").inner_text() == "Hợp tác xã khổ qua Tây Hoàng"
    assert page.locator("h1").count() == 1
    assert_fits(page)
    screenshot(page, "dashboard-vi")

    page.get_by_role("button", name="English").click()
    assert page.get_by_role("link", name="Seasons").first.is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "dashboard-en")
    page.get_by_role("button", name="Tiếng Việt").click()
    assert page.locator("html").get_attribute("lang") == "vi"

    page.get_by_role("navigation").get_by_text("Mục khác").click()  # the folded part of the menu
    page.get_by_role("navigation").get_by_role("link", name="Thửa ruộng").click()
    page.get_by_role("link", name="+ Thêm").click()
    page.get_by_label("Mã ruộng").fill("A3")
    page.get_by_label("Tên ruộng").fill("Ruộng A3")
    page.get_by_label("Thôn").select_option(label="Tây Hoàng")
    page.get_by_label("Hộ", exact=True).select_option(label="Trần Thị Bé")
    page.get_by_label("Diện tích (m²)").fill("-200")
    page.get_by_label("Cây trồng").fill("Khổ qua (mướp đắng)")
    page.get_by_role("button", name="Lưu").click()

    # Refused, with the message by the field, and everything typed still there.
    assert page.get_by_text("Diện tích phải lớn hơn 0").is_visible()
    assert page.get_by_label("Mã ruộng").input_value() == "A3"
    assert page.get_by_label("Cây trồng").input_value() == "Khổ qua (mướp đắng)"
    assert_fits(page)
    screenshot(page, "plot-form-error-vi")

    page.get_by_label("Diện tích (m²)").fill("1.500")
    page.get_by_role("button", name="Lưu").click()
    card = page.locator(".card", has_text="A3 · Ruộng A3")
    assert card.is_visible()
    assert "1.500\xa0m²" in card.inner_text()
    assert_fits(page)
    screenshot(page, "plots-vi")
    assert page.external_requests == []
