"""Every route that takes a record id, checked one by one: another organisation's record is a 404.

The routes are read from the app's URL map, so a new route with a record id is covered (or this
test fails and asks for a factory) without anyone remembering to add it.
"""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import (
    days_ago,
    make_harvest,
    make_household,
    make_inspection,
    make_org,
    make_photo,
    make_planting,
    make_plot,
    make_product,
    make_spray,
    make_user,
    make_village,
)
from traceability.accounts.models import OrganisationKind, Role
from traceability.extensions import db
from traceability.farm.models import (
    Household,
    InputApplication,
    PermittedInput,
    Planting,
    Plot,
    Village,
)
from traceability.farm.services import permitted as permitted_list
from traceability.jobs.models import Job, JobStatus
from traceability.jobs.runner import enqueue
from traceability.lots import recalls
from traceability.lots.models import Lot, ProcessingYield, Recall
from traceability.lots.yields import save_processing_yield
from traceability.ocop import services as ocop
from traceability.ocop.attachments import attach
from traceability.ocop.models import OcopAttachment, OcopDossier
from traceability.photos.models import Photo
from traceability.products.models import Product
from traceability.quality import services as quality
from traceability.quality.models import Inspection, NonConformity

# First path segment of a route -> (model, attribute that a change would alter)
RECORD_ROUTES = {
    "villages": Village,
    "households": Household,
    "plots": Plot,
    "products": Product,
    "plantings": Planting,
    "inputs": InputApplication,
    "permitted_inputs": PermittedInput,
    "lots": Lot,
    "inspections": Inspection,
    "non_conformities": NonConformity,
    "photos": Photo,
    "recalls": Recall,
    "processing_yields": ProcessingYield,
    "jobs": Job,
    "ocop/dossiers": OcopDossier,
    "ocop/attachments": OcopAttachment,
}
NAMESPACES = ("ocop",)  # features whose records sit one segment deeper: /ocop/dossiers/<id>


def _prefix(rule) -> str:
    parts = rule.rule.strip("/").split("/")
    return "/".join(parts[:2]) if parts[0] in NAMESPACES else parts[0]


@pytest.fixture
def two_orgs(app):
    with app.app_context():
        a = make_org("org-a")
        b = make_org("org-b")
        make_user(a, Role.ADMIN, login="0911111111")
        make_user(b, Role.ADMIN, login="0922222222")
        admin_a = make_user(a, Role.ADMIN, login="0933333333")
        village = make_village(a, "Thôn Bí Mật")
        household = make_household(a, village, "Hộ Bí Mật")
        plot = make_plot(a, village, household, code="SECRET-PLOT")
        product = make_product(a, code="SECRET-PRODUCT")
        planting = make_planting(a, admin_a, plot)
        spray = make_spray(a, admin_a, planting, applied_days_ago=30)
        lot = make_harvest(a, admin_a, planting)
        permitted = permitted_list.save_permitted_input(
            a, None, trade_name="Bí Mật 1EC", kind="plant_protection", phi_days=3
        )
        inspection = make_inspection(a, admin_a, plot)
        quality.record_results(inspection, {"VG-PPP-1": ("fail", "Bí Mật")})
        nc = quality.add_non_conformity(
            inspection, criterion_id="VG-PPP-1", corrective_action="Bí Mật", due_on=inspection.inspected_on
        )
        photo = make_photo(a, admin_a, spray.event_id)
        recall = recalls.open_recall(
            a, admin_a, lot_code=make_harvest(a, admin_a, planting).code, reason="Bí Mật", opened_on=days_ago(0)
        )
        expected = save_processing_yield(
            a,
            None,
            input_name="Bí Mật",
            output_product_id=product.id,
            min_ratio=Decimal("0.1"),
            max_ratio=Decimal("0.2"),
        )
        job = enqueue(a.id, admin_a.id, "print_run", {"lot_id": lot.id})
        job.status, job.result, job.result_name = JobStatus.DONE, b"%PDF-1.7 Bi Mat", "bi-mat.pdf"
        dossier = ocop.start_dossier(a, admin_a, product_id=product.id, criteria_set="qd26-2026-set01")
        attachment = attach(dossier, admin_a, title="Bí Mật", filename="bi-mat.png", data=_png())
        db.session.commit()
        return {
            "ocop/dossiers": dossier.id,
            "ocop/attachments": attachment.id,
            "jobs": job.id,
            "processing_yields": expected.id,
            "villages": village.id,
            "households": household.id,
            "plots": plot.id,
            "products": product.id,
            "plantings": planting.id,
            "inputs": spray.id,
            "permitted_inputs": permitted.id,
            "lots": lot.id,
            "inspections": inspection.id,
            "non_conformities": nc.id,
            "photos": photo.id,
            "recalls": recall.id,
        }


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _url(rule, record_id: int) -> str:
    url = rule.rule.replace("<int:record_id>", str(record_id)).replace("<int:group>", "0")
    url = url.replace("<part>", "A").replace("<name>", "send")
    url = re.sub(r"<any\((\w+)[^>]*>", r"\1", url)  # the first of the allowed values
    return url.replace("<fmt>", "epcis.jsonld")


def record_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "record_id" in rule.arguments]


def test_every_record_route_has_a_factory(app):
    prefixes = {_prefix(rule) for rule in record_rules(app)}
    assert prefixes <= set(RECORD_ROUTES), f"add a record for {prefixes - set(RECORD_ROUTES)}"
    assert prefixes  # the test must see routes, or it proves nothing


def test_other_organisations_records_answer_404_on_every_route(app, client, two_orgs):
    login(client, "0922222222")
    checked = 0
    for rule in record_rules(app):
        prefix = _prefix(rule)
        url = _url(rule, two_orgs[prefix])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"name": "hacked", "code": "HACKED", "archived": "1"})
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            checked += 1
    assert checked >= 12
    with app.app_context():
        for prefix, model in RECORD_ROUTES.items():
            record = db.session.get(model, two_orgs[prefix])
            assert getattr(record, "archived_at", None) is None
            assert getattr(record, "name", None) != "hacked" and getattr(record, "code", None) != "HACKED"


def test_the_owner_gets_200_on_the_same_routes(app, client, two_orgs):
    """The counterpart of the 404 test: the routes do exist for the owning organisation."""
    login(client, "0911111111")
    for rule in record_rules(app):
        if "GET" not in rule.methods:
            continue
        prefix = _prefix(rule)
        response = client.get(_url(rule, two_orgs[prefix]))
        # 302: the page sent the owner back with a message (a harvest lot has no label to print).
        assert response.status_code in (200, 302), rule.rule


def test_lists_show_only_own_records(client, two_orgs):
    login(client, "0922222222")
    for path in (
        "/villages",
        "/households",
        "/plots",
        "/products",
        "/",
        "/plantings",
        "/lots",
        "/inspections",
        "/certificates",
        "/permitted_inputs",
        "/sales/new",
        "/packing/new",
        "/processing/new",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "Bí Mật" not in page and "SECRET-PLOT" not in page and "SECRET-PRODUCT" not in page, path


def test_cannot_attach_another_organisations_village(app, client, two_orgs):
    login(client, "0922222222")
    response = client.post(
        "/plots/new",
        data={
            "code": "X1",
            "name": "X",
            "village_id": two_orgs["villages"],
            "area_m2": "100",
            "crop": "Khổ qua",
            "vietgap_status": "none",
        },
    )
    assert response.status_code == 200
    response = client.post("/households/new", data={"name": "X", "village_id": two_orgs["villages"]})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Plot.id)).where(Plot.code == "X1")) == 0


def test_switching_to_a_foreign_organisation_is_404(app, client, two_orgs):
    login(client, "0922222222")
    with app.app_context():
        org_a_id = db.session.get(Village, two_orgs["villages"]).organisation_id
    assert client.post("/organisation", data={"organisation_id": org_a_id}).status_code == 404
    assert client.post("/organisation", data={"organisation_id": "nonsense"}).status_code == 404


@pytest.fixture
def official(app):
    """A commune official, a producer in the commune and one in another commune."""
    with app.app_context():
        authority = make_org("ubnd-quang-thai", kind=OrganisationKind.COMMUNE_AUTHORITY)
        local = make_org("tay-hoang", name="HTX Tây Hoàng")
        far = make_org("far-away", commune="Xã Khác", name="HTX Xa")
        make_user(authority, Role.OFFICIAL, login="canbo@quangthai.example")
        make_plot(local, code="LOCAL-1")
        make_plot(far, code="FAR-1")
        db.session.commit()
        return {"local": local.id, "far": far.id}


def test_official_reads_producers_of_the_commune(client, official):
    login(client, "canbo@quangthai.example")
    page = client.get("/").get_data(as_text=True)
    assert "HTX Tây Hoàng" in page and "HTX Xa" not in page
    assert client.post("/organisation", data={"organisation_id": official["local"]}).status_code == 302
    assert "LOCAL-1" in client.get("/plots").get_data(as_text=True)


def test_official_changes_nothing(app, client, official):
    login(client, "canbo@quangthai.example")
    client.post("/organisation", data={"organisation_id": official["local"]})
    with app.app_context():
        plot_id = db.session.scalar(sa.select(Plot.id).where(Plot.code == "LOCAL-1"))
    assert client.get("/plots/new").status_code == 403
    assert client.post(f"/plots/{plot_id}/edit", data={"name": "x"}).status_code == 403
    assert client.post(f"/plots/{plot_id}/archive", data={"archived": "1"}).status_code == 403


def test_official_cannot_open_another_commune(client, official):
    login(client, "canbo@quangthai.example")
    assert client.post("/organisation", data={"organisation_id": official["far"]}).status_code == 404


def test_province_official_reads_every_commune(app, client, official):
    with app.app_context():
        province = make_org("ubnd-hue", kind=OrganisationKind.PROVINCE_AUTHORITY, commune="")
        make_user(province, Role.OFFICIAL, login="tinh@hue.example")
        db.session.commit()
    login(client, "tinh@hue.example")
    assert client.post("/organisation", data={"organisation_id": official["far"]}).status_code == 302
