"""The stored tree, its signed checkpoints, and what ``audit verify`` finds with them, on the test's
database (SQLite, or PostgreSQL with DATABASE_URL).

The attacks are the ones a hash chain alone misses: the chain recomputed after an edit (here a
spray moved back four days, so the harvest looks clear of the pre-harvest interval), and the
newest events deleted. Each leaves ``chain.verify`` saying OK; the checkpoints name the damage by
event number. A checkpoint signed with another key is reported too.
"""

from __future__ import annotations

import base64
import datetime as dt
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.factories import make_harvest, make_logged_season, make_spray
from traceability.accounts.models import Organisation, User
from traceability.events import chain
from traceability.events.models import Event
from traceability.extensions import db
from traceability.farm.models import Planting
from traceability.transparency import checkpoints, tlog, tree
from traceability.transparency.models import LogCheckpoint, LogLeaf


@pytest.fixture
def logged(app):
    """An organisation with a season, sprays and harvests, and a first checkpoint of its log."""
    with app.app_context():
        org, manager, planting = make_logged_season()
        checkpoints.make(org, now=True)
        make_spray(org, manager, planting, applied_days_ago=12)  # sprayed 12 days ago, PHI 7
        for days in (4, 2):
            make_harvest(org, manager, planting, days_ago_=days, kg="40")
        checkpoints.make(org, now=True)
        db.session.commit()
        return org.id


def _events(org_id):
    return db.session.scalars(sa.select(Event).where(Event.organisation_id == org_id).order_by(Event.id)).all()


def _unguarded(statement: str, **values) -> None:
    """A change made behind the application's back, as an operator with the database could: the
    append-only guard and the foreign keys set aside (what restoring an older copy amounts to)."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        raw = db.engine.raw_connection()  # outside any transaction, where SQLite takes the pragma
        try:
            raw.execute("PRAGMA foreign_keys = OFF")
            for name in ("events_no_update", "events_no_delete"):
                raw.execute(f"DROP TRIGGER IF EXISTS {name}")
            raw.execute(statement, values)
            raw.commit()
            raw.execute("PRAGMA foreign_keys = ON")
        finally:
            raw.close()
        return
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(sa.text(statement), values)
    db.session.commit()


def test_the_stored_tree_is_the_tree_of_the_events(app, logged):
    with app.app_context():
        events = _events(logged)
        leaves = [tlog.leaf_hash(bytes.fromhex(e.hash)) for e in events]
        first, second = db.session.scalars(
            sa.select(LogCheckpoint).where(LogCheckpoint.organisation_id == logged).order_by(LogCheckpoint.id)
        ).all()
        assert second.size == len(events) == tree.size(logged) and first.size < second.size
        assert first.root == tlog.root_of(leaves[: first.size]) and second.root == tlog.root_of(leaves)
        proofs = tree.inclusion_proofs(logged, list(range(len(leaves))), second.size)
        for index, leaf in enumerate(leaves):
            assert tlog.verify_inclusion(index, second.size, leaf, proofs[index], second.root)
        proof = tree.consistency_proof(logged, first.size, second.size)
        assert tlog.verify_consistency(first.size, second.size, first.root, second.root, proof)
        # Each event is a leaf once, in log order, however many times the tree is extended.
        assert tree.extend(logged) == len(events)
        indices = db.session.scalars(sa.select(LogLeaf.leaf_index).order_by(LogLeaf.event_id)).all()
        assert indices == list(range(len(events)))


def test_checkpoints_are_signed_notes_checkable_with_the_published_key(app, client, logged):
    note = client.get("/log/tay-hoang/checkpoint")
    keys = client.get("/log/tay-hoang/keys").get_data(as_text=True).split()
    assert note.status_code == 200 and note.headers["Access-Control-Allow-Origin"] == "*"
    parsed = tlog.parse_note(note.get_data(as_text=True))
    assert parsed.origin == "127.0.0.1:5000/log/tay-hoang" and parsed.size == 8
    assert tlog.signed_by(parsed, tlog.parse_vkey(keys[0])) == 0
    other = tlog.vkey(parsed.origin, tlog.public_bytes(Ed25519PrivateKey.generate()))
    assert tlog.signed_by(parsed, tlog.parse_vkey(other)) is None
    key_file = Path(app.config["LOG_KEYS_DIR"]) / "tay-hoang.key"
    assert key_file.exists(), sorted(Path(app.config["LOG_KEYS_DIR"]).parent.rglob("*.key"))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    consistency = client.get("/log/tay-hoang/consistency?from=5&to=8").get_json()
    with app.app_context():
        first = db.session.scalars(sa.select(LogCheckpoint).order_by(LogCheckpoint.id)).first()
        proof = [base64.b64decode(h) for h in consistency["proof"]]
        assert tlog.verify_consistency(5, 8, first.root, parsed.root, proof)
    for odd in ("from=0&to=8", "from=5&to=99", "from=x", "from=9&to=5", "from=99999999999999&to=1"):
        assert client.get(f"/log/tay-hoang/consistency?{odd}").status_code == 400, odd
    assert client.get("/log/nowhere/checkpoint").status_code == 404


def test_audit_verify_reports_a_recomputed_chain_by_event_number(app, runner, logged):
    with app.app_context():
        events = _events(logged)
        spray = next(e for e in events if e.kind.value == "input_application" and events.index(e) >= 5)
        number = events.index(spray) + 1
        # The second spray moved back 4 days, and every hash from it onward recomputed: the chain links.
        moved = spray.occurred_on - dt.timedelta(days=4)
        _unguarded("UPDATE events SET occurred_on = :day WHERE id = :id", day=moved, id=spray.id)
        db.session.expire_all()
        previous = _events(logged)[number - 2].hash
        for event in _events(logged)[number - 1 :]:
            digest = chain.digest(event, previous)
            _unguarded("UPDATE events SET prev_hash = :p, hash = :h WHERE id = :id", p=previous, h=digest, id=event.id)
            previous = digest
        db.session.expire_all()
        assert chain.verify(logged).ok  # the chain alone sees nothing
    result = runner.invoke(args=["audit", "verify", "--org", "tay-hoang"])
    assert result.exit_code != 0
    assert "viết lại" in result.output or "rewritten" in result.output, result.output
    assert f"sự kiện {number} " in result.output or f"event {number} " in result.output, result.output


def test_audit_verify_reports_the_newest_events_deleted(app, runner, logged):
    with app.app_context():
        newest = [e.id for e in _events(logged)][-3:]
        db.session.execute(sa.delete(LogLeaf).where(LogLeaf.event_id.in_(newest)))
        db.session.commit()
        _unguarded(f"DELETE FROM events WHERE id IN ({', '.join(map(str, newest))})")
        assert chain.verify(logged).ok
    result = runner.invoke(args=["audit", "verify", "--org", "tay-hoang"])
    assert result.exit_code != 0 and ("6" in result.output and "8" in result.output), result.output


def test_audit_verify_names_the_witnesses_of_what_it_holds_against(app, runner, client, logged):
    """The newest checkpoint's witnesses are named when the log holds, and when it does not: a
    cosigned checkpoint is evidence that has left this server."""
    key, name = Ed25519PrivateKey.generate(), "xa.example/witness/ubnd-quang-thai"
    app.config["LOG_WITNESSES"] = (tlog.vkey(name, tlog.public_bytes(key), tlog.COSIGNATURE),)
    body = tlog.parse_note(client.get("/log/tay-hoang/checkpoint").get_data(as_text=True)).body
    line = tlog.cosignature_line(body, name, key, 1_764_700_000)
    assert client.post("/log/tay-hoang/cosignature", json={"checkpoint": body, "cosignature": line}).status_code == 201
    held = runner.invoke(args=["audit", "verify", "--org", "tay-hoang"])
    assert held.exit_code == 0
    assert "2 signed checkpoints" in held.output or "2 mốc kiểm chứng" in held.output, held.output
    assert name in held.output and " 8 " in held.output
    with app.app_context():
        newest = _events(logged)[-1].id
        db.session.execute(sa.delete(LogLeaf).where(LogLeaf.event_id == newest))
        db.session.commit()
        _unguarded(f"DELETE FROM events WHERE id = {newest}")
    cut = runner.invoke(args=["audit", "verify", "--org", "tay-hoang"])
    assert cut.exit_code != 0 and name in cut.output and "8" in cut.output, cut.output


def test_a_checkpoint_signed_with_another_key_is_reported(app, runner, logged):
    with app.app_context():
        org = db.session.get(Organisation, logged)
        last = checkpoints.latest(org.id)
        forged = tlog.sign_note(last.note.split("\n\n")[0] + "\n", last.origin, Ed25519PrivateKey.generate())
        db.session.add(
            LogCheckpoint(organisation_id=org.id, origin=last.origin, size=last.size, root=last.root, note=forged)
        )
        db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--org", "tay-hoang"])
    assert result.exit_code != 0 and ("không được ký" in result.output or "not signed" in result.output), result.output


def test_a_rotated_key_signs_from_then_on_and_the_old_one_stays_published(app, runner, client, logged):
    before = client.get("/log/tay-hoang/keys").get_data(as_text=True).split()
    app.config["CHECKPOINT_SECONDS"] = 0  # the next request makes the next checkpoint
    rotated = runner.invoke(args=["audit", "rotate-key", "tay-hoang"])
    assert rotated.exit_code == 0, rotated.output
    after = client.get("/log/tay-hoang/keys").get_data(as_text=True).split()
    assert after[1:] == before and after[0] != before[0]
    assert runner.invoke(args=["audit", "verify", "--org", "tay-hoang"]).exit_code == 0  # old checkpoints still check
    with app.app_context():
        org = db.session.get(Organisation, logged)
        manager = db.session.get(User, db.session.scalar(sa.select(Event.recorded_by_id).limit(1)))
        make_harvest(org, manager, db.session.scalars(sa.select(Planting)).first(), days_ago_=0, kg="10")
        db.session.commit()
    note = tlog.parse_note(client.get("/log/tay-hoang/checkpoint").get_data(as_text=True))
    assert note.size == 9 and tlog.signed_by(note, tlog.parse_vkey(after[0])) == 0
    assert tlog.signed_by(note, tlog.parse_vkey(before[0])) is None
