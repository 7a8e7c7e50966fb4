"""A buyer asks the lot's page to check its records, in Chromium: the proofs and the signatures are
verified by the page's own script (WebCrypto SHA-256 and Ed25519), success said in one sentence;
the same page fed a tampered proof says the check failed. Without the script the page is unchanged.
A static mirror of the pages (``export site``), served with the producer's server gone, checks the
same way from the files beside its pages.
"""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.browser.conftest import phone_context
from tests.factories import make_bagged_lot
from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.provenance.static_site import export_site
from traceability.transparency import checkpoints, tlog

pytestmark = pytest.mark.browser
WITNESS = "xa.example/witness/ubnd-quang-thai"


@pytest.fixture
def witnessed_lot(app, client):
    key = Ed25519PrivateKey.generate()
    app.config["LOG_WITNESSES"] = (tlog.vkey(WITNESS, tlog.public_bytes(key), tlog.COSIGNATURE),)
    with app.app_context():
        lot = make_bagged_lot()
        checkpoint = checkpoints.make(db.session.get(Organisation, lot["org_id"]), now=True)
        body = tlog.parse_note(checkpoint.note).body
        db.session.commit()
    line = tlog.cosignature_line(body, WITNESS, key, 1_764_700_000)
    assert (
        client.post("/log/nghe-lai-ha/cosignature", json={"checkpoint": body, "cosignature": line}).status_code == 201
    )
    return lot


def _ask(page) -> str:
    page.get_by_role("button", name="Kiểm tra ngay trên điện thoại này").click()
    status = page.locator(".verify [role=status]")
    page.wait_for_function("el => el.textContent && !el.textContent.endsWith('…')", arg=status.element_handle())
    return status.inner_text()


def test_the_page_checks_its_own_records(browser, live_server, witnessed_lot):
    context = phone_context(browser, live_server)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(witnessed_lot["url"])
    said = _ask(page)
    assert said.startswith("Đã kiểm tra trên điện thoại này") and "bên chứng kiến" in said, said
    assert errors == []

    def tampered(route):
        if "application/json" not in route.request.headers.get("accept", ""):
            return route.continue_()
        facts = route.fetch().json()
        event = facts["log"]["events"][1]
        event["hash"] = ("0" if event["hash"][0] != "0" else "1") + event["hash"][1:]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(facts))

    page.route("**/01/**", tampered)
    assert _ask(page).startswith("Kiểm tra không đạt")
    context.close()


def test_without_scripts_the_page_is_as_it_was(browser, live_server, witnessed_lot):
    context = phone_context(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto(witnessed_lot["url"])
    assert page.get_by_role("button", name="Kiểm tra ngay trên điện thoại này").count() == 0
    assert "đã được" in page.locator("#verify").locator("..").inner_text()
    context.close()


@pytest.fixture
def mirror(app, witnessed_lot, tmp_path):
    """The export, served by a plain static file server; no app behind it."""
    with app.app_context():
        export_site(tmp_path / "site")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # a static host's log is not the test's output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path / "site")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_static_mirror_checks_the_same_records(browser, witnessed_lot, mirror):
    context = phone_context(browser, mirror)
    page = context.new_page()
    unit = f"{witnessed_lot['url']}/21/{witnessed_lot['serials'][0]}/"
    for path in (f"{witnessed_lot['url']}/", unit, f"{unit}en/"):  # a unit's page reads its lot's files
        page.goto(path)
        if path.endswith("en/"):
            page.get_by_role("button", name="Check it on this phone").click()
            page.wait_for_function("() => /^Checked/.test(document.querySelector('.verify [role=status]').textContent)")
        else:
            said = _ask(page)
            assert said.startswith("Đã kiểm tra trên điện thoại này") and "bên chứng kiến" in said, (path, said)

    def tampered(route):
        facts = route.fetch().json()
        facts["log"]["events"][0]["leaf_index"] += 1
        route.fulfill(status=200, content_type="application/json", body=json.dumps(facts))

    page.route("**/index.json", tampered)
    page.goto(unit)
    assert _ask(page).startswith("Kiểm tra không đạt")
    context.close()
