"""A streaming replica (``pg_basebackup -R``) serving the public pages: a recall reaches a buyer's page once the
replica has replayed it, the manager who recorded it sees it at once, and a replica that lags or is down
leaves the pages to the primary, with a log line, never a 500.

Needs ``TEST_REPLICA_URL``: the replica of the PostgreSQL server the tests run on, without a database name
(``postgresql+psycopg://postgres@127.0.0.1:5435``); ``.ci/run`` starts one. Pausing its replay (here the only
test that does) is what shows the page was read from the replica and not from the primary.
"""

from __future__ import annotations

import logging
import os
import time

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, login, make_app
from tests.factories import days_ago, make_bagged_lot
from traceability.extensions import db
from traceability.replica import ENGINE

REPLICA = os.environ.get("TEST_REPLICA_URL")

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and (REPLICA or os.environ.get("CI"))), reason="PostgreSQL with a streaming replica only"
)

RECALLED = "Lô hàng này đã bị thu hồi"


def _replica_of_test_database() -> str:
    assert REPLICA, "CI runs this on PostgreSQL: set TEST_REPLICA_URL to the replica .ci/run starts"
    database = sa.engine.make_url(POSTGRES_URL).database
    return sa.engine.make_url(REPLICA).set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def replica_engine():
    engine = sa.create_engine(_replica_of_test_database(), isolation_level="AUTOCOMMIT")
    yield engine
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_resume()"))  # whatever the test did, replay goes on
    engine.dispose()


def _replayed(app, replica_engine, timeout: float = 30.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with app.app_context():
        lsn = db.session.scalar(sa.text("SELECT pg_current_wal_lsn()::text"))
        db.session.rollback()
    deadline = time.monotonic() + timeout
    with replica_engine.connect() as conn:
        while not conn.scalar(sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}):
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


@pytest.fixture
def make_routed():
    """Apps of the test's own, their pools (primary and replica) closed when it ends: a connection left
    to the garbage collector would be reported against whichever test runs next."""
    made = []

    def make(tmp_path, **settings):
        made.append(make_app(tmp_path, **settings))
        return made[-1]

    yield make
    for routed in made:
        with routed.app_context():
            db.engine.dispose()
        if ENGINE in routed.extensions:
            routed.extensions[ENGINE].dispose()


def _routed_app(make_routed, tmp_path, **settings):
    return make_routed(
        tmp_path / "routed",
        DATABASE_REPLICA_URL=_replica_of_test_database(),
        REPLICA_CHECK_SECONDS=0,  # measure the lag at every request, so each step below sees it at once
        PUBLIC_PAGE_RECHECK_SECONDS=0,
        **settings,
    )


def test_a_recall_reaches_the_public_page_once_the_replica_has_it(app, tmp_path, replica_engine, make_routed, caplog):
    with app.app_context():
        lot = make_bagged_lot()
    _replayed(app, replica_engine)
    routed = _routed_app(make_routed, tmp_path, REPLICA_MAX_LAG_SECONDS=3600)
    buyer, manager = routed.test_client(), routed.test_client()
    assert RECALLED not in buyer.get(lot["url"]).get_data(as_text=True)

    # The replica stops replaying; the manager records a recall on the primary.
    with replica_engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_pause()"))
    login(manager, "0988888888")
    with routed.app_context():
        from traceability.lots.models import Lot

        lot_id = db.session.scalar(sa.select(Lot.id).where(Lot.code == lot["code"]))
    answer = manager.post(f"/lots/{lot_id}/recall", data={"reason": "Kiểm tra", "opened_on": days_ago(0).isoformat()})
    assert answer.status_code == 302, answer.get_data(as_text=True)

    # The buyer's page is read from the replica, which has not replayed the recall: not shown yet.
    assert buyer.get(lot["url"]).status_code == 200
    assert RECALLED not in buyer.get(lot["url"]).get_data(as_text=True)
    # The manager who just wrote reads from the primary: the recall is there.
    assert RECALLED in manager.get(lot["url"]).get_data(as_text=True)
    # Readiness tells the replica's state, and stays ready: the primary can serve.
    ready = buyer.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["replica"]["ok"] is True

    # Replay resumes: once the replica has the recall, every buyer sees it.
    with replica_engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_resume()"))
    _replayed(app, replica_engine)
    assert RECALLED in buyer.get(lot["url"]).get_data(as_text=True)

    # A replica further behind than allowed is left aside: the pages read from the primary, and say so once.
    lagging = _routed_app(make_routed, tmp_path / "lagging", REPLICA_MAX_LAG_SECONDS=0.2)
    with replica_engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_pause()"))
    with app.app_context():
        from traceability.accounts.models import Organisation

        org = db.session.get(Organisation, lot["org_id"])
        org.name = org.name + " (mới)"  # anything written on the primary that the replica has not replayed
        db.session.commit()
    time.sleep(0.5)
    with caplog.at_level(logging.WARNING):
        page = lagging.test_client().get(lot["url"])
    assert page.status_code == 200 and "(mới)" in page.get_data(as_text=True)
    assert any("replica: not used" in r.getMessage() and "behind" in r.getMessage() for r in caplog.records)
    ready = lagging.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["replica"]["ok"] is False


def test_a_replica_that_is_down_leaves_the_pages_to_the_primary(app, tmp_path, make_routed, caplog):
    with app.app_context():
        lot = make_bagged_lot()
    down = make_routed(
        tmp_path / "down",
        DATABASE_REPLICA_URL=sa.engine.make_url(_replica_of_test_database()).set(port=1).render_as_string(),
        REPLICA_CHECK_SECONDS=0,
    )
    with caplog.at_level(logging.WARNING):
        page = down.test_client().get(lot["url"])
        linkset = down.test_client().get(lot["url"] + "?linkType=linkset")
    assert page.status_code == 200 and lot["code"] in page.get_data(as_text=True)
    assert linkset.status_code == 200
    assert any("replica: not used" in r.getMessage() and "unreachable" in r.getMessage() for r in caplog.records)
    ready = down.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.json["ready"] is True
    assert ready.json["checks"]["replica"] == {"ok": False, "why": "unreachable (OperationalError)"}
