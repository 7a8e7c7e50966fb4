"""Browser tests: the app served on a free local port, driven by Playwright in Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without Chromium the
tests are skipped on a developer's machine, but fail in CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import POSTGRES_URL
from traceability.extensions import db

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts")
AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"  # .ci/system-deps
PHONE_SCREEN = {"width": 390, "height": 844}
SERIOUS = ("serious", "critical")  # what fails a page; the rest is printed


@pytest.fixture(scope="session")
def playwright():
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: install Debian's chromium package (.ci/system-deps)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # A service worker's own requests are routed (and so can be cut) only with this set before start.
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def live_server(app):
    """Serve ``app`` from a thread; the database is the test's own (SQLite file or PostgreSQL)."""
    if not POSTGRES_URL:
        assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def phone_context(browser, live_server: str, *, screen=PHONE_SCREEN, locale: str = "vi-VN", **options):
    """A browser context like a phone's: its screen, touch, its language; ``options`` as Playwright's
    (``user_agent``, ``bypass_csp``)."""
    return browser.new_context(
        viewport=screen, is_mobile=True, has_touch=True, locale=locale, base_url=live_server, **options
    )


def watched(page, live_server: str):
    """``page`` noting every request it makes elsewhere than the app (``page.external_requests``)."""
    page.external_requests = []
    page.on("request", lambda r: None if r.url.startswith(live_server) else page.external_requests.append(r.url))
    return page


@pytest.fixture
def phone(browser, live_server):
    """A page the size of a common phone (390×844), Vietnamese, touch."""
    context = phone_context(browser, live_server)
    yield watched(context.new_page(), live_server)
    context.close()


# Elements whose own text (more than 3 characters) wraps in a box narrower than 4 characters of
# their font: text written a few letters per line, which no sideways-scroll check notices. (A short
# code that fits on its one line, "A1.1" in a 43 px box, reads fine.)
_NARROW_TEXT = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (own.length <= 3) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden' || box.width < 2) continue;  // hidden
    ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const four = ctx.measureText('0000').width;
    const line = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
    if (box.width < four && box.height > 1.5 * line) {
      found.push(`${el.tagName.toLowerCase()} ${Math.round(box.width)}px < ${Math.round(four)}px: ${own.slice(0, 40)}`);
    }
  }
  return found;
}"""
# The columns of the widest list or grid at 1,280 px: a list of cards in three columns there is
# rightly three times as tall in one column on a phone.
_COLUMNS = """() => Math.max(1, ...[...document.querySelectorAll('main *')]
  .filter(el => ['grid', 'flex'].includes(getComputedStyle(el).display) && el.children.length > 1)
  .map(el => new Set([...el.children].map(c => Math.round(c.getBoundingClientRect().left))).size))"""
WIDE = {"width": 1280, "height": 800}


def assert_reads(page) -> None:
    """Text a phone can read: no text wrapping in a box narrower than 4 of its characters, and the
    page no more than twice as tall as on a 1,280 px screen, per column of its widest list there
    (a layout that stacks what it should not, as a facts list squeezed to one letter a line)."""
    page.wait_for_load_state("load")
    narrow = page.evaluate(_NARROW_TEXT)
    assert narrow == [], f"{page.url} at {page.viewport_size['width']} px: {narrow[:5]}"
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size(WIDE)
    try:
        wide, columns = page.evaluate("document.documentElement.scrollHeight"), page.evaluate(_COLUMNS)
    finally:
        page.set_viewport_size(size)
    allowed = 2 * max(wide, size["height"]) * columns
    assert height <= allowed, (
        f"{page.url}: {height} px tall at {size['width']} px; {wide} at 1,280 in {columns} column(s)"
    )


def need_axe() -> None:
    """axe-core must be there in CI (``.ci/system-deps`` installs it); elsewhere its tests skip."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: .ci/system-deps installs it with npm")
        pytest.skip("axe-core is not installed (npm install --no-save axe-core@4)")


def axe(page, *, wcag_only: bool = False, as_page_script: bool = False) -> list[dict]:
    """axe-core's violations on ``page``: id, impact, help, nodes. Injected as a script tag (the
    page's context must bypass the CSP), or with ``as_page_script`` evaluated in the page, which
    keeps its CSP (a page under a service worker keeps its own context)."""
    need_axe()
    if as_page_script:
        page.evaluate(AXE.read_text())
    else:
        page.add_script_tag(path=str(AXE))
    options = "{runOnly: ['wcag2a', 'wcag2aa']}" if wcag_only else "{}"
    return page.evaluate(f"""async () => (await axe.run(document, {options})).violations.map(v => ({{
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}}))""")


def assert_no_serious_axe_finding(page, language: str) -> None:
    """No serious or critical axe-core finding on ``page`` (the lesser ones are printed)."""
    violations = axe(page)
    report = "\n".join(f"  [{v['impact']}] {v['id']}: {v['help']} — {', '.join(v['nodes'])}" for v in violations)
    assert not [v for v in violations if v["impact"] in SERIOUS], f"axe-core on {page.url} ({language}):\n{report}"
    if violations:
        print(f"axe-core on {page.url} ({language}), minor findings:\n{report}")


def screenshot(page, name: str) -> None:
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def assert_fits(page, width: int | None = None) -> None:
    """No horizontal scrolling: the page is no wider than the viewport."""
    page.wait_for_load_state("load")  # after a click the new page's stylesheet may still be loading
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    viewport = width or page.viewport_size["width"]
    assert scroll_width <= viewport, f"{page.url} is {scroll_width}px wide on a {viewport}px screen"
