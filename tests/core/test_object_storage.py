"""Files in object storage through the S3 API (a moto server here; MinIO or any S3 service in production):
photos, evidence files and print-run PDFs are written to the bucket before their records, served back from
it, refused with a clear message when it cannot be reached (nothing half-written), and moved there from the
database by ``flask move-files``."""

from __future__ import annotations

import io
import socket
import time
import urllib.request

import boto3
import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer
from PIL import Image
from pypdf import PdfReader

from tests.conftest import login
from tests.factories import days_ago, make_bagged_lot, make_org, make_photo, make_planting, make_plot, make_user
from traceability.accounts.models import Role
from traceability.extensions import db
from traceability.farm.models import InputApplication
from traceability.farm.services import permitted
from traceability.jobs.models import Job, JobStatus
from traceability.jobs.runner import EmbeddedWorker
from traceability.photos.models import Photo

BUCKET = "truyxuat-files"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bucket(monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its buckets in the process, across servers: each test starts from none.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


def _use(app, endpoint: str) -> None:
    app.config.update(S3_BUCKET=BUCKET, S3_ENDPOINT_URL=endpoint, S3_REGION="us-east-1")
    app.extensions.pop("s3_client", None)


def _objects(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.fixture
def field(app, client):
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        planting = make_planting(org, manager, make_plot(org, code="A3", area="1500"), sown_days_ago=50)
        permitted.load_default_inputs(org)
        db.session.commit()
        ids = {"planting": planting.id, "org": org.id}
    login(client, "0911111111")
    return ids


def _jpeg(colour=(40, 140, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _spray(planting_id: int, photo: bytes) -> dict:
    return {
        "planting_id": planting_id,
        "applied_on": days_ago(1).isoformat(),
        "product": "Emagold 6.5EC",
        "dose": "25",
        "method": "phun",
        "photo": (io.BytesIO(photo), "IMG_0001.jpg"),
    }


def test_a_photo_is_kept_in_the_bucket_and_served_from_it(app, client, field, bucket):
    endpoint, s3 = bucket
    _use(app, endpoint)
    response = client.post("/inputs/new", data=_spray(field["planting"], _jpeg()), content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        photo = db.session.scalars(sa.select(Photo).options(sa.orm.undefer(Photo.image))).one()
        assert photo.image is None and photo.image_key.startswith(f"{field['org']}/photos/")
        keys = (photo.image_key, photo.thumbnail_key)
    assert _objects(s3) == sorted(keys)
    image = client.get(f"/photos/{photo.id}")
    assert image.status_code == 200 and image.data == s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    assert max(Image.open(io.BytesIO(client.get(f"/photos/{photo.id}/thumb").data)).size) == 320


def test_storage_that_cannot_be_reached_refuses_the_upload_and_writes_nothing(app, client, field, bucket):
    endpoint, s3 = bucket
    _use(app, f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    response = client.post("/inputs/new", data=_spray(field["planting"], _jpeg()), content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Không kết nối được kho tệp" in page
    assert 'value="25"' in page  # what was typed is still there
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Photo.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(InputApplication.id))) == 0

    # A photo stored while the bucket answered, read while it does not: a clear 503, never a 500.
    _use(app, endpoint)
    client.post("/inputs/new", data=_spray(field["planting"], _jpeg((9, 9, 9))), content_type="multipart/form-data")
    with app.app_context():
        photo_id = db.session.scalar(sa.select(Photo.id))
    _use(app, f"http://127.0.0.1:{_free_port()}")
    down = client.get(f"/photos/{photo_id}")
    assert down.status_code == 503 and "Không kết nối được kho tệp" in down.get_data(as_text=True)


def test_a_print_run_pdf_is_kept_in_the_bucket(app, client, bucket):
    endpoint, s3 = bucket
    app.config["REDIS_URL"] = None
    with app.app_context():
        lot = make_bagged_lot(units=30)
    _use(app, endpoint)
    login(client, "0988888888")
    with app.app_context():
        from traceability.lots.models import Lot

        lot_id = db.session.scalar(sa.select(Lot.id).where(Lot.code == lot["code"]))
    started = client.post(f"/lots/{lot_id}/print-runs", data={"size": "50x30", "per": "unit"})
    assert started.status_code == 302
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    worker = EmbeddedWorker(app, interval=0.1).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                if db.session.get(Job, job_id).status in (JobStatus.DONE, JobStatus.FAILED):
                    break
            time.sleep(0.1)
    finally:
        worker.stop()
    with app.app_context():
        job = db.session.scalars(sa.select(Job).where(Job.id == job_id).options(sa.orm.undefer(Job.result))).one()
        assert job.status is JobStatus.DONE, job.error
        assert job.result is None and job.result_key in _objects(s3)
    pdf = client.get(f"/jobs/{job_id}/download")
    assert pdf.status_code == 200 and len(PdfReader(io.BytesIO(pdf.data)).pages) >= 1


def test_move_files_takes_what_the_database_kept_to_the_bucket(app, client, bucket):
    endpoint, s3 = bucket
    with app.app_context():
        lot = make_bagged_lot()  # its photo kept in the database: no bucket yet
        org_id = lot["org_id"]
        from traceability.accounts.models import Organisation

        manager = make_user(db.session.get(Organisation, org_id), Role.MANAGER)
        make_photo(db.session.get(Organisation, org_id), manager)
        db.session.commit()
        before = {
            p.id: (p.image, p.thumbnail)
            for p in db.session.scalars(
                sa.select(Photo).options(sa.orm.undefer(Photo.image), sa.orm.undefer(Photo.thumbnail))
            )
        }
    assert len(before) == 2 and _objects(s3) == []
    _use(app, endpoint)
    moved = app.test_cli_runner().invoke(args=["move-files", "--batch", "1"])
    assert moved.exit_code == 0, moved.output
    assert "photos.image: 2 moved" in moved.output and "photos.thumbnail: 2 moved" in moved.output
    with app.app_context():
        photos = db.session.scalars(sa.select(Photo).options(sa.orm.undefer(Photo.image))).all()
        assert all(p.image is None for p in photos)
        # The same file twice is one object (its key is its hash): here both photos are the same picture.
        assert {k for p in photos for k in (p.image_key, p.thumbnail_key)} == set(_objects(s3))
    first, second = sorted(before)
    assert client.get(f"/public/photos/{first}.jpg").data == before[first][1]  # the lot's photo, public
    assert client.get(f"/public/photos/{second}.jpg").status_code == 404  # a photo of no lot record, not
    login(client, "0988888888")
    assert client.get(f"/photos/{first}").data == before[first][0]
    again = app.test_cli_runner().invoke(args=["move-files"])
    assert again.exit_code == 0 and "photos.image: 0 moved" in again.output
