"""A figure reads the same wherever it is stated: the dossier page, its PDF, the API, the dashboard
and the officials' overview.

Each figure is computed by one function (``ocop.figures``, ``quality.services.certified_plots``);
this test reads the demo's dossier on every surface and compares what each prints with that one
computation, so a second way of counting (as the dashboard once counted plots by their own status
while the dossier counted certificates) fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from traceability import demo
from traceability.accounts.models import Organisation, User
from traceability.accounts.tokens import create_token
from traceability.clock import local_today
from traceability.extensions import db
from traceability.i18n import format_number
from traceability.ocop import figures
from traceability.ocop.models import OcopDossier
from traceability.quality.services import certified_plots

MANAGER, OFFICIAL = "0900000002", "canbo@quangthai.example"


def _text(html: str) -> str:
    """A page's words, tags dropped and spaces (no-break ones too) collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\xa0", " "))


def _signed_in(app, login: str):
    client = app.test_client()
    assert client.post("/login", data={"login": login, "password": demo.DEMO_PASSWORD}).status_code == 302
    return client


@pytest.fixture
def dossier(demo_app):
    """The demo's dossier, what the one functions compute for it, and a manager's API token."""
    with demo_app.app_context():
        record = db.session.scalars(sa.select(OcopDossier).order_by(OcopDossier.id)).first()
        user = db.session.scalar(sa.select(User).where(User.phone == MANAGER))
        _token, secret = create_token(user, db.session.get(Organisation, record.organisation_id), "figures")
        dossier_id = record.id
        db.session.commit()
    with demo_app.test_request_context(), force_locale("vi"):
        record = db.session.get(OcopDossier, dossier_id)
        org = db.session.get(Organisation, record.organisation_id)
        production = figures.of_dossier(record)
        certified = certified_plots(org.id, local_today())
        sale_lots, traced = figures.sale_lots([org.id])[record.product_id]
        year = production.volumes[0]
        facts = {
            "id": record.id,
            "area": format_number(production.area_m2, 0),
            "households": production.households,
            "year": year.year,
            "harvested_kg": format_number(year.harvested[next(iter(year.harvested))], 1),
            "raw_kg": format_number(year.raw_material[next(iter(year.raw_material))], 1),
            "certified": len(certified.plots),
            "of_plots": certified.of_plots,
            "certified_area": format_number(certified.area_m2, 0),
            "sale_lots": sale_lots,
            "traced": traced,
            "production": production,
        }
    return facts | {"secret": secret}


def test_the_demo_dossier_states_figures_that_need_reading_together(dossier):
    """The figures the issue found disagreeing, now each computed once and kept apart by name."""
    assert dossier["certified"] == 8 and dossier["of_plots"] == 14
    assert dossier["harvested_kg"] != dossier["raw_kg"]  # the coop's whole harvest, and what this product used


def test_page_pdf_and_api_state_the_same_mau_02_figures(demo_app, dossier):
    client = _signed_in(demo_app, MANAGER)
    page = _text(client.get(f"/ocop/dossiers/{dossier['id']}?lang=vi").get_data(as_text=True))
    for shown in (
        f"{dossier['area']} m²",
        f"{dossier['households']} hộ",
        f"{dossier['harvested_kg']} kg",
        f"{dossier['raw_kg']} kg",
    ):
        assert shown in page, shown

    pdf = client.get(f"/ocop/dossiers/{dossier['id']}/dossier.pdf").data
    if shutil.which("pdftotext") or os.environ.get("CI"):  # in CI the tool must be there
        text = re.sub(
            r"\s+", " ", subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode()
        )
        for shown in (f"{dossier['area']} m²", f"{dossier['households']} hộ", f"{dossier['harvested_kg']} kg"):
            assert shown in text, shown
        assert f"{dossier['raw_kg']} kg" in text
        assert f"{dossier['certified']} trên {dossier['of_plots']} thửa" in text  # A1.2's evidence

    api = client.get(
        f"/api/v1/ocop/dossiers/{dossier['id']}", headers={"Authorization": f"Bearer {dossier['secret']}"}
    ).get_json()
    production = dossier["production"]
    assert api["figures"]["households"] == production.households
    assert api["figures"]["area_m2"] == f"{production.area_m2.normalize():f}"
    year = api["figures"]["volumes"][0]
    assert year["year"] == dossier["year"]
    assert year["harvested"] == {u.value: f"{q.normalize():f}" for u, q in production.volumes[0].harvested.items()}
    assert year["raw_material"] == {
        u.value: f"{q.normalize():f}" for u, q in production.volumes[0].raw_material.items()
    }
    answers = {a["criterion"]: a for a in api["answers"]}
    assert answers["A1.2"]["finding"]["plots"] == dossier["certified"]
    assert answers["A1.2"]["finding"]["of_plots"] == dossier["of_plots"]
    assert answers["A2.3"]["finding"]["lots"] == dossier["sale_lots"]


def test_dashboard_and_dossier_count_the_same_certified_plots(demo_app, dossier):
    client = _signed_in(demo_app, MANAGER)
    home = _text(client.get("/?lang=vi").get_data(as_text=True))
    assert f"{dossier['certified']} đã chứng nhận" in home, home[home.find("VietGAP") - 200 :][:600]
    assert f"{dossier['certified_area']} m²" in home
    part = _text(client.get(f"/ocop/dossiers/{dossier['id']}/part/A?lang=vi").get_data(as_text=True))
    assert f"{dossier['certified']} trên {dossier['of_plots']} thửa, {dossier['certified_area']} m²" in part


def test_overview_counts_the_sale_lots_the_dossier_states(demo_app, dossier):
    official = _signed_in(demo_app, OFFICIAL)
    overview = _text(official.get("/ocop/overview?lang=vi").get_data(as_text=True))
    assert f"{dossier['traced']} / {dossier['sale_lots']}" in overview
    manager = _signed_in(demo_app, MANAGER)
    part = _text(manager.get(f"/ocop/dossiers/{dossier['id']}/part/A?lang=vi").get_data(as_text=True))
    assert f"({dossier['sale_lots']} lô," in part  # A2.3's evidence
