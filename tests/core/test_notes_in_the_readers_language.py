"""A note about a record is stored as facts and worded when read: an English manager records a banned
spray and an implausible harvest, and the Vietnamese reader, the English reader and the Vietnamese
diary PDF each read the same record in their own words."""

import subprocess

import pytest
import sqlalchemy as sa

from tests.conftest import login, needs_tool
from tests.factories import days_ago, make_household, make_org, make_planting, make_plot, make_user, make_village
from traceability.accounts.models import Role
from traceability.extensions import db
from traceability.farm.services import permitted
from traceability.lots.models import Lot

BANNED_EN = "Banned active ingredient chlorpyrifos ethyl applied on {date} (TB Dietray 700WP)."
BANNED_VI = "Đã dùng hoạt chất bị cấm chlorpyrifos ethyl ngày {date} (TB Dietray 700WP)."
# 1,500 m² of bitter melon give at most 6 kg/m²: 9,000 kg in the season.
YIELD_EN = "This season's harvests (9,500 kg) exceed the plausible 9,000 kg for 1,500 m² of Khổ qua (mướp đắng)."
YIELD_VI = "Sản lượng thu hoạch của mùa vụ này (9.500 kg) vượt mức hợp lý 9.000 kg cho 1.500 m² Khổ qua (mướp đắng)."


@pytest.fixture
def recorded_in_english(app, client):
    """A planting with a banned spray and a flagged harvest, both recorded by a manager reading English."""
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        village = make_village(org, "Tây Hoàng")
        plot = make_plot(org, village, make_household(org, village, "Trần Thị Bé"), code="A3", area="1500")
        planting_id = make_planting(org, manager, plot, sown_days_ago=60).id
        permitted.load_default_inputs(org)
        db.session.commit()
    login(client, "0911111111")
    sprayed = days_ago(30)
    response = client.post(
        "/inputs/new?lang=en",
        data={
            "planting_id": planting_id,
            "applied_on": sprayed.isoformat(),
            "product": "__other__",
            "trade_name": "TB Dietray 700WP",
            "kind": "plant_protection",
            "active_ingredient": "chlorpyrifos ethyl + imidacloprid",
            "phi_days": "14",
        },
    )
    assert response.status_code == 302
    for kg in ("5000", "4500"):
        response = client.post(
            "/harvests/new?lang=en",
            data={"planting_id": planting_id, "harvested_on": days_ago(1).isoformat(), "quantity_kg": kg},
        )
        assert response.status_code == 302
    with app.app_context():
        lot_id = db.session.scalar(sa.select(Lot.id).where(Lot.yield_flagged.is_(True)))
    return {"planting": planting_id, "lot": lot_id, "date": sprayed.strftime("%d/%m/%Y")}


def test_the_planting_note_reads_in_the_pages_language(client, recorded_in_english):
    url = f"/plantings/{recorded_in_english['planting']}"
    date = recorded_in_english["date"]
    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    vietnamese = client.get(f"{url}?lang=vi").get_data(as_text=True)
    assert BANNED_EN.format(date=date) in english and BANNED_VI.format(date=date) not in english
    assert BANNED_VI.format(date=date) in vietnamese and BANNED_EN.format(date=date) not in vietnamese


def test_the_yield_note_reads_in_the_pages_language(client, recorded_in_english):
    url = f"/lots/{recorded_in_english['lot']}"
    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    vietnamese = client.get(f"{url}?lang=vi").get_data(as_text=True)
    assert YIELD_EN.replace("'", "&#39;") in english and YIELD_VI not in english
    assert YIELD_VI in vietnamese and "exceed the plausible" not in vietnamese


@needs_tool("pdftotext")
def test_the_diary_pdf_is_vietnamese_for_an_english_reader(client, recorded_in_english):
    response = client.get(f"/plantings/{recorded_in_english['planting']}/diary.pdf?lang=en")
    assert response.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True).stdout
    text = " ".join(text.decode().split())  # pdftotext breaks long cells into lines
    date = recorded_in_english["date"]
    assert BANNED_VI.format(date=date) in text
    assert "Banned" not in text and "applied on" not in text
