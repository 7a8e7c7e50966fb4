"""Requests sent all at once that each write a little: none answers 500, every count is exact.

Real threads, each with its own client and database connection, released together by a barrier;
on SQLite (a GET that writes takes the write lock first, like a POST) and, with DATABASE_URL, on
PostgreSQL (a found-or-created buyer in one statement, login attempts queued per login).
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from tests.concurrency import all_at_once
from tests.conftest import login
from tests.factories import (
    days_ago,
    make_bagged_lot,
    make_harvest,
    make_org,
    make_planting,
    make_plot,
    make_user,
    scan,
    written_scans,
)
from traceability.accounts.models import ApiToken, LoginFailure, Role
from traceability.accounts.tokens import create_token
from traceability.extensions import db
from traceability.lots.models import Lot, Party, Sale


def test_thirty_first_uses_of_tokens_at_once_all_answer(app):
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        lot = make_harvest(org, manager, make_planting(org, manager, make_plot(org, code="A3")))
        secrets = [create_token(manager, org, f"phone {n}")[1] for n in range(30)]
        db.session.commit()
        code = lot.code

    def first_use(i, _client):
        return app.test_client().get(f"/api/v1/lots/{code}", headers={"Authorization": f"Bearer {secrets[i]}"})

    statuses = Counter(getattr(r, "status_code", repr(r)) for r in all_at_once(30, first_use))
    assert statuses == {200: 30}
    with app.app_context():  # and every token's use was noted
        assert db.session.scalar(sa.select(sa.func.count()).where(ApiToken.last_used_at.is_(None))) == 0


def test_thirty_buyers_scanning_one_label_at_once_are_all_counted(app):
    with app.app_context():
        lot = make_bagged_lot()
    unit = f"{lot['url']}/21/{lot['serials'][0]}"

    def buyer(i, _client):
        return scan(app.test_client(), unit, f"10.0.3.{i}")

    statuses = Counter(getattr(r, "status_code", repr(r)) for r in all_at_once(30, buyer))
    assert statuses == {200: 30}
    # Thirty addresses at once pass a unit's hourly share no more than thirty in a row would.
    assert written_scans(app) == app.config["SCAN_UNIT_PER_HOUR"]


def _lot_of_100_kg(app) -> tuple[str, str]:
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        lot = make_harvest(org, manager, make_planting(org, manager, make_plot(org, code="A3")), kg="100")
        _row, secret = create_token(manager, org, "phone")
        db.session.commit()
        return lot.code, secret


def _sold_to_one_new_buyer(app, code: str) -> None:
    with app.app_context():
        parties = db.session.scalars(sa.select(Party)).all()
        assert [p.name for p in parties] == ["Thương lái Mới"]
        lot = db.session.scalar(sa.select(Lot).where(Lot.code == code))
        sales = db.session.scalars(sa.select(Sale).where(Sale.lot_id == lot.id)).all()
        assert len(sales) == 10 and {s.buyer_id for s in sales} == {parties[0].id}
        assert lot.remaining_quantity == 50


def test_ten_sales_at_once_to_a_new_buyer_on_the_sales_form(app):
    code, _secret = _lot_of_100_kg(app)

    def signed_in(_i):
        client = app.test_client()
        login(client, "0911111111")
        return client

    def sell(_i, client):
        return client.post(
            "/sales/new",
            data={
                "lot_code": code,
                "buyer_name": "Thương lái  Mới",  # spelled with a double space by some: the same buyer
                "buyer_kind": "trader",
                "quantity": "5",
                "sold_on": days_ago(0).isoformat(),
            },
        )

    statuses = Counter(getattr(r, "status_code", repr(r)) for r in all_at_once(10, sell, signed_in))
    assert statuses == {302: 10}
    _sold_to_one_new_buyer(app, code)


def test_ten_sales_at_once_to_a_new_buyer_through_the_api(app):
    code, secret = _lot_of_100_kg(app)

    def sell(i, _client):
        return app.test_client().post(
            "/api/v1/sales",
            json={"lot_code": code, "buyer_name": "Thương lái Mới", "quantity": 5},
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": f"sale-{i}"},
        )

    statuses = Counter(getattr(r, "status_code", repr(r)) for r in all_at_once(10, sell))
    assert statuses == {201: 10}
    _sold_to_one_new_buyer(app, code)


def test_thirty_wrong_passwords_at_once_are_checked_only_up_to_the_limit(app):
    with app.app_context():
        make_user(make_org("tay-hoang"), Role.MANAGER, login="0911111111")
        db.session.commit()
    limit = app.config["LOGIN_MAX_FAILURES_PER_LOGIN"]

    def guess(i, _client):
        response = app.test_client().post("/login", data={"login": "0911111111", "password": f"guess {i}"})
        refused = "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)
        return "checked" if response.status_code == 200 and refused else response.status_code

    answers = Counter(r if isinstance(r, str | int) else repr(r) for r in all_at_once(30, guess))
    assert answers == {"checked": limit, 429: 30 - limit}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(LoginFailure.key.like("login:%"))) == limit


def test_twelve_harvests_of_one_plot_on_one_day_at_once_each_get_their_own_lot(app):
    """Members of one household sending their outboxes together: every harvest is written, each
    with its own lot code (the codes are numbered under the organisation's chain lock)."""
    import uuid

    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        planting = make_planting(org, manager, make_plot(org, code="A3", area="900000"))
        secret = create_token(manager, org, "phones")[1]
        db.session.commit()
        planting_id = planting.id

    def harvest(_i, _client):
        return app.test_client().post(
            "/api/v1/harvests",
            json={"uuid": str(uuid.uuid4()), "planting_id": planting_id, "quantity_kg": "1.5"},
            headers={"Authorization": f"Bearer {secret}"},
        )

    statuses = Counter(getattr(r, "status_code", repr(r)) for r in all_at_once(12, harvest))
    assert statuses == {201: 12}
    with app.app_context():
        codes = db.session.scalars(sa.select(Lot.code)).all()
        assert len(codes) == len(set(codes)) == 12
