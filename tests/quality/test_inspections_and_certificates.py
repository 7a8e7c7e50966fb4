"""Internal inspections per criterion, non-conformities, sign-off, certificates and their expiry."""

import datetime as dt

import pytest

from tests.factories import days_ago, make_inspection, make_org, make_plot, make_user
from traceability.accounts.models import Role
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.quality import services as quality
from traceability.quality.certificates import save_certificate
from traceability.quality.models import Result


@pytest.fixture
def setup(ctx):
    org = make_org("tay-hoang")
    inspector = make_user(org, Role.INSPECTOR)
    return org, inspector


def all_pass(inspection, **overrides):
    criteria = quality.criteria_by_id(quality.checklist())
    answers = {cid: ("pass", None) for cid in criteria}
    answers.update(overrides)
    quality.record_results(inspection, answers)


def test_checklist_is_versioned_data_with_legal_basis():
    data = quality.checklist()
    assert data["version"] == "TCVN 11892-1:2017" and "11892" in data["legal_basis"]
    criteria = quality.criteria_by_id(data)
    assert len(data["groups"]) >= 12 and len(criteria) >= 40
    assert all(c["text_vi"] and c["text_en"] for c in criteria.values())


def test_results_per_criterion_and_sign_off_rules(setup):
    org, inspector = setup
    inspection = make_inspection(org, inspector)
    quality.record_results(inspection, {"VG-PPP-1": ("pass", None), "VG-WAT-1": ("fail", "Chưa xét nghiệm nước")})
    with pytest.raises(DomainError, match="criteria|tiêu chí"):
        quality.sign_off(inspection, inspector)  # not every criterion answered
    all_pass(inspection, **{"VG-WAT-1": ("fail", "Chưa xét nghiệm nước"), "VG-CMP-1": ("na", None)})
    with pytest.raises(DomainError, match="VG-WAT-1"):
        quality.sign_off(inspection, inspector)  # a failure without a corrective action
    with pytest.raises(DomainError):
        quality.add_non_conformity(inspection, criterion_id="VG-PPP-1", corrective_action="x", due_on=days_ago(0))
    quality.add_non_conformity(
        inspection, criterion_id="VG-WAT-1", corrective_action="Lấy mẫu nước gửi xét nghiệm", due_on=days_ago(-30)
    )
    quality.sign_off(inspection, inspector)
    assert inspection.signed_off_at is not None
    results = {r.criterion_id: r.result for r in inspection.results}
    assert results["VG-WAT-1"] is Result.FAIL and results["VG-CMP-1"] is Result.NOT_APPLICABLE
    with pytest.raises(DomainError):
        quality.record_results(inspection, {"VG-PPP-1": ("fail", "late change")})


def test_unknown_criterion_is_refused(setup):
    org, inspector = setup
    with pytest.raises(DomainError):
        quality.record_results(make_inspection(org, inspector), {"VG-NOPE-9": ("pass", None)})


def test_overdue_actions_and_inspection_due_on_the_dashboard(setup):
    org, inspector = setup
    today = days_ago(0)
    alerts = quality.quality_alerts(org.id, today)
    assert alerts.inspection_due and not alerts.overdue
    inspection = make_inspection(org, inspector)
    all_pass(inspection, **{"VG-WAT-1": ("fail", "Chưa xét nghiệm")})
    nc = quality.add_non_conformity(
        inspection, criterion_id="VG-WAT-1", corrective_action="Xét nghiệm", due_on=inspection.inspected_on
    )
    quality.sign_off(inspection, inspector)
    alerts = quality.quality_alerts(org.id, today)
    assert not alerts.inspection_due
    assert [n.id for n in alerts.overdue] == [nc.id]
    quality.close_non_conformity(nc, closed_on=today, note="Đã có kết quả")
    assert quality.quality_alerts(org.id, today).overdue == []
    # Thirteen months on, the inspection is too old again.
    assert quality.quality_alerts(org.id, today + dt.timedelta(days=400)).inspection_due


@pytest.mark.parametrize(
    "days_left, warned", [(200, False), (91, False), (90, True), (31, True), (30, True), (0, True), (-1, False)]
)
def test_certificate_expiry_warnings(setup, days_left, warned):
    org, inspector = setup
    today = days_ago(0)
    save_certificate(
        org,
        inspector,
        kind="vietgap",
        number="VG-9",
        issuer="VIETCERT",
        valid_from=today - dt.timedelta(days=600),
        valid_to=today + dt.timedelta(days=days_left),
    )
    expiring = quality.quality_alerts(org.id, today).expiring
    assert bool(expiring) is warned
    if warned:
        assert expiring[0][1] == days_left


def test_certificate_scope_stays_in_the_organisation(setup):
    org, inspector = setup
    foreign = make_plot(make_org("other"))
    with pytest.raises(DomainError) as error:
        save_certificate(
            org,
            inspector,
            kind="vietgap",
            number="X",
            issuer="Y",
            valid_from=days_ago(1),
            valid_to=days_ago(-1),
            plot_ids=[foreign.id],
        )
    assert error.value.field == "plot_ids"


def test_inspection_pages_one_group_at_a_time(app, client):
    from tests.conftest import login

    with app.app_context():
        org = make_org("coop")
        make_user(org, Role.INSPECTOR, login="0944444444")
        plot = make_plot(org, code="A1")
        db.session.commit()
        plot_id = plot.id
        today = days_ago(0)
        first_group = quality.checklist()["groups"][0]
    login(client, "0944444444")
    response = client.post(
        "/inspections/new", data={"scope": "plot", "plot_id": plot_id, "inspected_on": today.isoformat()}
    )
    group_url = response.headers["Location"]
    page = client.get(group_url).get_data(as_text=True)
    ids = [c["id"] for c in first_group["criteria"]]
    # A failure without a note is refused and what was chosen stays chosen.
    data = {f"result-{cid}": "pass" for cid in ids}
    data[f"result-{ids[0]}"] = "fail"
    response = client.post(group_url, data=data)
    assert response.status_code == 200
    assert f'name="result-{ids[1]}" value="pass" checked' in response.get_data(as_text=True)
    data[f"note-{ids[0]}"] = "Chưa có"
    response = client.post(group_url, data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/groups/1")
    assert ids[0] in page


def test_a_criterion_can_carry_a_photo(app, client):
    import io

    from PIL import Image

    from tests.conftest import login

    with app.app_context():
        org = make_org("coop")
        inspector = make_user(org, Role.INSPECTOR, login="0944444444")
        inspection = make_inspection(org, inspector)
        db.session.commit()
        ids = [c["id"] for c in quality.checklist()["groups"][0]["criteria"]]
        inspection_id = inspection.id
    login(client, "0944444444")
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 90, 10)).save(buffer, "JPEG")
    data = {f"result-{cid}": "pass" for cid in ids}
    data[f"photo-{ids[0]}"] = (io.BytesIO(buffer.getvalue()), "ruong.jpg")
    response = client.post(f"/inspections/{inspection_id}/groups/0", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/inspections/{inspection_id}/groups/0").get_data(as_text=True)
    assert "/photos/" in page
    bad = {f"result-{cid}": "pass" for cid in ids}
    bad[f"photo-{ids[1]}"] = (io.BytesIO(b"#!/bin/sh\nrm -rf /\n" * 50), "script.jpg")
    response = client.post(f"/inspections/{inspection_id}/groups/0", data=bad, content_type="multipart/form-data")
    assert response.status_code == 200 and "Tệp này không phải là ảnh" in response.get_data(as_text=True)
