"""Many simultaneous requests on one lot: nobody gets more than it holds; the hash chain stays linear.

Real threads, each with its own request and database connection, released together by a barrier;
on SQLite (immediate write transactions) and, with DATABASE_URL, on PostgreSQL (row locks).
"""

from decimal import Decimal

import sqlalchemy as sa

from tests.concurrency import all_at_once
from tests.conftest import login
from tests.factories import days_ago, make_harvest, make_org, make_planting, make_plot, make_user
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.events import chain
from traceability.events.models import Event
from traceability.extensions import db
from traceability.lots.models import Lot, Sale

THREADS = 16


def test_parallel_sales_never_oversell(app):
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        planting = make_planting(org, manager, make_plot(org, code="A3", area="2000"))
        lot = make_harvest(org, manager, planting, kg="100")
        db.session.commit()
        code, org_id = lot.code, org.id

    def signed_in(_n):
        client = app.test_client()
        login(client, "0911111111")
        return client

    def sell(n: int, client):
        return client.post(
            "/sales/new",
            data={
                "lot_code": code,
                "buyer_name": f"Thương lái {n}",
                "buyer_kind": "trader",
                "quantity": "15",
                "sold_on": days_ago(0).isoformat(),
            },
        )

    statuses = [getattr(r, "status_code", r) for r in all_at_once(THREADS, sell, signed_in)]

    with app.app_context():
        lot = db.session.scalar(sa.select(Lot).where(Lot.code == code))
        sold = db.session.scalar(sa.select(sa.func.sum(Sale.quantity)).where(Sale.lot_id == lot.id))
        assert sold == 90 and lot.remaining_quantity == 10  # six sales of 15 fit in 100, the seventh does not
        assert statuses.count(302) == 6 and statuses.count(200) == THREADS - 6
        # The chain stayed a line: every event names a different predecessor, and it verifies.
        prevs = db.session.scalars(sa.select(Event.prev_hash).where(Event.organisation_id == org_id)).all()
        assert len(prevs) == len(set(prevs))
        assert chain.verify(org_id).ok
        assert sold + lot.remaining_quantity == Decimal(100)


def test_simultaneous_retries_of_one_api_sale_write_it_once(app):
    """A phone on a weak signal resends the same sale many times at once: one sale is written and
    every answer is that sale's (the request's one commit stores the answer with the records)."""
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        planting = make_planting(org, manager, make_plot(org, code="A3", area="2000"))
        lot = make_harvest(org, manager, planting, kg="100")
        _row, token = create_token(manager, org, "phone")
        db.session.commit()
        code = lot.code

    def resend(_n, _client):
        response = app.test_client().post(
            "/api/v1/sales",
            json={"lot_code": code, "buyer_name": "Siêu thị Huế", "quantity": 15},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "sale-0001"},
        )
        return response.status_code, response.get_json()

    answers = all_at_once(THREADS, resend)

    assert {status for status, _body in answers} == {201}
    assert len({str(body) for _status, body in answers}) == 1
    with app.app_context():
        lot = db.session.scalar(sa.select(Lot).where(Lot.code == code))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Sale).where(Sale.lot_id == lot.id)) == 1
        assert lot.remaining_quantity == 85
