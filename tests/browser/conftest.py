"""Browser tests: the app served on a free local port, driven by Playwright in Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without Chromium the
tests are skipped on a developer's machine, but fail in CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import os
import shutil
import threading

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


@pytest.fixture
def phone(browser, live_server):
    """A page the size of a common phone (390×844), Vietnamese, touch."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="vi-VN", base_url=live_server
    )
    page = context.new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)
    page.external_requests = external
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def assert_fits(page, width: int | None = None) -> None:
    """No horizontal scrolling: the page is no wider than the viewport."""
    page.wait_for_load_state("load")  # after a click the new page's stylesheet may still be loading
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    viewport = width or page.viewport_size["width"]
    assert scroll_width <= viewport, f"{page.url} is {scroll_width}px wide on a {viewport}px screen"
