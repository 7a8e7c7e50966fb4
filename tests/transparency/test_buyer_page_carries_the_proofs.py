"""A lot's public page, as a buyer's phone reads it: the JSON carries each event's inclusion proof to
the newest cosigned checkpoint and that checkpoint with its signatures, which verify with the
published keys; the page says who confirmed the log, in plain words.
"""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.factories import make_bagged_lot
from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.transparency import checkpoints, tlog

WITNESS = "xa.example/witness/ubnd-quang-thai"


def test_the_page_json_proves_each_event_against_the_cosigned_checkpoint(app, client):
    key = Ed25519PrivateKey.generate()
    app.config["LOG_WITNESSES"] = (tlog.vkey(WITNESS, tlog.public_bytes(key), tlog.COSIGNATURE),)
    app.config["LOG_WITNESS_NAMES"] = {WITNESS: "UBND xã Quảng Thái"}
    with app.app_context():
        lot = make_bagged_lot(inputs=2, harvests=2)
        checkpoint = checkpoints.make(db.session.get(Organisation, lot["org_id"]), now=True)
        body = tlog.parse_note(checkpoint.note).body
        db.session.commit()
    line = tlog.cosignature_line(body, WITNESS, key, 1_764_700_000)
    posted = client.post("/log/nghe-lai-ha/cosignature", json={"checkpoint": body, "cosignature": line})
    assert posted.status_code == 201, posted.get_json()
    # A stranger's cosignature, or the same one for a checkpoint the log never signed, is not kept.
    stranger = tlog.cosignature_line(body, WITNESS, Ed25519PrivateKey.generate(), 1_764_700_000)
    assert (
        client.post("/log/nghe-lai-ha/cosignature", json={"checkpoint": body, "cosignature": stranger}).status_code
        == 422
    )
    for odd in (
        {},
        {"checkpoint": 1},
        {"checkpoint": "x", "cosignature": "y"},
        {"checkpoint": "a" * 5000, "cosignature": ""},
    ):
        assert client.post("/log/nghe-lai-ha/cosignature", json=odd).status_code in (400, 422), odd

    page = client.get(lot["url"], headers={"Accept": "application/json"})
    facts = page.get_json()["log"]
    assert len(page.data) < 30_000
    note = tlog.parse_note(facts["checkpoint"])
    log_key = client.get("/log/nghe-lai-ha/keys").get_data(as_text=True).split()[0]
    assert tlog.signed_by(note, tlog.parse_vkey(log_key)) == 0
    assert tlog.signed_by(note, tlog.parse_vkey(app.config["LOG_WITNESSES"][0])) == 1_764_700_000
    assert len(facts["events"]) >= 8 and "content" not in facts["events"][0]  # no internal ids for the public
    for event in facts["events"]:
        leaf = tlog.leaf_hash(bytes.fromhex(event["hash"]))
        proof = [base64.b64decode(facts["nodes"][at]) for at in event["proof"]]
        assert tlog.verify_inclusion(event["leaf_index"], note.size, leaf, proof, note.root)
    html = client.get(lot["url"]).get_data(as_text=True)
    assert "đã được UBND xã Quảng Thái xác nhận ngày" in html
    assert json.dumps(facts, ensure_ascii=False).count("0988888888") == 0
