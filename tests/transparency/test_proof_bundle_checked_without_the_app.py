"""``audit proof`` writes a lot's events with their proofs; ``tlog.py``, run on its own with nothing
but Python and ``cryptography`` (no app, no database, no project on the path), checks it against the
public key it is given, and fails on every change an operator could make to what it says.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.factories import make_bagged_lot
from traceability.extensions import db
from traceability.transparency import tlog

TLOG = Path(__file__).resolve().parents[2] / "traceability/transparency/tlog.py"


def _check(bundle_file: Path, *keys: str) -> subprocess.CompletedProcess:
    """The checker as an auditor runs it: isolated mode (no project, no PYTHONPATH), another folder."""
    args = [sys.executable, "-I", str(TLOG), str(bundle_file)]
    for n, key in enumerate(keys):
        args += ["--log-key" if n == 0 else "--witness-key", key]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FLASK", "DATABASE"))}
    return subprocess.run(args, capture_output=True, text=True, cwd=bundle_file.parent, env=env, timeout=60)


@pytest.fixture
def written(app, runner, tmp_path):
    with app.app_context():
        lot = make_bagged_lot(inputs=2, harvests=2)
        db.session.commit()
    out = tmp_path / "bundle.json"
    result = runner.invoke(args=["audit", "proof", lot["code"], "-o", str(out)])
    assert result.exit_code == 0, result.output
    log_key = result.output.split("--log-key ")[1].split()[0]
    return out, log_key


def test_the_bundle_checks_on_its_own(written):
    out, log_key = written
    bundle = json.loads(out.read_text())
    assert len(bundle["events"]) >= 8  # two seasons, their sprays and harvests, the run, the packing
    assert all(len(e["proof"]) <= 25 for e in bundle["events"])
    checked = _check(out, log_key)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("OK event") == len(bundle["events"]) and "FAIL" not in checked.stdout


def _tampered(out: Path, change) -> Path:
    bundle = json.loads(out.read_text())
    change(bundle)
    forged = out.with_name("forged.json")
    forged.write_text(json.dumps(bundle))
    return forged


def _spray_moved(bundle: dict, *, rechain: bool) -> None:
    """A spray's date moved back, its hash recomputed as an operator rewriting the chain would."""
    event = next(e for e in bundle["events"] if '"input_application"' in e["content"])
    content = json.loads(event["content"])
    content["occurred_on"] = "2020-01-01"
    event["content"] = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if rechain:
        event["hash"] = hashlib.sha256((event["prev_hash"] + "\n" + event["content"]).encode()).hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b: _spray_moved(b, rechain=False), id="content-edited"),
        pytest.param(lambda b: _spray_moved(b, rechain=True), id="chain-recomputed"),
        pytest.param(lambda b: b["nodes"].__setitem__(0, base64.b64encode(b"\0" * 32).decode()), id="proof-hash"),
        pytest.param(lambda b: b["events"][1].update(leaf_index=b["events"][1]["leaf_index"] + 1), id="leaf-index"),
        pytest.param(lambda b: b.update(checkpoint=b["checkpoint"].replace("\n", "\n1", 1)), id="checkpoint-size"),
    ],
)
def test_every_change_fails(written, change):
    out, log_key = written
    checked = _check(_tampered(out, change), log_key)
    assert checked.returncode == 1 and "FAIL" in checked.stdout, checked.stdout + checked.stderr


def test_another_key_fails_and_a_missing_witness_is_said(written):
    out, log_key = written
    name = log_key.split("+")[0]
    stranger = tlog.vkey(name, tlog.public_bytes(Ed25519PrivateKey.generate()))
    assert _check(out, stranger).returncode == 1
    witness = tlog.vkey(
        "xa-quang-thai.example/witness", tlog.public_bytes(Ed25519PrivateKey.generate()), tlog.COSIGNATURE
    )
    checked = _check(out, log_key, witness)
    assert checked.returncode == 1 and "FAIL not cosigned by xa-quang-thai.example/witness" in checked.stdout


def test_a_static_mirror_is_checked_from_its_own_files(app, runner, written, tmp_path):
    """``export site`` puts each lot's proofs beside its page and the log's keys where the server
    publishes them: the mirror's ``index.json`` checks with the key the mirror itself carries."""
    bundle = json.loads(written[0].read_text())
    site = tmp_path / "site"
    assert runner.invoke(args=["export", "site", "-o", str(site)]).exit_code == 0
    (facts,) = site.glob(f"01/*/10/{bundle['lot']}/index.json")
    keys = (site / "log/nghe-lai-ha/keys").read_text().split()
    assert keys[0] == written[1] and tlog.parse_note((site / "log/nghe-lai-ha/checkpoint").read_text())
    checked = _check(facts, keys[0])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("OK event") == len(bundle["events"])
    forged = _tampered(facts, lambda page: page["log"]["events"][-1].__setitem__("hash", "0" * 64))
    assert _check(forged, keys[0]).returncode == 1
