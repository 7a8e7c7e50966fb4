"""Backups: a copy taken while requests keep writing restores to a chain that verifies against its
checkpoint, with every write acknowledged before the backup began; a copy that lost its newest
events is reported against a later checkpoint, not passed as "OK".

On the suite's database: SQLite (online backup API) by default, PostgreSQL (pg_dump in a snapshot)
with DATABASE_URL; the copy is restored into a fresh database each time.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, TEST_CONFIG, needs_tool
from tests.factories import make_harvest, make_org, make_planting, make_plot, make_user
from traceability import create_app
from traceability.accounts.models import Role
from traceability.accounts.tokens import create_token
from traceability.events import checkpoint
from traceability.events.models import Event
from traceability.extensions import db

pytestmark = [needs_tool("pg_dump"), needs_tool("pg_restore")] if POSTGRES_URL else []


@pytest.fixture
def restored(empty_database_url):
    """An app on a fresh, empty database, to restore into."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _seed(app):
    with app.app_context():
        org = make_org("tay-hoang")
        manager = make_user(org, Role.MANAGER, login="0911111111")
        planting = make_planting(org, manager, make_plot(org, code="A3", area="900000"))
        _row, token = create_token(manager, org, "may-can")
        db.session.commit()
        return org.id, planting.id, token


class Writer(threading.Thread):
    """Harvests sent through the API one after another, as a scale in the field would, until stopped."""

    def __init__(self, app, planting_id: int, token: str):
        super().__init__(daemon=True)
        self.client, self.planting_id, self.token = app.test_client(), planting_id, token
        self.acknowledged: list[str] = []  # uuids answered 201, in order
        self.refused: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            key = str(uuid.uuid4())
            response = self.client.post(
                "/api/v1/harvests",
                json={"uuid": key, "planting_id": self.planting_id, "quantity_kg": "1.5"},
                headers={"Authorization": f"Bearer {self.token}"},
            )
            if response.status_code == 201:
                self.acknowledged.append(key)
            else:
                self.refused.append(response.status_code)

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < n:
            assert time.monotonic() < deadline and self.is_alive(), (self.acknowledged, self.refused)
            time.sleep(0.01)


def test_a_backup_taken_under_writes_restores_every_acknowledged_write_and_verifies(app, runner, restored, tmp_path):
    org_id, planting_id, token = _seed(app)
    writer = Writer(app, planting_id, token)
    writer.start()
    writer.wait_for(20)
    acknowledged_before = list(writer.acknowledged)  # answered 201 before the backup began
    copy = tmp_path / "copy.backup"
    result = runner.invoke(args=["backup", "-o", str(copy)])
    writes_during = len(writer.acknowledged) - len(acknowledged_before)
    writer.wait_for(len(writer.acknowledged) + 5)  # still writing after it
    writer.stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    assert writer.refused == [], "a write failed while the backup ran"

    marks = checkpoint.loads(copy.with_name("copy.backup.checkpoint").read_text(encoding="utf-8"))
    assert checkpoint.loads(result.stdout) == marks  # printed, and written beside the copy
    (mark,) = [m for m in marks if m.organisation == "tay-hoang"]
    # One planting, then one event per harvest: the copy holds at least every write acknowledged before it.
    assert mark.count >= 1 + len(acknowledged_before)
    assert mark.count <= 1 + len(acknowledged_before) + writes_during + 1

    done = restored.test_cli_runner().invoke(args=["restore", str(copy)])
    assert done.exit_code == 0, done.output
    assert "OK" in done.output
    with restored.app_context():
        uuids = set(db.session.scalars(sa.select(Event.uuid).where(Event.organisation_id == org_id)))
        assert set(acknowledged_before) <= uuids
        assert len(uuids - {None}) == mark.count - 1  # exactly what the checkpoint counted, nothing half-written
    verified = restored.test_cli_runner().invoke(args=["audit", "verify", "--checkpoint", str(copy) + ".checkpoint"])
    assert verified.exit_code == 0, verified.output
    assert checkpoint.loads(verified.stdout) == marks  # the restored chain ends where the copy's did


def test_a_copy_missing_the_newest_events_fails_against_a_later_checkpoint(app, runner, restored, tmp_path):
    with app.app_context():
        org = make_org("nghe-lai-ha")
        manager = make_user(org, Role.MANAGER)
        planting = make_planting(org, manager, make_plot(org, code="N1", area="3000"), sown_days_ago=280)
        make_harvest(org, manager, planting, days_ago_=5, kg="1000")
        db.session.commit()
    copy = tmp_path / "old.backup"
    assert runner.invoke(args=["backup", "-o", str(copy)]).exit_code == 0
    with app.app_context():
        org = db.session.merge(org)
        manager = db.session.merge(manager)
        planting = db.session.merge(planting)
        for days in (4, 3, 2):
            make_harvest(org, manager, planting, days_ago_=days, kg="100")
        db.session.commit()
    later = runner.invoke(args=["audit", "verify"])  # the live chain's checkpoint, kept apart from the copies
    assert later.exit_code == 0, later.output
    latest = tmp_path / "latest.checkpoint"
    latest.write_text(later.stdout, encoding="utf-8")

    done = restored.test_cli_runner().invoke(args=["restore", str(copy)])  # against its own checkpoint: fine
    assert done.exit_code == 0, done.output
    cli = restored.test_cli_runner()
    short = cli.invoke(args=["audit", "verify", "--checkpoint", str(latest)])
    assert short.exit_code != 0
    assert "OK" not in short.output
    assert "Tổ chức nghe-lai-ha: điểm kiểm tra có 5 sự kiện" in short.output
    assert "chuỗi chỉ có 2" in short.output and "Thiếu 3 sự kiện mới nhất" in short.output
    # The same copy restored again, judged by the later checkpoint: the restore itself says so.
    again = cli.invoke(args=["restore", "--overwrite", "--checkpoint", str(latest), str(copy)])
    assert again.exit_code != 0 and "Thiếu 3 sự kiện mới nhất" in again.output

    # Same length, another event at the checkpoint's position: another chain.
    (mark,) = checkpoint.loads(copy.with_name("old.backup.checkpoint").read_text(encoding="utf-8"))
    forged = f"nghe-lai-ha {mark.count} {'ab' * 32}"
    other = cli.invoke(args=["audit", "verify", "--checkpoint", forged])
    assert other.exit_code != 0 and f"sự kiện thứ {mark.count} của chuỗi có mã băm {mark.head}" in other.output


def test_restore_refuses_a_database_that_holds_records(app, runner, tmp_path):
    with app.app_context():
        make_org("tay-hoang")
        db.session.commit()
    copy = tmp_path / "copy.backup"
    assert runner.invoke(args=["backup", "-o", str(copy)]).exit_code == 0
    refused = runner.invoke(args=["restore", str(copy)])
    assert refused.exit_code != 0 and "--overwrite" in refused.output
