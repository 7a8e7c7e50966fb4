"""Long print runs off the request path, on both back-ends: the embedded worker and RQ with Redis."""

import io
import os
import sys
import time
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.conftest import login, make_app
from tests.factories import days_ago, make_harvest, make_org, make_planting, make_plot, make_user
from traceability.accounts.models import Role
from traceability.config import ConfigError
from traceability.extensions import db
from traceability.jobs.models import Job, JobStatus
from traceability.jobs.runner import EmbeddedWorker, rq_queue
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.products import services as products

UNITS = 300  # 300 labels of 50×30 mm: 3 × 9 = 27 to an A4 page, so 12 pages


@pytest.fixture
def sale_lot(app):
    with app.app_context():
        org = make_org("nghe-lai-ha")
        org.address_line = "Thôn Lai Hà"
        manager = make_user(org, Role.MANAGER, login="0988888888")
        planting = make_planting(org, manager, make_plot(org, code="N1", area="3000"), sown_days_ago=280, crop="Nghệ")
        harvest = make_harvest(org, manager, planting, days_ago_=2, kg="1000")
        products.save_product(
            org,
            None,
            code="TBN",
            name_vi="Tinh bột nghệ",
            kind="processed",
            unit="kg",
            gtin="09520123000035",
            shelf_life_days=365,
            ingredients="Nghệ 100%",
            usage_instructions="Pha nước ấm",
        )
        (starch,) = record_processing(
            org,
            manager,
            processed_on=days_ago(2),
            inputs=[RunInput(harvest.code, Decimal(1000))],
            outputs=[RunOutput("TBN", Decimal(40))],
        ).outputs
        lot = pack(
            org,
            manager,
            source_lot_code=starch.code,
            product_code="TBN",
            units=UNITS,
            net_content=Decimal(100),
            net_unit="g",
            packed_on=days_ago(1),
            serials=True,
        )
        db.session.commit()
        return lot.id


def start_run(client, lot_id) -> str:
    login(client, "0988888888")
    response = client.post(f"/lots/{lot_id}/print-runs", data={"size": "50x30", "per": "unit"})
    assert response.status_code == 302
    return response.headers["Location"]


def wait_for(app, job_id, seconds=120) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(Job, job_id)
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                return job
        time.sleep(0.3)
    raise AssertionError("the print run did not finish")


def check_result(app, client, job_url):
    job_id = int(job_url.rsplit("/", 1)[1])
    job = wait_for(app, job_id)
    assert job.status is JobStatus.DONE, job.error
    assert (job.done, job.total) == (UNITS, UNITS)
    page = client.get(job_url).get_data(as_text=True)
    assert "/download" in page
    pdf = client.get(f"{job_url}/download")
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) == -(-UNITS // 27)


def test_embedded_worker_runs_a_long_print(app, client, sale_lot):
    app.config["REDIS_URL"] = None  # the embedded back-end, even where CI provides a Redis
    job_url = start_run(client, sale_lot)
    # Queued (no worker yet, so no race): the page refreshes itself until the job ends.
    assert "refresh" in client.get(job_url).get_data(as_text=True)
    worker = EmbeddedWorker(app, interval=0.2).start()
    try:
        check_result(app, client, job_url)
    finally:
        worker.stop()


def test_a_failed_run_can_be_retried(app, client, sale_lot):
    from traceability.jobs import runner

    app.config["REDIS_URL"] = None
    job_url = start_run(client, sale_lot)
    job_id = int(job_url.rsplit("/", 1)[1])
    handlers = app.extensions["job_handlers"]
    original = handlers["print_run"]
    handlers["print_run"] = lambda job, report: (_ for _ in ()).throw(RuntimeError("printer on fire"))
    with app.app_context():
        assert runner.claim(job_id) == job_id
        runner.execute(job_id)
    handlers["print_run"] = original
    assert "printer on fire" in client.get(job_url).get_data(as_text=True)
    client.post(f"{job_url}/retry")
    worker = EmbeddedWorker(app, interval=0.2).start()
    try:
        check_result(app, client, job_url)
    finally:
        worker.stop()
    with app.app_context():
        assert db.session.get(Job, job_id).attempts == 2


def test_rq_workers_run_the_print(app, client, sale_lot, monkeypatch):
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: .ci/run starts redis-server for this test")
        pytest.skip("no Redis (set REDIS_URL to run the RQ back-end)")
    from redis import Redis
    from rq import Queue, SimpleWorker

    # The worker process builds its own app from the environment, as `rq worker` would.
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    app.config["REDIS_URL"] = url
    connection = Redis.from_url(url)
    queue = Queue("traceability", connection=connection)
    queue.empty()
    job_url = start_run(client, sale_lot)
    assert queue.count == 1
    SimpleWorker([queue], connection=connection).work(burst=True)
    check_result(app, client, job_url)
    connection.close()
    import gc

    gc.collect()  # a connection the worker left open would warn here, in this test, not in a later one


def test_redis_url_without_the_rq_extra_stops_the_app_with_what_to_install(tmp_path, monkeypatch):
    # None in sys.modules makes `import rq` fail just as it does where the extra is not installed.
    monkeypatch.setitem(sys.modules, "rq", None)
    assert make_app(tmp_path, REDIS_URL=None).config["REDIS_URL"] is None  # the default needs no rq
    with pytest.raises(ConfigError, match=r"^REDIS_URL is set, but the rq extra .* pip install -e '\.\[rq\]'"):
        make_app(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="the rq extra"):
        rq_queue("redis://127.0.0.1:6379/0")
