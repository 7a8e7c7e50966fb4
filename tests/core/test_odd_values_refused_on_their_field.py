"""Odd values a person or a program can send get a message on the field that holds them, and
change nothing: quantities finer than their unit, dates before what they follow or from another
era, hidden control characters, ids past what an id column holds. On SQLite and PostgreSQL."""

import json

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import days_ago, make_harvest, make_org, make_planting, make_plot, make_user, make_village
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.extensions import db
from traceability.lots.models import Lot, Sale


@pytest.fixture
def lot(app):
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        make_village(org, "Tây Hoàng")
        planting = make_planting(org, manager, make_plot(org, code="A3", area="2000"))
        harvest = make_harvest(org, manager, planting, days_ago_=5, kg="100")
        _row, token = create_token(manager, org, "phone")
        db.session.commit()
        return {"code": harvest.code, "token": token}


def _state(app, code):
    with app.app_context():
        remaining = db.session.scalar(sa.select(Lot.remaining_quantity).where(Lot.code == code))
        return remaining, db.session.scalar(sa.select(sa.func.count()).select_from(Sale))


def _sale(lot, **changes):
    return {
        "lot_code": lot["code"],
        "buyer_name": "Chị Lan",
        "buyer_kind": "trader",
        "quantity": "15",
        "sold_on": days_ago(1).isoformat(),
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"quantity": "0,0004"}, "Tối đa 3 chữ số thập phân"),
        ({"sold_on": "0001-01-01"}, "Ngày này quá xa"),
        ({"sold_on": days_ago(6).isoformat()}, "không thể lấy gì từ lô trước ngày đó"),
        ({"sold_on": days_ago(-400).isoformat()}, "Ngày này ở tương lai"),
        ({"buyer_name": "Chị\x00Lan"}, "ký tự điều khiển ẩn"),
    ],
)
def test_a_web_sale_with_an_odd_value_is_shown_again_with_the_reason(app, client, lot, changes, field_message):
    before = _state(app, lot["code"])
    login(client, "0911111111")
    page = client.post("/sales/new", data=_sale(lot, **changes))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert field_message in html
    assert "Chị" in html  # what was typed is still there
    assert _state(app, lot["code"]) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": "0.0004"}, "quantity"),
        ({"sold_on": "0001-01-01"}, "sold_on"),
        ({"sold_on": days_ago(6).isoformat()}, "sold_on"),
    ],
)
def test_an_api_sale_with_an_odd_value_names_the_field(app, client, lot, changes, field):
    before = _state(app, lot["code"])
    response = client.post(
        "/api/v1/sales",
        data=json.dumps(_sale(lot, **changes)),
        headers={"Authorization": f"Bearer {lot['token']}", "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.json["error"]["field"] == field
    assert _state(app, lot["code"]) == before


def test_a_piece_is_never_split(app, client, lot):
    with app.app_context():
        from traceability.accounts.models import Organisation, User
        from traceability.lots.trade import receive_lot

        org = db.session.scalar(sa.select(Organisation))
        user = db.session.scalar(sa.select(User))
        crates = receive_lot(
            org,
            user,
            supplier_name="HTX Lai Hà",
            supplier_lot_code="D-1",
            quantity=10,
            unit="piece",
            crop="Dừa",
            received_on=days_ago(2),
        )
        db.session.commit()
        code = crates.code
    login(client, "0911111111")
    page = client.post("/sales/new", data=_sale(lot, lot_code=code, quantity="1,5"))
    assert "không thể chia nhỏ" in page.get_data(as_text=True)
    assert _state(app, code)[0] == 10


@pytest.mark.parametrize(
    "path",
    ["/jobs/9223372036854775808/download", "/lots/2147483648", "/plots/99999999999999999999/edit", "/jobs/2147483648"],
)
def test_an_id_past_the_column_names_nothing(client, lot, path):
    login(client, "0911111111")
    assert client.get(path).status_code == 404


def test_a_picked_id_past_the_column_is_refused_on_its_field(app, client, lot):
    login(client, "0911111111")
    page = client.post("/plots/new", data={"code": "B7", "village_id": "99999999999999999999", "area_m2": "500"})
    assert page.status_code == 200
    assert "B7" in page.get_data(as_text=True)


def test_a_nul_is_refused_by_every_way_in_the_command_line_too(app, lot):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "0977777777",
            "--org",
            "tay-hoang",
            "--role",
            "member",
            "--name",
            "An\x00h",
            "--password",
            "mat-khau-dai",
        ]
    )
    assert result.exit_code != 0 and "NUL" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        from traceability.accounts.models import User

        assert db.session.scalar(sa.select(User.id).where(User.phone == "0977777777")) is None
