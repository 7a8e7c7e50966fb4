"""A member records with no signal, closes the phone, opens it again, and sends when the network returns:
nothing lost, nothing doubled (real Chromium, the service worker on, the network cut for the worker too).

"Offline" is the server out of reach (stopped: nothing answers on its port), the context set offline
and every request aborted, as a phone with no signal sees it. Cutting the browser alone is not enough:
the worker's own requests are not stopped by ``set_offline`` (reference/offline-sync.md), and a
restarted browser wakes its worker, which sends a pending Background Sync, before any route is set.
A persistent profile stands in for the phone: closing and opening it again is the phone restarted.
"""

from __future__ import annotations

import re
import threading
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, assert_fits, axe, screenshot
from tests.factories import (
    PASSWORD,
    days_ago,
    make_household,
    make_org,
    make_planting,
    make_plot,
    make_spray,
    make_user,
    make_village,
)
from traceability.accounts.models import Membership, Organisation, Role, User
from traceability.events import chain
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.models import InputApplication, Planting
from traceability.farm.services import permitted
from traceability.lots.models import Lot
from traceability.photos.models import Photo

pytestmark = pytest.mark.browser
# Shrinking a camera photo on a busy two-core machine takes seconds, not milliseconds.
expect.set_options(timeout=15_000)

KEPT_PAGES = 6  # home, seasons, spray, harvest and season forms, the outbox page


@pytest.fixture
def member(app):
    with app.app_context():
        org = make_org("tay-hoang", name="Hợp tác xã khổ qua Tây Hoàng")
        user = make_user(org, Role.MEMBER, login="0987000003", name="Trần Thị Bé")
        manager = make_user(org, Role.MANAGER)
        village = make_village(org, "Tây Hoàng")
        household = make_household(org, village, "Trần Thị Bé")
        db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id)).household_id = household.id
        plot = make_plot(org, village, household, code="A3", area="2000")
        plot.name = "Ruộng A3"
        planting = make_planting(org, manager, plot, sown_days_ago=45)
        permitted.load_default_inputs(org)
        db.session.commit()
        return {"org": org.id, "planting": planting.id, "manager": manager.id}


class OneRequestPerConnection(WSGIRequestHandler):
    protocol_version = "HTTP/1.0"  # no kept-alive connection outlives a stopped server


class Server:
    """The app on a fixed local port that can be taken out of reach and brought back."""

    def __init__(self, app):
        self.app, self.port = app, 0
        self.api_down = False  # the pages answer, the API does not (a server in trouble)
        self.start()

    def serve(self, environ, start_response):
        if self.api_down and environ["PATH_INFO"].startswith("/api/"):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        return self.app(environ, start_response)

    def start(self):
        self.server = make_server(
            "127.0.0.1", self.port, self.serve, threaded=True, request_handler=OneRequestPerConnection
        )
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Phone:
    """A browser profile on disk, 360 px wide, in Vietnamese: opened, cut off, closed, opened again."""

    def __init__(self, playwright, server: Server, directory: Path):
        self.playwright, self.server, self.directory = playwright, server, directory
        self.base = server.url
        self.context = None
        self.cut = False

    def open(self, offline: bool = False):
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.directory),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
            base_url=self.base,
            service_workers="allow",
            # Cut from the first moment: a restarted browser wakes its worker (and a pending Background
            # Sync) before any route could be set.
            offline=offline,
        )
        if offline:
            self.offline()
        page = self.context.pages[0] if self.context.pages else self.context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    def offline(self):
        if not self.cut:
            self.server.stop()
            self.cut = True
        self.context.route("**/*", lambda route: route.abort("internetdisconnected"))
        self.context.set_offline(True)

    def online(self):
        if self.cut:
            self.server.start()
            self.cut = False
        self.context.unroute("**/*")
        self.context.set_offline(False)

    def close(self):
        self.context.close()


@pytest.fixture
def phone(playwright, app, tmp_path):
    server = Server(app)
    phone = Phone(playwright, server, tmp_path / "profile")
    yield phone
    if phone.context is not None:
        phone.context.close()
    if not phone.cut:
        server.stop()
    with app.app_context():
        db.engine.dispose()


def log_in(page):
    page.goto("/login")
    page.get_by_label("Số điện thoại hoặc email").fill("0987000003")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/$"))


def wait_until_kept(page, pages: int = KEPT_PAGES):
    """The worker has kept the field pages of this member (one visit online is enough). Polled from
    here: ``wait_for_function`` takes a pending promise for a true answer."""
    for _ in range(100):
        kept = page.evaluate(
            """async () => {
                const name = 'pages-' + document.body.dataset.offlineScope;
                if (!navigator.serviceWorker.controller || !(await caches.has(name))) return 0;
                return (await (await caches.open(name)).keys()).length;
            }"""
        )
        if kept >= pages:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the worker kept {kept} pages, not {pages}")


def violations(page):
    """axe-core (WCAG 2 A/AA), evaluated without lifting the page's CSP."""
    return [f"{v['id']}: {', '.join(v['nodes'])}" for v in axe(page, wcag_only=True, as_page_script=True)]


def photo_file(tmp_path) -> Path:
    """A phone camera's photo: 3,000 px wide, textured, so shrinking and sending are real work."""
    image = Image.effect_noise((3000, 2000), 60).convert("RGB")
    path = tmp_path / "ruong-a3.jpg"
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def badge(page):
    return page.locator("#outbox-badge")


def spray(page, product: str, applied: int, dose: str):
    page.goto("/inputs/new")
    page.get_by_label("Ngày phun, bón").fill(days_ago(applied).isoformat())
    page.get_by_label("Vật tư").select_option(label=product)
    page.get_by_label("Lượng dùng", exact=True).fill(dose)
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".outbox-status")).to_have_text("Đã lưu trên máy — sẽ gửi khi có mạng")


def test_recorded_offline_kept_through_a_restart_and_sent_once(app, phone, member, tmp_path):
    page = phone.open()
    log_in(page)
    wait_until_kept(page)
    screenshot(page, "offline-0-member-home")

    phone.offline()
    spray(page, "Emagold 6.5EC · cách ly 6 ngày", applied=10, dose="20")
    expect(badge(page)).to_have_text("1 chưa gửi")
    spray(page, "NPK 16-16-8", applied=2, dose="5")
    expect(badge(page)).to_have_text("2 chưa gửi")
    assert_fits(page)
    assert violations(page) == []
    page.goto("/harvests/new")
    page.get_by_label("Khối lượng (kg)").fill("42,5")
    page.locator("input[name=photo]").set_input_files(str(photo_file(tmp_path)))
    expect(page.locator("#phi-warning")).to_be_hidden()  # Emagold's six days ended four days ago
    page.get_by_role("button", name="Lưu").click()
    expect(badge(page)).to_have_text("4 chưa gửi")  # three records and the harvest's photo
    assert_fits(page)
    screenshot(page, "offline-1-harvest-saved-on-the-phone")

    phone.close()  # the phone is switched off in the field
    page = phone.open(offline=True)
    page.goto("/")
    expect(badge(page)).to_have_text("4 chưa gửi")
    page.goto("/outbox")
    expect(page.locator(".outbox-item")).to_have_count(3)
    expect(page.locator(".outbox-item .badge")).to_have_text(["Đã lưu trên máy"] * 3)
    expect(page.locator(".outbox-item img.thumb")).to_have_count(1)
    assert_fits(page)
    assert violations(page) == []
    screenshot(page, "offline-2-outbox-after-restart")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Event.uuid.is_not(None))) == 0

    phone.online()
    page.reload()
    page.get_by_role("button", name="Gửi ngay").click()
    expect(page.locator("#outbox-progress")).to_have_text("Đã gửi hết.", timeout=20000)
    expect(page.locator(".outbox-item .badge")).to_have_text(["Đã gửi"] * 3)
    expect(badge(page)).to_be_hidden()
    screenshot(page, "offline-3-outbox-sent")

    with app.app_context():
        sent = db.session.scalars(sa.select(Event).where(Event.uuid.is_not(None)).order_by(Event.id)).all()
        assert [e.kind.value for e in sent] == ["input_application", "input_application", "harvest"]
        assert all(e.saved_at and e.saved_at < e.recorded_at and not e.clock_suspect for e in sent)
        # The spray was written down ten days after. The two inputs depend on nothing and are sent
        # side by side, so either may be stored first; the harvest waits for both.
        assert sorted((e.kind.value, e.late) for e in sent) == [
            ("harvest", False),
            ("input_application", False),
            ("input_application", True),
        ]
        products = db.session.scalars(sa.select(InputApplication.trade_name).order_by(InputApplication.id)).all()
        assert sorted(products) == ["Emagold 6.5EC", "NPK 16-16-8"]  # in either order, as above
        lot = db.session.scalar(sa.select(Lot))
        assert lot.quantity == 42.5 and lot.event_id == sent[2].id
        photo = db.session.scalar(sa.select(Photo))
        assert photo.event_id == sent[2].id and max(photo.width, photo.height) <= 1600  # shrunk from 3,000 px
        assert chain.verify(member["org"]).ok

    # Every record sent again, as a phone does when it cannot tell whether answers arrived: nothing new.
    page.evaluate("""async () => {
        const scope = document.body.dataset.offlineScope;
        for (const r of (await Outbox.list(scope)).records) await Outbox.update(scope, r.uuid, {state: 'saved'});
        return Outbox.sync(scope);
    }""")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Event.uuid.is_not(None))) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1


def test_a_lost_answer_is_not_a_second_record_and_a_changed_one_is_a_conflict(app, phone, member):
    page = phone.open()
    log_in(page)
    lost = []

    def store_then_lose_the_answer(route):
        lost.append(route.fetch().status)  # the server stores it...
        route.abort("connectionreset")  # ...and the answer never reaches the phone

    # On the context: the worker's requests (a Background Sync) lose their answers too.
    phone.context.route("**/api/v1/harvests", store_then_lose_the_answer)
    page.goto("/harvests/new")
    page.get_by_label("Khối lượng (kg)").fill("5")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".outbox-status")).to_have_text("Đã lưu trên máy — sẽ gửi khi có mạng")
    expect(badge(page)).to_have_text("1 chưa gửi")
    page.wait_for_function("() => document.querySelector('.outbox-status').textContent.length")
    while not lost:
        page.wait_for_timeout(100)
    assert set(lost) == {201}  # stored on the server (and, resent meanwhile, answered from the store)
    phone.context.unroute("**/api/v1/harvests")

    page.goto("/outbox")
    expect(page.locator(".outbox-item .badge")).to_have_text(["Đã gửi"], timeout=20000)  # sent on opening
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lot)) == 1  # the resend wrote nothing

    # The same UUID with other content (edited after it had reached the server): a conflict, both kept.
    page.evaluate("""async () => {
        const scope = document.body.dataset.offlineScope;
        const [record] = (await Outbox.list(scope)).records;
        record.body.quantity_kg = "6";
        await Outbox.update(scope, record.uuid, {state: 'saved', body: record.body});
    }""")
    page.reload()
    expect(page.locator(".outbox-item .badge")).to_have_text(["Trùng mã"], timeout=20000)
    versions = page.locator(".outbox-item .conflict dl")
    expect(versions.locator("dt.differs")).to_have_text(["Khối lượng (kg)"])  # only what differs is marked
    expect(versions.locator("dd")).to_contain_text(["Bản trên máy này: 6", "Bản máy chủ đã nhận: 5"])
    assert_fits(page)
    assert violations(page) == []
    screenshot(page, "offline-4-conflict")

    page.get_by_role("button", name="Gửi bản của tôi thành bản ghi mới").click()
    expect(page.locator(".outbox-item .badge")).to_have_text(["Đã gửi"], timeout=20000)
    with app.app_context():
        assert sorted(str(q) for q in db.session.scalars(sa.select(Lot.quantity))) == ["5.000", "6.000"]
        assert chain.verify(member["org"]).ok


def test_a_harvest_inside_the_interval_is_refused_at_sync_kept_corrected_and_sent(app, phone, member):
    with app.app_context():
        org, manager = db.session.get(Organisation, member["org"]), db.session.get(User, member["manager"])
        make_spray(org, manager, db.session.get(Planting, member["planting"]), applied_days_ago=10, phi_days=6)
        db.session.commit()
    earliest = days_ago(4)  # Emagold 6.5EC, six days on its label, sprayed ten days ago
    page = phone.open()
    log_in(page)
    wait_until_kept(page)

    phone.offline()
    page.goto("/harvests/new")
    page.get_by_label("Ngày thu hoạch").fill(days_ago(8).isoformat())
    warning = page.locator("#phi-warning")
    expect(warning).to_have_text(f"Ruộng A3: được thu hoạch từ {earliest:%d/%m/%Y}")
    page.get_by_label("Khối lượng (kg)").fill("30")
    page.get_by_role("button", name="Lưu").click()  # the phone warns; the server judges
    expect(badge(page)).to_have_text("1 chưa gửi")

    phone.online()
    page.goto("/outbox")
    item = page.locator(".outbox-item")
    expect(item.locator(".badge")).to_have_text("Cần xem lại", timeout=20000)
    expect(item.locator(".error")).to_contain_text(f"{earliest:%d/%m/%Y}")
    assert_fits(page)
    assert violations(page) == []
    screenshot(page, "offline-5-needs-attention")

    item.get_by_role("link", name="Sửa").click()
    expect(page.get_by_label("Khối lượng (kg)")).to_have_value("30")
    expect(page.locator(".error").first).to_contain_text(f"{earliest:%d/%m/%Y}")
    page.get_by_label("Ngày thu hoạch").fill(days_ago(0).isoformat())
    expect(warning).to_be_hidden()
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r"/lots/\d+$"))
    with app.app_context():
        lots = db.session.scalars(sa.select(Lot)).all()
        assert len(lots) == 1 and lots[0].produced_on == days_ago(0) and lots[0].quantity == 30


def test_logging_out_keeps_the_records_and_forgets_the_pages_and_an_expired_session_asks_to_log_in(app, phone, member):
    page = phone.open()
    log_in(page)
    wait_until_kept(page)
    phone.offline()
    spray(page, "NPK 16-16-8", applied=1, dose="3")
    # Back in signal, but the server's API in trouble (pages load, sending fails): set before the
    # browser notices the network, or its Background Sync sends at once.
    phone.server.api_down = True
    phone.online()
    page.goto("/")
    expect(badge(page)).to_have_text("1 chưa gửi")
    scope = page.evaluate("document.body.dataset.offlineScope")

    page.get_by_role("button", name="Đăng xuất").click()  # warned (the dialog is accepted), then logged out
    page.wait_for_url(re.compile(r"/login"))
    assert page.evaluate("async () => (await caches.keys()).filter(k => k.startsWith('pages-'))") == []
    assert page.evaluate("async (scope) => (await Outbox.list(scope)).records.length", scope) == 1

    log_in(page)
    expect(badge(page)).to_have_text("1 chưa gửi")
    page.goto("/outbox")
    # Away again, and the session runs out meanwhile: judged by the server (every cookie it signed is
    # void now). Done while nothing is in flight, or a request begun before would sign a fresh cookie.
    phone.offline()
    page.wait_for_timeout(300)
    app.config["SECRET_KEY"] = "rotated while the phone was away"
    phone.server.api_down = False
    phone.online()
    page.get_by_role("button", name="Gửi ngay").click()
    expect(page.locator("#outbox-login")).to_contain_text("Hãy đăng nhập lại")
    expect(page.locator(".outbox-item .badge")).to_have_text(["Đã lưu trên máy"])
    screenshot(page, "offline-6-log-in-again")
    log_in(page)
    page.goto("/outbox")
    expect(page.locator(".outbox-item .badge")).to_have_text(["Đã gửi"], timeout=20000)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InputApplication)) == 1
