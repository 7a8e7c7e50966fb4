"""Registry pages: create, edit, archive; bad input comes back with the message and the input kept."""

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import (
    make_household,
    make_org,
    make_plot,
    make_product,
    make_user,
    make_village,
)
from traceability.accounts.models import Organisation, Role
from traceability.extensions import db
from traceability.farm.models import Household, Plot, Village
from traceability.products.models import Product


@pytest.fixture
def org(app):
    with app.app_context():
        org = make_org("tay-hoang")
        make_user(org, Role.MANAGER, login="0911111111")
        make_user(org, Role.MEMBER, login="0922222222")
        make_user(org, Role.INSPECTOR, login="0933333333")
        village = make_village(org, "Tây Hoàng")
        make_household(org, village, "Nguyễn Văn An")
        db.session.commit()
        return org.id


@pytest.fixture
def manager(client, org):
    login(client, "0911111111")
    return client


def _village_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(Village.id).where(Village.name == "Tây Hoàng"))


def test_manager_adds_household_plot_and_product(app, manager):
    village_id = _village_id(app)
    response = manager.post(
        "/households/new", data={"name": "Trần Thị Bé", "village_id": village_id, "phone": "0912 345 678"}
    )
    assert response.status_code == 302
    with app.app_context():
        household = db.session.scalar(sa.select(Household).where(Household.name == "Trần Thị Bé"))
        assert household.phone == "0912345678"
        household_id = household.id
    response = manager.post(
        "/plots/new",
        data={
            "code": "A3",
            "name": "Ruộng A3",
            "village_id": village_id,
            "household_id": household_id,
            "area_m2": "1.500",
            "crop": "Khổ qua",
            "vietgap_status": "converting",
        },
    )
    assert response.status_code == 302
    response = manager.post(
        "/products/new",
        data={
            "code": "KQ-TUOI",
            "name_vi": "Khổ qua tươi",
            "kind": "fresh",
            "unit": "kg",
            "gtin": "9520123456788",
            "shelf_life_days": "10",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        plot = db.session.scalar(sa.select(Plot).where(Plot.code == "A3"))
        assert plot.area_m2 == 1500 and plot.household_id == household_id
        assert db.session.scalar(sa.select(Product.gtin)) == "09520123456788"
    page = manager.get("/plots").get_data(as_text=True)
    assert "A3 · Ruộng A3" in page and "1.500&nbsp;m²" in page


def test_wrong_gtin_is_refused_and_input_kept(manager):
    response = manager.post(
        "/products/new",
        data={
            "code": "KQ-TUOI",
            "name_vi": "Khổ qua tươi Tây Hoàng",
            "kind": "fresh",
            "unit": "kg",
            "gtin": "08931234567895",
            "ingredients": "Khổ qua 100%",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "GTIN này không hợp lệ" in page
    assert 'value="08931234567895"' in page
    assert 'value="Khổ qua tươi Tây Hoàng"' in page
    assert "Khổ qua 100%" in page


@pytest.mark.parametrize(
    "data, field_message",
    [
        ({"code": "", "name": "Ruộng", "area_m2": "100", "crop": "Khổ qua"}, "Vui lòng điền"),
        ({"code": "A1", "name": "Ruộng", "area_m2": "-5", "crop": "Khổ qua"}, "Diện tích phải lớn hơn 0"),
        ({"code": "A1", "name": "Ruộng", "area_m2": "nhiều", "crop": "Khổ qua"}, "Nhập một số"),
        ({"code": "A 1", "name": "Ruộng", "area_m2": "100", "crop": "Khổ qua"}, "không có khoảng trắng"),
    ],
)
def test_bad_plot_input_comes_back_with_a_message(app, manager, data, field_message):
    data = {"village_id": _village_id(app), "vietgap_status": "none", **data}
    response = manager.post("/plots/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_message in page
    assert f'value="{data["name"]}"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Plot.id))) == 0


def test_duplicate_plot_code_is_refused(app, manager):
    with app.app_context():
        village = db.session.get(Village, _village_id(app))
        make_plot(db.session.get(Organisation, village.organisation_id), village, code="A1")
        db.session.commit()
    response = manager.post(
        "/plots/new",
        data={
            "code": "A1",
            "name": "Khác",
            "village_id": _village_id(app),
            "area_m2": "100",
            "crop": "Khổ qua",
            "vietgap_status": "none",
        },
    )
    assert response.status_code == 200
    assert "A1 đã được dùng" in response.get_data(as_text=True)


def test_unknown_village_is_refused(manager):
    response = manager.post(
        "/plots/new",
        data={
            "code": "A1",
            "name": "Ruộng",
            "village_id": "99999",
            "area_m2": "100",
            "crop": "Khổ qua",
            "vietgap_status": "none",
        },
    )
    assert response.status_code == 200
    assert "Lựa chọn không hợp lệ" in response.get_data(as_text=True)


def test_garbage_in_select_and_integer_fields_is_not_a_500(manager):
    response = manager.post(
        "/plots/new",
        data={
            "code": "A1",
            "name": "R",
            "village_id": "abc",
            "household_id": "x",
            "area_m2": "1e999999",
            "crop": "K",
            "vietgap_status": "nonsense",
        },
    )
    assert response.status_code == 200
    response = manager.post(
        "/products/new", data={"code": "P", "name_vi": "P", "kind": "fresh", "unit": "kg", "shelf_life_days": "ten"}
    )
    assert response.status_code == 200


def test_edit_keeps_other_values(app, manager):
    village_id = _village_id(app)
    manager.post(
        "/plots/new",
        data={
            "code": "A3",
            "name": "Ruộng A3",
            "village_id": village_id,
            "area_m2": "1500",
            "crop": "Khổ qua",
            "vietgap_status": "none",
        },
    )
    with app.app_context():
        plot_id = db.session.scalar(sa.select(Plot.id))
    form = manager.get(f"/plots/{plot_id}/edit").get_data(as_text=True)
    assert 'value="1500"' in form
    manager.post(
        f"/plots/{plot_id}/edit",
        data={
            "code": "A3",
            "name": "Ruộng A3 mới",
            "village_id": village_id,
            "area_m2": "1600,5",
            "crop": "Khổ qua",
            "vietgap_status": "certified",
        },
    )
    with app.app_context():
        plot = db.session.get(Plot, plot_id)
        assert (plot.name, str(plot.area_m2), plot.vietgap_status.value) == ("Ruộng A3 mới", "1600.50", "certified")


def test_archive_hides_and_restore_brings_back(app, manager):
    with app.app_context():
        village = db.session.get(Village, _village_id(app))
        plot = make_plot(db.session.get(Organisation, village.organisation_id), village, code="Z9")
        db.session.commit()
        plot_id = plot.id
    manager.post(f"/plots/{plot_id}/archive", data={"archived": "1"})
    assert "Z9 · Ruộng" not in manager.get("/plots").get_data(as_text=True)
    assert "Z9 · Ruộng" in manager.get("/plots?archived=1").get_data(as_text=True)
    manager.post(f"/plots/{plot_id}/archive", data={"archived": "0"})
    assert "Z9 · Ruộng" in manager.get("/plots").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Plot, plot_id) is not None  # never deleted


def test_archived_village_is_not_offered_for_new_plots(app, manager):
    village_id = _village_id(app)
    manager.post(f"/villages/{village_id}/archive", data={"archived": "1"})
    form = manager.get("/plots/new").get_data(as_text=True)
    village_select = form.split('name="village_id"')[1].split("</select>")[0]
    assert f'value="{village_id}"' not in village_select and "Tây Hoàng" not in village_select


def test_member_can_add_plots_but_not_products(client, org, app):
    login(client, "0922222222")
    assert client.get("/plots/new").status_code == 200
    assert client.get("/products/new").status_code == 403
    assert client.get("/households/new").status_code == 403
    assert client.get("/products").status_code == 200


def test_inspector_reads_only(client, org):
    login(client, "0933333333")
    assert client.get("/plots").status_code == 200
    assert client.get("/plots/new").status_code == 403


def test_household_phone_is_shown_to_managers_only(client, org):
    login(client, "0922222222")
    assert "0912345678" not in client.get("/households").get_data(as_text=True)
    client.post("/logout")
    login(client, "0911111111")
    assert "0912345678" in client.get("/households").get_data(as_text=True)


def test_gtin_is_unique(app, manager):
    with app.app_context():
        other = make_org("other")
        make_product(other, gtin="09520123456788")
        db.session.commit()
    response = manager.post(
        "/products/new", data={"code": "X", "name_vi": "X", "kind": "fresh", "unit": "kg", "gtin": "9520123456788"}
    )
    assert "GTIN này đã được" in response.get_data(as_text=True)


def test_numbers_and_language(app, manager):
    village_id = _village_id(app)
    manager.post(
        "/plots/new",
        data={
            "code": "A3",
            "name": "Ruộng",
            "village_id": village_id,
            "area_m2": "1234,5",
            "crop": "Khổ qua",
            "vietgap_status": "none",
        },
    )
    assert "1.234,5&nbsp;m²" in manager.get("/plots").get_data(as_text=True)
    manager.post("/language", data={"language": "en"})
    page = manager.get("/plots").get_data(as_text=True)
    assert "1,234.5&nbsp;m²" in page and "Plots" in page


def test_dashboard_says_what_to_do_next(app, client):
    with app.app_context():
        org = make_org("new-coop")
        make_user(org, Role.ADMIN, login="0911111111")
        db.session.commit()
    login(client, "0911111111")
    page = client.get("/").get_data(as_text=True)
    for target in ("/members", "/villages/new", "/households/new", "/plots/new", "/products/new"):
        assert f'href="{target}"' in page, target


def test_folded_fields_open_when_they_hold_input(manager):
    response = manager.post(
        "/products/new", data={"code": "P", "name_vi": "", "kind": "fresh", "unit": "kg", "warnings": "Không uống"}
    )
    assert '<details class="more" open>' in response.get_data(as_text=True)
    assert '<details class="more">' in manager.get("/products/new").get_data(as_text=True)


def test_list_pages_query_count_does_not_grow_with_rows(app, manager):
    """No query per row: a list of 30 plots costs the same queries as a list of 3."""
    from sqlalchemy import event

    def queries_for(path):
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert manager.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    def add(n):
        """n plots, each with its own village and household, so lazy loading would show."""
        with app.app_context():
            org = db.session.get(Organisation, db.session.get(Village, _village_id(app)).organisation_id)
            for _ in range(n):
                village = make_village(org)
                make_plot(org, village, make_household(org, village))
                make_product(org)
            db.session.commit()

    add(3)
    manager.get("/")  # the first page after login also picks the organisation: not part of a list
    small = {path: queries_for(path) for path in ("/plots", "/households", "/products", "/")}
    add(27)
    large = {path: queries_for(path) for path in ("/plots", "/households", "/products", "/")}
    assert small == large, (small, large)
