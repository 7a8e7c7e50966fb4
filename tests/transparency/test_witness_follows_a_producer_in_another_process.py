"""The commune's server witnesses a cooperative's log served by another process.

The producer runs in a process of its own (``producer.py``, its own SQLite file and keys); the
witness is this test's app (SQLite or PostgreSQL) running ``flask witness follow``. The witness
cosigns a first checkpoint and a grown one (with a consistency proof), and the producer publishes
the cosignatures; it refuses a history rewritten from a spray onward and a history cut short, keeps
both checkpoints as evidence, and says so on the officials' dashboard. A cosignature replayed for
another checkpoint is refused by the producer.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import login
from tests.factories import make_org, make_user
from traceability.accounts.models import OrganisationKind, Role
from traceability.extensions import db
from traceability.transparency import tlog, witness
from traceability.transparency.models import WitnessAlert

PRODUCER = Path(__file__).with_name("producer.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _producer(folder: Path, *args: str) -> None:
    subprocess.run([sys.executable, str(PRODUCER), str(folder), *args], check=True, timeout=120)


@pytest.fixture
def commune(app):
    with app.app_context():
        org = make_org("ubnd-quang-thai", kind=OrganisationKind.COMMUNE_AUTHORITY, name="UBND xã Quảng Thái")
        make_user(org, Role.OFFICIAL, login="canbo@quangthai.example")
        db.session.commit()
        return witness.verifier_key(org)


@pytest.fixture
def producer(tmp_path, commune):
    """The cooperative's server: its URL, and its folder for the operator's commands."""
    folder = tmp_path / "producer"
    folder.mkdir()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(PRODUCER), str(folder), "serve", str(port), commune],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}/log/tay-hoang", folder
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def _published(url: str) -> tlog.Checkpoint:
    with urllib.request.urlopen(f"{url}/checkpoint", timeout=10) as response:
        return tlog.parse_note(response.read().decode())


def test_cosigns_what_grows_and_refuses_a_rewritten_history(app, runner, client, commune, producer):
    url, folder = producer
    follow = ["witness", "follow", url, "--as", "ubnd-quang-thai"]
    first = runner.invoke(args=follow)
    assert first.exit_code == 0 and "5" in first.output, first.output
    assert tlog.signed_by(_published(url), tlog.parse_vkey(commune))  # published with the commune's cosignature

    _producer(folder, "grow")
    grown = runner.invoke(args=follow)
    assert grown.exit_code == 0 and "7" in grown.output, grown.output
    checkpoint = _published(url)
    assert checkpoint.size == 7 and tlog.signed_by(checkpoint, tlog.parse_vkey(commune))

    _producer(folder, "rewrite")  # the same 7 events, a spray five days earlier: the chain links again
    refused = runner.invoke(args=follow)
    assert refused.exit_code != 0 and "forked" in refused.output, refused.output
    assert not tlog.signed_by(_published(url), tlog.parse_vkey(commune))  # no cosignature for it

    _producer(folder, "truncate")
    cut = runner.invoke(args=follow)
    assert cut.exit_code != 0 and "truncated" in cut.output, cut.output
    with app.app_context():
        alerts = db.session.scalars(sa.select(WitnessAlert).order_by(WitnessAlert.id)).all()
        assert [a.reason for a in alerts] == ["forked", "truncated"]
        evidence = [(tlog.parse_note(a.accepted_note).size, tlog.parse_note(a.refused_note).size) for a in alerts]
        assert evidence == [(7, 7), (7, 5)]
    login(client, "canbo@quangthai.example")
    home = client.get("/").get_data(as_text=True)
    assert "đã bị viết lại hoặc cắt bớt" in home and "127.0.0.1" in home


def test_a_cosignature_replayed_for_another_checkpoint_is_refused(app, runner, commune, producer):
    url, folder = producer
    assert runner.invoke(args=["witness", "follow", url, "--as", "ubnd-quang-thai"]).exit_code == 0
    signed = _published(url)
    line = next(
        f"\u2014 {name} {base64.b64encode(raw).decode()}\n"
        for name, raw in signed.signatures
        if name == tlog.parse_vkey(commune).name
    )
    other = tlog.checkpoint_body(signed.origin, signed.size + 1, signed.root)
    for body in (other, signed.body.replace(signed.origin, "elsewhere/log/x")):
        request = urllib.request.Request(
            f"{url}/cosignature",
            data=json.dumps({"checkpoint": body, "cosignature": line}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 422
        refused.value.close()
    # Nothing was stored: the published checkpoint carries the one cosignature still.
    assert sum(name == tlog.parse_vkey(commune).name for name, _raw in _published(url).signatures) == 1


def test_a_checkpoint_signed_with_a_key_the_witness_was_not_given_is_refused(app, runner, producer):
    url, folder = producer
    follow = ["witness", "follow", url, "--as", "ubnd-quang-thai"]
    assert runner.invoke(args=follow).exit_code == 0
    _producer(folder, "rotate")
    refused = runner.invoke(args=follow)
    assert refused.exit_code != 0 and "bad_signature" in refused.output, refused.output


def test_two_histories_shown_to_two_witnesses_are_caught_when_compared(tmp_path):
    """A log that shows one witness a history and another witness a rewritten one of the same size:
    each checkpoint is signed and each looks sound alone; side by side they are proof."""
    key = Ed25519PrivateKey.generate()
    origin = "htx.example/log/tay-hoang"
    log_key = tlog.vkey(origin, tlog.public_bytes(key))
    leaves = [tlog.leaf_hash(bytes([n]) * 32) for n in range(9)]
    shown_to_commune = tlog.sign_note(tlog.checkpoint_body(origin, 9, tlog.root_of(leaves)), origin, key)
    rewritten = [*leaves[:4], tlog.leaf_hash(b"\xff" * 32), *leaves[5:]]
    shown_to_province = tlog.sign_note(tlog.checkpoint_body(origin, 9, tlog.root_of(rewritten)), origin, key)
    assert tlog.split_view(shown_to_commune, shown_to_province, log_key)
    assert not tlog.split_view(shown_to_commune, shown_to_commune, log_key)
    stranger = Ed25519PrivateKey.generate()  # a forgery by someone else proves nothing against the log
    forged = tlog.sign_note(tlog.checkpoint_body(origin, 9, tlog.root_of(rewritten)), origin, stranger)
    assert not tlog.split_view(shown_to_commune, forged, log_key)
