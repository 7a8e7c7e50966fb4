"""axe-core (WCAG 2 A and AA rules) on the main pages, in Vietnamese, including a form with errors."""

import pytest

from tests.browser.conftest import axe, need_axe
from traceability import demo
from traceability.extensions import db

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/plots",
    "/plots/new",
    "/households/new",
    "/products",
    "/products/new",
    "/members",
    "/organisations",
    "/plantings",
    "/plantings/1",
    "/inputs/new",
    "/harvests/new",
    "/lots/1",
    "/inspections",
    "/inspections/1",
    "/inspections/1/groups/0",
    "/certificates",
    "/certificates/new",
    "/processing/new",
    "/packing/new",
    "/sales/new",
    "/lots/1/trace",
    "/lots/1/recall",
    "/tokens",
    "/partners",
]


@pytest.fixture
def axe_page(browser, live_server, app):
    need_axe()
    with app.app_context():
        demo.load()
        db.session.commit()
    # The app's CSP forbids injected scripts, rightly; only this test context bypasses it to run axe.
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def _violations(page):
    return [f"{v['id']}: {', '.join(v['nodes'])}" for v in axe(page, wcag_only=True)]


def test_pages_have_no_wcag_violations(axe_page):
    page = axe_page
    page.goto("/login")
    assert _violations(page) == []
    page.fill("#login", "0900000001")
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]:not([name])")
    for path in PAGES:
        page.goto(path)
        assert _violations(page) == [], path
    page.goto("/plots/new")
    page.click("form.record-form button[type=submit]")  # empty form: every required field in error
    assert page.locator(".error").count() >= 3
    assert _violations(page) == []
