"""The field forms through HTTP: photos checked on upload, nothing half-written, the diary PDF."""

import io
import subprocess

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.conftest import login, needs_tool
from tests.factories import (
    days_ago,
    make_harvest,
    make_household,
    make_inspection,
    make_org,
    make_planting,
    make_plot,
    make_spray,
    make_user,
    make_village,
)
from traceability.accounts.models import Role
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.models import InputApplication
from traceability.farm.services import permitted
from traceability.photos.models import Photo


@pytest.fixture
def field(app, client):
    with app.app_context():
        org = make_org("tay-hoang", name="Hợp tác xã khổ qua Tây Hoàng")
        manager = make_user(org, Role.MANAGER, login="0911111111", name="Nguyễn Thị Hoa")
        village = make_village(org, "Tây Hoàng")
        household = make_household(org, village, "Trần Thị Bé")
        plot = make_plot(org, village, household, code="A3", area="1500")
        planting = make_planting(org, manager, plot, sown_days_ago=50)
        permitted.load_default_inputs(org)
        db.session.commit()
        ids = {"planting": planting.id, "org": org.id}
    login(client, "0911111111")
    return ids


def spray_form(planting_id, **extra):
    return {
        "planting_id": planting_id,
        "applied_on": days_ago(1).isoformat(),
        "product": "Emagold 6.5EC",
        "dose": "25",
        "method": "phun",
        **extra,
    }


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (16.0, 34.0, 12.0), 3: "E", 4: (107.0, 30.0, 5.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 140, 60)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(model.id)))


def test_an_executable_as_photo_is_refused_and_nothing_is_written(app, client, field):
    events_before = count(app, Event)
    data = spray_form(field["planting"], photo=(io.BytesIO(b"MZ" + bytes(5000)), "anh.jpg", "image/jpeg"))
    response = client.post("/inputs/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tệp này không phải là ảnh" in page
    assert 'value="25"' in page and 'value="phun"' in page
    assert count(app, InputApplication) == 0 and count(app, Event) == events_before


def test_a_50mb_photo_is_refused_with_the_input_kept(app, client, field):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    data = spray_form(field["planting"])
    data["photo"] = FileStorage(io.BytesIO(b"\xff\xd8" + bytes(50 * 1024 * 1024)), "big.jpg", "photo")
    # Encoded in memory: the test client's own temporary file would otherwise be left open.
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    response = client.post(
        "/inputs/new",
        input_stream=stream,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ảnh lớn hơn 10 MB" in page and 'value="25"' in page
    assert count(app, InputApplication) == 0


def test_a_phone_photo_is_stored_without_location(app, client, field):
    data = spray_form(field["planting"], photo=(io.BytesIO(jpeg_with_gps()), "IMG_0001.jpg"))
    response = client.post("/inputs/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        photo_id = db.session.scalar(sa.select(Photo.id))
    image = client.get(f"/photos/{photo_id}")
    assert image.mimetype == "image/jpeg"
    assert b"GPS" not in image.data and not Image.open(io.BytesIO(image.data)).getexif()
    thumb = Image.open(io.BytesIO(client.get(f"/photos/{photo_id}/thumb").data))
    assert max(thumb.size) == 320


def test_spray_page_refuses_future_date_and_missing_phi(app, client, field):
    response = client.post("/inputs/new", data=spray_form(field["planting"], applied_on=days_ago(-2).isoformat()))
    assert "Ngày này ở tương lai" in response.get_data(as_text=True)
    response = client.post(
        "/inputs/new",
        data=spray_form(field["planting"], product="__other__", trade_name="Thuốc mới", kind="plant_protection"),
    )
    assert response.status_code == 200 and 'value="Thuốc mới"' in response.get_data(as_text=True)
    assert count(app, InputApplication) == 0


def test_harvest_page_refuses_during_phi_with_the_earliest_date(app, client, field):
    client.post("/inputs/new", data=spray_form(field["planting"], applied_on=days_ago(3).isoformat()))
    response = client.post(
        "/harvests/new",
        data={"planting_id": field["planting"], "quantity_kg": "120", "harvested_on": days_ago(0).isoformat()},
    )
    page = response.get_data(as_text=True)
    earliest = days_ago(-3).strftime("%d/%m/%Y")  # sprayed 3 days ago, Emagold's PHI is 6 days
    assert f"Ngày sớm nhất được thu hoạch là {earliest}" in page and 'value="120"' in page


@needs_tool("pdftotext")
def test_diary_pdf_holds_the_season(app, client, field):
    with app.app_context():
        from traceability.accounts.models import Organisation, User
        from traceability.farm.models import Planting

        org = db.session.get(Organisation, field["org"])
        manager = db.session.scalar(sa.select(User).where(User.phone == "0911111111"))
        planting = db.session.get(Planting, field["planting"])
        make_spray(org, manager, planting, applied_days_ago=20, phi_days=6)
        lot = make_harvest(org, manager, planting, days_ago_=2, kg="180")
        make_inspection(org, manager, planting.plot)
        db.session.commit()
        code = lot.code
    response = client.get(f"/plantings/{field['planting']}/diary.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    for expected in (
        "NHẬT KÝ SẢN XUẤT",
        "A3",
        "Trần Thị Bé",
        "Emagold 6.5EC",
        "6 ngày",
        code,
        "180 kg",
        "Hợp tác xã khổ qua Tây Hoàng",
        "Kiểm tra nội bộ",
        "Trang 1",
    ):
        assert expected in text, expected
