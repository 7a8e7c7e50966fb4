"""OCOP dossiers: pre-filled from records built here, overrides with reasons, the path and who may
take each step, evidence files checked by content, the PDF and ZIP, the API and the officials' view."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from PIL import Image

from tests.conftest import login, needs_tool
from tests.factories import days_ago, make_harvest, make_ocop_certificate, make_org, make_planting, make_plot, make_user
from traceability.accounts.models import OrganisationKind, Role
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.lots import trade
from traceability.lots.processing import pack
from traceability.ocop import services, workflow
from traceability.ocop.attachments import attach
from traceability.ocop.models import DossierStatus, OcopDossier, OcopTransition
from traceability.products import services as products
from traceability.quality.certificates import save_certificate
from traceability.quality.models import Certificate, CertificateKind

SET1 = "qd26-2026-set01"


def _pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 200, 200)).save(buffer, "PDF")
    return buffer.getvalue()


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 120, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def build_melon_coop() -> dict:
    """Tây Hoàng: 3 plots (2 under VietGAP), 300 kg own harvest + 100 kg bought from outside the
    province, packed into bags; 2 of 3 sales under an invoice; a food-safety certificate."""
    org = make_org("tay-hoang", name="HTX khổ qua Tây Hoàng")
    manager = make_user(org, Role.MANAGER, login="0911000001")
    member = make_user(org, Role.MEMBER, login="0911000002")
    product = products.save_product(
        org,
        None,
        code="KQ",
        name_vi="Khổ qua Tây Hoàng",
        kind="fresh",
        unit="kg",
        gtin="09520123000011",
        shelf_life_days=10,
        storage_instructions="Nơi mát",
    )
    plots = [make_plot(org, code=f"A{n}", area="2000") for n in range(3)]
    save_certificate(
        org,
        manager,
        kind="vietgap",
        number="VG-01",
        issuer="VIETCERT",
        valid_from=days_ago(100),
        valid_to=days_ago(-600),
        plot_ids=[plots[0].id, plots[1].id],
    )
    save_certificate(
        org,
        manager,
        kind="food_safety",
        number="ATTP-9",
        issuer="Chi cục",
        valid_from=days_ago(100),
        valid_to=days_ago(-600),
    )
    harvests = [
        make_harvest(org, manager, make_planting(org, manager, plot, sown_days_ago=70), days_ago_=5, kg="100")
        for plot in plots
    ]
    bought = trade.receive_lot(
        org,
        manager,
        supplier_name="Đại lý Bình Dương",
        supplier_lot_code="X1",
        crop="Khổ qua",
        quantity=Decimal(100),
        unit="kg",
        received_on=days_ago(5),
    )
    bags = []
    for lot in [*harvests, bought]:
        bags.append(
            pack(
                org,
                manager,
                source_lot_code=lot.code,
                product_code="KQ",
                units=10,
                net_content=Decimal(10),
                net_unit="kg",
                packed_on=days_ago(4),
                serials=True,
            )
        )
    for bag, invoice in zip(bags[:3], ("HĐ 1", "HĐ 2", None), strict=True):
        trade.record_sale(
            org,
            manager,
            lot_code=bag.code,
            buyer_name="Siêu thị Huế",
            buyer_kind="supermarket",
            quantity=Decimal(5),
            sold_on=days_ago(2),
            invoice_ref=invoice,
        )
    commune = make_org("ubnd-quang-thai", kind=OrganisationKind.COMMUNE_AUTHORITY, name="UBND xã Quảng Thái")
    province = make_org("ubnd-hue", kind=OrganisationKind.PROVINCE_AUTHORITY, name="UBND thành phố Huế")
    make_user(commune, Role.OFFICIAL, login="0922000001")
    make_user(province, Role.OFFICIAL, login="0933000001")
    db.session.commit()
    return {"org": org, "manager": manager, "member": member, "product": product}


@pytest.fixture
def coop(ctx):
    return build_melon_coop()


def _answers(dossier) -> dict:
    return {a.criterion_id: a for a in dossier.answers}


def test_records_prefill_the_answers_they_can(coop):
    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    answers = _answers(dossier)
    share = answers["A1.1"]
    assert "75" in share.evidence_text() and share.option_n == 3  # 300 of 400 kg local: 75–100 % → option 3
    assert (
        "VG-01" in answers["A1.2"].evidence_text() and "2" in answers["A1.2"].evidence_text()
    )  # 2 of 3 plots certified
    assert answers["A1.2"].option_n is not None
    assert "66,7" in answers["A1.5"].evidence_text()  # 2 of 3 sales (10 of 15 bags) under an invoice
    assert answers["A3.1"].option_n is not None and "Hợp tác xã" in answers["A3.1"].evidence_text()
    assert "mã QR" in answers["A2.3"].evidence_text() and answers["A2.3"].option_n is not None
    assert "ATTP-9" in answers["C10.1"].evidence_text()
    story = answers["B5.1"]
    assert "chưa có câu chuyện" in story.evidence_text()
    coop["product"].story = "<p>Khổ qua <script>x</script>Tây Hoàng</p>"
    services.refresh_from_records(dossier)
    assert "hiện trên trang truy xuất" in _answers(dossier)["B5.1"].evidence_text()


def test_overriding_the_records_needs_a_reason_and_survives_a_refresh(coop):
    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    suggested = _answers(dossier)["A1.1"].suggested_n
    with pytest.raises(DomainError) as error:
        services.save_answer(dossier, "A1.1", 1)
    assert error.value.field == "override_reason"
    services.save_answer(dossier, "A1.1", 1, override_reason="Một phần nguyên liệu mua ngoài tỉnh chưa ghi.")
    services.refresh_from_records(dossier)
    answer = _answers(dossier)["A1.1"]
    assert answer.option_n == 1 and answer.suggested_n == suggested and answer.override_reason
    with pytest.raises(DomainError):
        services.save_answer(dossier, "A1.1", 99, override_reason="x")
    with pytest.raises(DomainError):
        services.save_answer(dossier, "Z9.9", 1)


def _complete(dossier, coop):
    criteria_set = services.criteria_set_of(dossier)
    answers = _answers(dossier)
    for criterion in criteria_set.criteria:
        answer = answers.get(criterion.id)
        if answer is None or answer.option_n is None:
            services.save_answer(
                dossier,
                criterion.id,
                criterion.options[-1].n,
                override_reason="Theo hồ sơ giấy" if answer and answer.suggested_n else None,
            )
    dossier.results_year, dossier.revenue_vnd, dossier.profit_vnd = 2025, Decimal(850_000_000), Decimal(120_000_000)
    dossier.plan = "Mở rộng vùng trồng VietGAP lên 5 ha."
    coop["product"].story = "<p>Khổ qua Tây Hoàng trồng bên sông.</p>"
    attach(dossier, coop["manager"], title="Giấy đăng ký HTX", filename="dang-ky.pdf", data=_pdf_bytes())


def test_submission_lists_what_is_missing_then_goes_through(coop):
    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    with pytest.raises(DomainError) as error:
        workflow.take_step(dossier, coop["manager"], "submit")
    assert "doanh thu" in error.value.message and "tiêu chí" in error.value.message
    _complete(dossier, coop)
    transition = workflow.take_step(dossier, coop["manager"], "submit")
    assert dossier.status is DossierStatus.SUBMITTED and transition.actor_id == coop["manager"].id
    assert workflow.review_due(dossier) > dossier.submitted_on
    with pytest.raises(DomainError):
        services.save_answer(dossier, "A1.1", 2, override_reason="x")  # with the commune now: frozen


def test_who_may_take_each_step(coop):
    from traceability.accounts.models import User

    def user(phone):
        return db.session.scalar(sa.select(User).where(User.phone == phone))

    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    _complete(dossier, coop)
    commune, province = user("0922000001"), user("0933000001")
    with pytest.raises(workflow.NotAllowed):
        workflow.take_step(dossier, coop["member"], "submit")  # a member cannot submit
    with pytest.raises(workflow.NotAllowed):
        workflow.take_step(dossier, commune, "submit")  # nor can an official, for the producer
    workflow.take_step(dossier, coop["manager"], "submit")
    with pytest.raises(DomainError) as error:
        workflow.take_step(dossier, commune, "return_commune")
    assert error.value.field == "comment"
    workflow.take_step(dossier, commune, "return_commune", comment="Bổ sung phiếu kiểm nghiệm.")
    assert dossier.status is DossierStatus.RETURNED
    workflow.take_step(dossier, coop["manager"], "submit")
    assessment = {
        "local_raw_material": "100% tại xã",
        "local_labour": "Lao động tại xã",
        "origin_of_idea": "Sản phẩm truyền thống",
        "local_identity": "Giống địa phương",
    }
    with pytest.raises(workflow.NotAllowed):
        workflow.take_step(dossier, province, "review", assessment=assessment)  # the commune reviews, not the province
    workflow.take_step(dossier, commune, "review", assessment=assessment)
    workflow.take_step(dossier, commune, "send")
    for who in (coop["member"], coop["manager"], commune):
        with pytest.raises(workflow.NotAllowed):
            workflow.take_step(dossier, who, "rate", stars=4, decision_number="QĐ 1/QĐ-UBND")
    workflow.take_step(dossier, province, "rate", stars=4, decision_number="QĐ 1/QĐ-UBND", decided_on=days_ago(0))
    certificate = db.session.get(Certificate, dossier.certificate_id)
    assert dossier.status is DossierStatus.RATED and certificate.kind is CertificateKind.OCOP
    assert certificate.stars == 4 and certificate.products == [coop["product"]]
    assert (certificate.valid_to - certificate.valid_from).days in range(1090, 1097)  # 36 months
    steps = db.session.scalars(
        sa.select(OcopTransition.to_status).where(OcopTransition.dossier_id == dossier.id).order_by(OcopTransition.id)
    ).all()
    assert [s.value for s in steps] == ["submitted", "returned", "submitted", "reviewed", "sent", "rated"]


def test_attachments_are_judged_by_content(coop):
    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    for data in (b"%PDF-1.4 not really", b"MZ\x90\x00 an exe", _png_bytes()[:40], b""):
        with pytest.raises(DomainError) as error:
            attach(dossier, coop["manager"], title="Giả", filename="giay.pdf", data=data)
        assert error.value.field == "file"
    pdf = attach(dossier, coop["manager"], title="Đăng ký", filename="Giấy ĐK.pdf", data=_pdf_bytes())
    png = attach(dossier, coop["manager"], title="Ảnh", filename="anh.pdf", data=_png_bytes())
    assert (pdf.mimetype, png.mimetype, png.filename) == ("application/pdf", "image/png", "anh.png")


def test_web_pages_and_permissions(app, client):
    with app.app_context():
        coop = build_melon_coop()
        dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
        db.session.commit()
        dossier_id, org_id = dossier.id, coop["org"].id
    login(client, "0911000001")
    page = client.get(f"/ocop/dossiers/{dossier_id}")
    assert page.status_code == 200 and "Khổ qua Tây Hoàng" in page.get_data(as_text=True)
    part = client.get(f"/ocop/dossiers/{dossier_id}/part/A").get_data(as_text=True)
    assert "A1.1" in part and "từ dữ liệu" in part and 'href="/certificates"' in part
    kept = client.post(f"/ocop/dossiers/{dossier_id}/part/A", data={"c-A1.1": "1", "c-A3.2": "2"})
    assert kept.status_code == 200 and "ghi lý do" in kept.get_data(as_text=True)
    big = client.post(
        f"/ocop/dossiers/{dossier_id}/attachments",
        data={"title": "Quá lớn", "file": (io.BytesIO(b"%PDF-" + b"0" * (11 * 1024 * 1024)), "lon.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert big.status_code == 200 and "10 MB" in big.get_data(as_text=True)
    client.post("/logout")
    login(client, "0922000001")  # the commune's official reads the producer's dossier, changes nothing
    assert "Mở hồ sơ" not in client.get("/ocop/overview").get_data(as_text=True)  # a draft is the producer's own
    opened = client.post("/organisation", data={"organisation_id": org_id, "next": f"/ocop/dossiers/{dossier_id}"})
    assert opened.headers["Location"].endswith(f"/ocop/dossiers/{dossier_id}")
    evil = client.post("/organisation", data={"organisation_id": org_id, "next": "//evil.example/x"})
    assert "evil" not in evil.headers["Location"]
    assert client.get(f"/ocop/dossiers/{dossier_id}").status_code == 200
    assert client.post(f"/ocop/dossiers/{dossier_id}/part/A", data={"c-A1.1": "1"}).status_code == 403
    assert client.post(f"/ocop/dossiers/{dossier_id}/details", data={"plan": "x"}).status_code == 403


LOCAL_EN = "75 % of the raw material of the last 12 months is local: 300 kg from the organisation's own plots"
LOCAL_VI = "75 % nguyên liệu của 12 tháng qua là của địa phương: 300 kg từ ruộng của đơn vị"


@needs_tool("pdftotext")
def test_what_the_records_show_reads_in_the_readers_language(app, client):
    """Refreshed by a manager reading English, the records' findings read in English on an English page,
    in Vietnamese on a Vietnamese one and in the PDF the commune receives."""
    with app.app_context():
        coop = build_melon_coop()
        # As the manager's POST of the form would: a GET that wrote would have to say so first.
        with app.test_request_context("/?lang=en", method="POST"), force_locale("en"):
            dossier = services.start_dossier(
                coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1
            )
        db.session.commit()
        dossier_id = dossier.id
    login(client, "0911000001")
    english = client.get(f"/ocop/dossiers/{dossier_id}/part/A?lang=en").get_data(as_text=True)
    vietnamese = client.get(f"/ocop/dossiers/{dossier_id}/part/A?lang=vi").get_data(as_text=True)
    assert LOCAL_EN.replace("'", "&#39;") in english and LOCAL_VI not in english
    assert LOCAL_VI in vietnamese and "of the raw material" not in vietnamese
    pdf = client.get(f"/ocop/dossiers/{dossier_id}/dossier.pdf?lang=en").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    text = " ".join(text.split())  # table cells break lines
    assert LOCAL_VI in text and "of the raw material" not in text and "Registered as" not in text
    assert "Còn thiếu: kế hoạch sắp tới (Mẫu 02, phần IV)" in text and "the plan ahead" not in text


@needs_tool("pdftotext")
def test_dossier_pdf_and_zip(coop, runner, tmp_path):
    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    _complete(dossier, coop)
    db.session.commit()
    out = tmp_path / "dossier.pdf"
    result = runner.invoke(args=["dossier", "pdf", str(dossier.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, check=True).stdout.decode()
    pages = text.count("\f")
    for expected in (
        "HỒ SƠ ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP",
        "Mẫu 01. PHIẾU ĐĂNG KÝ SẢN PHẨM OCOP",
        "Mẫu 02. BÁO CÁO TỰ ĐÁNH GIÁ",
        "Khổ qua Tây Hoàng",
        "HTX khổ qua Tây Hoàng",
        "850.000.000",
        "Mở rộng vùng trồng VietGAP",
        "DANH MỤC MINH CHỨNG",
        "Giấy đăng ký HTX",
        "CÂU CHUYỆN SẢN PHẨM",
        "trồng bên sông",
        f"Trang 1 / {pages}",
        f"Trang {pages} / {pages}",
        "Mẫu 03",
    ):
        assert expected in text, expected
    ids = [c.id for c in services.criteria_set_of(dossier).criteria]
    positions = [text.index(f"{cid} ") for cid in ids]
    assert positions == sorted(positions)  # the self-score in criterion order
    assert runner.invoke(args=["dossier", "pdf", "999999", "-o", str(out)]).exit_code != 0
    archive = tmp_path / "dossier.zip"
    assert runner.invoke(args=["dossier", "zip", str(dossier.id), "-o", str(archive)]).exit_code == 0
    names = zipfile.ZipFile(archive).namelist()
    assert names == [f"ho-so-ocop-{dossier.id}.pdf", "minh-chung/01-dang-ky.pdf"]


def test_api_lists_the_sets_and_scores_answers(app, client):
    from traceability.accounts.tokens import create_token

    with app.app_context():
        org = make_org("ubnd-hue", kind=OrganisationKind.PROVINCE_AUTHORITY)
        user = make_user(org, Role.OFFICIAL)
        _token, secret = create_token(user, org, "phần mềm chấm điểm")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    sets = client.get("/api/v1/ocop/criteria-sets", headers=headers).get_json()["criteria_sets"]
    assert {"qd26-2026-set01", "qd26-2026-set07", "qd26-2026-set20"} <= {s["id"] for s in sets}
    first = next(s for s in sets if s["id"] == SET1)
    best = {c["id"]: c["options"][-1]["n"] for p in first["parts"] for s in p["sections"] for c in s["criteria"]}
    scored = client.post("/api/v1/ocop/score", json={"set": SET1, "answers": best}, headers=headers).get_json()
    assert scored["total"] == 100 and scored["stars"] == 5 and scored["parts"] == {"A": 40, "B": 25, "C": 35}
    bad = client.post("/api/v1/ocop/score", json={"set": SET1, "answers": {"A1.1": 99}}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "A1.1"
    assert client.post("/api/v1/ocop/score", json={"set": "nope", "answers": {}}, headers=headers).status_code == 422
    assert client.post("/api/v1/ocop/score", json={"set": SET1, "answers": [1]}, headers=headers).status_code == 400
    # A blank cell of a scoring sheet is "not answered", as null is.
    blank = client.post("/api/v1/ocop/score", json={"set": SET1, "answers": {**best, "A1.1": ""}}, headers=headers)
    assert blank.status_code == 200 and blank.get_json()["parts"]["A"] < 40


def test_officials_overview_draws_charts_and_expiries(app, client):
    with app.app_context():
        coop = build_melon_coop()
        make_ocop_certificate(
            coop["org"],
            coop["manager"],
            coop["product"].id,
            number="QĐ 5",
            valid=(900, 150),
        )
        services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
        db.session.commit()
    login(client, "0922000001")
    page = client.get("/ocop/overview").get_data(as_text=True)
    assert page.count("<svg") >= 3 and "★★★" in page
    assert "150" in page and "hồ sơ đánh giá lại" in page.lower()  # inside the 180–120-day window
    assert "3 / 4" in page  # 3 of 4 sale lots reach a plot; the bought-in one does not


def test_every_bar_of_the_overview_opens_the_list_behind_it(app, client):
    with app.app_context():
        coop = build_melon_coop()
        make_ocop_certificate(coop["org"], coop["manager"], coop["product"].id, number="QĐ 5", valid=(900, 150))
        draft = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
        db.session.commit()
        draft_id, product_name, producer = draft.id, coop["product"].name_vi, coop["org"].name
    login(client, "0922000001")
    page = client.get("/ocop/overview").get_data(as_text=True)
    links = [link.replace("&amp;", "&") for link in re.findall(r'<a href="([^"]+)" aria-label=', page)]
    assert "/ocop/overview/dossiers?status=draft" in links and f"/ocop/overview/dossiers?set={SET1}" in links
    assert "/ocop/overview?stars=3#traceable" in links
    for link in links:
        assert client.get(link).status_code == 200, link
    drafts = client.get("/ocop/overview/dossiers?status=draft").get_data(as_text=True)
    assert product_name in drafts and f'value="/ocop/dossiers/{draft_id}"' in drafts  # a draft, reachable
    assert producer in drafts
    assert "Tất cả hồ sơ" in client.get("/ocop/overview/dossiers?status=nonsense&set=%00").get_data(as_text=True)
    rated = client.get("/ocop/overview?stars=3").get_data(as_text=True)
    assert product_name in rated.split('id="traceable"')[1]
    assert product_name not in client.get("/ocop/overview?stars=5").get_data(as_text=True).split('id="traceable"')[1]
    producer_client = app.test_client()
    login(producer_client, "0911000001")
    assert producer_client.get("/ocop/overview/dossiers").status_code == 404  # a producer oversees no one


def test_rerating_window_and_working_days():
    import datetime as dt

    assert workflow.add_working_days(dt.date(2026, 11, 27), 1) == dt.date(2026, 11, 30)  # Friday → Monday
    assert workflow.add_working_days(dt.date(2026, 11, 23), 15) == dt.date(2026, 12, 14)
    certificate = Certificate(valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2028, 12, 31))
    assert workflow.rerating_window(certificate) == (dt.date(2028, 7, 4), dt.date(2028, 9, 2))
    assert workflow.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert OcopDossier.__tablename__ == "ocop_dossiers"


def test_producer_is_reminded_of_returns_and_rerating(coop):
    from traceability.accounts.models import User
    from traceability.ocop.overview import producer_reminders

    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    _complete(dossier, coop)
    workflow.take_step(dossier, coop["manager"], "submit")
    commune = db.session.scalar(sa.select(User).where(User.phone == "0922000001"))
    workflow.take_step(dossier, commune, "return_commune", comment="Thiếu phiếu kiểm nghiệm.")
    make_ocop_certificate(
        coop["org"],
        coop["manager"],
        coop["product"].id,
        number="QĐ 7",
        valid=(900, 150),
    )
    make_ocop_certificate(
        coop["org"],
        coop["manager"],
        coop["product"].id,
        stars=4,
        number="QĐ 8",
        valid=(10, 1000),
    )
    reminders = producer_reminders(coop["org"].id)
    assert [(r.text_key, r.comment or r.certificate.number) for r in reminders] == [
        ("returned", "Thiếu phiếu kiểm nghiệm."),
        ("rerating", "QĐ 7"),
    ]


def test_hostile_input_on_dossier_pages_gets_messages_not_500(app, client):
    import random

    with app.app_context():
        coop = build_melon_coop()
        dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
        db.session.commit()
        dossier_id = dossier.id
    login(client, "0911000001")
    part = f"/ocop/dossiers/{dossier_id}/part/A"
    for data in ({"c-A1.3": "²"}, {"c-A1.3": "1", "note-A1.3": "a\x00b"}, {"c-A1.1": "1", "reason-A1.1": "\x00"}):
        assert client.post(part, data=data).status_code in (200, 302), data
    details = client.post(
        f"/ocop/dossiers/{dossier_id}/details",
        data={"results_year": "2025", "revenue_vnd": "9" * 30, "profit_vnd": "1", "plan": "x", "story": "<p>x</p>"},
    )
    assert details.status_code == 200 and "Số phải" in details.get_data(as_text=True)
    no_file = client.post(
        f"/ocop/dossiers/{dossier_id}/attachments", data={"title": "Thiếu tệp"}, follow_redirects=True
    )
    assert no_file.status_code == 200 and "Chọn một tệp" in no_file.get_data(as_text=True)
    upload = client.post(
        f"/ocop/dossiers/{dossier_id}/attachments",
        data={"title": "Giấy phép", "file": (io.BytesIO(_pdf_bytes()), "Giấy phép kinh doanh.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    with app.app_context():
        from traceability.ocop.models import OcopAttachment

        attachment_id = db.session.scalar(sa.select(OcopAttachment.id))
    download = client.get(f"/ocop/attachments/{attachment_id}")
    disposition = download.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what a WSGI server must be able to send
    assert "filename*=UTF-8''Gi%E1%BA%A5y" in disposition
    # Damaged PDFs make pypdf raise all sorts of errors: each is "not a PDF", never a 500.
    rng, good = random.Random(7), _pdf_bytes()
    with app.app_context():
        from traceability.accounts.models import User

        record = db.session.get(OcopDossier, dossier_id)

        user = db.session.scalar(sa.select(User).where(User.phone == "0911000001"))
        for _ in range(60):
            damaged = bytearray(good)
            for _ in range(5):
                damaged[rng.randrange(10, len(damaged))] = rng.randrange(256)
            try:
                attach(record, user, title="x", filename="x.pdf", data=bytes(damaged))
            except DomainError:
                pass
        db.session.rollback()
        record.criteria_set = "qd99-removed"
        db.session.commit()
    gone = client.get(f"/ocop/dossiers/{dossier_id}", follow_redirects=True)
    assert gone.status_code == 200 and "không còn được cài đặt" in gone.get_data(as_text=True)


def test_a_refresh_keeps_an_answer_the_records_cannot_give(coop):
    dossier = services.start_dossier(coop["org"], coop["manager"], product_id=coop["product"].id, criteria_set=SET1)
    assert _answers(dossier)["C9.1"].suggested_n is None  # no declaration recorded
    services.save_answer(dossier, "C9.1", 1)
    services.refresh_from_records(dossier)
    assert _answers(dossier)["C9.1"].option_n == 1


def test_shares_are_compared_before_rounding_and_in_the_sets_own_scope(coop):
    from traceability.ocop.prefill import local_raw_material_share, option_for

    org, manager = coop["org"], coop["manager"]
    neighbour = trade.receive_lot(
        org,
        manager,
        supplier_name="Đại lý xã Phú Vang",
        supplier_lot_code="P1",
        crop="Khổ qua",
        quantity=Decimal(100),
        unit="kg",
        received_on=days_ago(3),
    )
    neighbour_party = db.session.get(type(neighbour.supplier), neighbour.supplier_id)
    neighbour_party.address = "Xã Phú Vang, Thành phố Huế"
    pack(
        org,
        manager,
        source_lot_code=neighbour.code,
        product_code="KQ",
        units=10,
        net_content=Decimal(10),
        net_unit="kg",
        packed_on=days_ago(2),
    )
    commune = local_raw_material_share(org, coop["product"], {"scope": "commune"})
    province = local_raw_material_share(org, coop["product"], {"scope": "province"})
    assert commune.value == 60 and province.value == 80  # 300 own + 100 Huế + 100 Bình Dương
    shares = {"above": [[75, 3]], "at_least": [[50, 2], [0, 1]]}
    assert option_for(shares, Decimal("75.05")) == 3 and option_for(shares, Decimal(75)) == 2
    assert option_for({"at_least": [[75, 3], [50, 2], [0, 1]]}, Decimal("74.975")) == 2
