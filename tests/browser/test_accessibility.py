"""axe-core (WCAG 2 A and AA rules) on the main pages, in Vietnamese, including a form with errors."""

import os
from pathlib import Path

import pytest

from traceability import demo
from traceability.extensions import db

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
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
]


@pytest.fixture
def axe_page(browser, live_server, app):
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: .ci/system-deps installs it with npm")
        pytest.skip("axe-core is not installed (npm install --no-save axe-core@4)")
    with app.app_context():
        demo.load()
        db.session.commit()
    # The app's CSP forbids injected scripts, rightly; only this test context bypasses it to run axe.
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def _violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))
        .violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
    return result


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
