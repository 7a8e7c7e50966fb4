"""``flask epcis``: backfill after an upgrade, a supplier's document captured from a file, the sharing choice,
and the hashes of any document's events."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from tests.epcis.conftest import supplier_document
from traceability.epcis.models import EpcisEvent, EpcisIdentifier, EpcisSharing, Origin, PublicEvents
from traceability.extensions import db

VECTORS = Path(__file__).resolve().parents[1] / "data" / "epcis-hash"


def _own(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(EpcisEvent.event_hash).where(EpcisEvent.origin == Origin.OWN).order_by(EpcisEvent.event_id)
            )
        )


def test_backfill_makes_the_events_of_records_older_than_the_store(app, partners, runner):
    made = _own(app)
    with app.app_context():  # as a database upgraded from before: the records, none of their EPCIS events
        db.session.execute(sa.delete(EpcisIdentifier))
        db.session.execute(sa.delete(EpcisEvent))
        db.session.commit()
    result = runner.invoke(args=["epcis", "backfill"])
    assert result.exit_code == 0 and "nghe-lai-ha: 4 events stored" in result.output
    assert _own(app) == made  # the same events, the same hashes
    assert "nghe-lai-ha: 0 events stored" in runner.invoke(args=["epcis", "backfill", "--org", "nghe-lai-ha"]).output


def test_a_suppliers_file_is_captured_or_refused_whole(app, partners, runner, tmp_path):
    good = tmp_path / "ncc.jsonld"
    good.write_text(json.dumps(supplier_document()), encoding="utf-8")
    result = runner.invoke(args=["epcis", "capture", str(good), "--org", "nghe-lai-ha"])
    assert result.exit_code == 0 and "3 events, 3 new" in result.output
    bad = supplier_document()
    bad["epcisBody"]["eventList"][1]["bizStep"] = "drying"
    (tmp_path / "bad.jsonld").write_text(json.dumps(bad), encoding="utf-8")
    refused = runner.invoke(args=["epcis", "capture", str(tmp_path / "bad.jsonld"), "--org", "nghe-lai-ha"])
    assert refused.exit_code != 0 and "Sự kiện 2" in refused.output and "nothing stored" in refused.output
    (tmp_path / "junk.jsonld").write_text("{not json", encoding="utf-8")
    junk = runner.invoke(args=["epcis", "capture", str(tmp_path / "junk.jsonld"), "--org", "nghe-lai-ha"])
    assert junk.exit_code != 0 and "Traceback" not in junk.output
    assert runner.invoke(args=["epcis", "capture", str(good), "--org", "nope"]).exit_code != 0


def test_share_and_hash(app, partners, runner):
    assert runner.invoke(args=["epcis", "share", "nghe-lai-ha", "lots"]).exit_code == 0
    with app.app_context():
        assert db.session.get(EpcisSharing, partners.ids["org"]).public is PublicEvents.LOTS
    vector = VECTORS / "ReferenceEventHashAlgorithm.jsonld"
    printed = runner.invoke(args=["epcis", "hash", str(vector)]).output.split()
    assert printed == vector.with_suffix(".hashes").read_text().split()
