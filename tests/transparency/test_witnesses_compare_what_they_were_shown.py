"""Two witnesses compare what they accepted (``witness compare``): a producer that showed the commune
one history and the province another is caught, though each alone saw a sound log — the same size
with another root, or two sizes no consistency proof joins. Both signed checkpoints are kept as the
evidence on the officials' dashboard; a checkpoint the log never signed proves nothing and is passed
over. Both witnesses and the producer share one server here: the exchange is the same over HTTP."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.conftest import login
from tests.factories import make_bagged_lot, make_org, make_user
from traceability.accounts.models import Organisation, OrganisationKind, Role
from traceability.extensions import db
from traceability.transparency import tlog, witness
from traceability.transparency.keys import signing_key
from traceability.transparency.models import WitnessAlert, WitnessedLog


@pytest.fixture
def followed(app, runner):
    """The commune and the province each following the starch group's log, through HTTP."""
    with app.app_context():
        make_bagged_lot()
        for code, kind in (("ubnd-quang-thai", "COMMUNE_AUTHORITY"), ("ubnd-hue", "PROVINCE_AUTHORITY")):
            authority = make_org(code, name=f"UBND {code}", kind=getattr(OrganisationKind, kind))
            make_user(authority, Role.OFFICIAL, login=f"canbo@{code}.example")
        db.session.commit()
        app.config["LOG_WITNESSES"] = tuple(
            witness.verifier_key(db.session.scalar(sa.select(Organisation).where(Organisation.code == code)))
            for code in ("ubnd-quang-thai", "ubnd-hue")
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    for code in ("ubnd-quang-thai", "ubnd-hue"):
        done = runner.invoke(args=["witness", "follow", f"{base}/log/nghe-lai-ha", "--as", code])
        assert done.exit_code == 0, done.output
    yield base
    server.shutdown()
    server.server_close()
    thread.join()


def _show_the_province(app, size_more: int, key=None) -> None:
    """The province's server now holds a checkpoint of another history, signed by ``key`` (the log's own)."""
    with app.app_context():
        held = db.session.scalar(sa.select(WitnessedLog).join(Organisation).where(Organisation.code == "ubnd-hue"))
        note = tlog.parse_note(held.note)
        body = tlog.checkpoint_body(note.origin, note.size + size_more, b"\x07" * 32)
        held.note = tlog.sign_note(body, note.origin, key or signing_key("nghe-lai-ha"))
        held.size, held.root = note.size + size_more, b"\x07" * 32
        db.session.commit()


def _compare(runner, base):
    return runner.invoke(args=["witness", "compare", f"{base}/witness/ubnd-hue", "--as", "ubnd-quang-thai"])


def _alerts(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(WitnessAlert.reason)).all()


def test_witnesses_shown_the_same_history_agree(app, runner, client, followed):
    done = _compare(runner, followed)
    assert done.exit_code == 0 and "Compared 1 logs" in done.output, done.output
    published = client.get("/witness/ubnd-hue/logs").get_json()
    assert published["logs"][0]["origin"].endswith("/log/nghe-lai-ha") and _alerts(app) == []
    assert client.get("/witness/nghe-lai-ha/logs").status_code == 404  # a producer is no witness


@pytest.mark.parametrize("size_more", [0, 2], ids=["same-size-another-root", "larger-tree-not-an-extension"])
def test_a_log_showing_two_histories_is_caught_when_compared(app, runner, client, followed, size_more):
    _show_the_province(app, size_more)
    caught = _compare(runner, followed)
    assert caught.exit_code == 1 and "nghe-lai-ha" in caught.output, caught.output
    assert _alerts(app) == ["split_view"]
    login(client, "canbo@ubnd-quang-thai.example")
    home = client.get("/").get_data(as_text=True)
    assert "Tổ hợp tác tinh bột nghệ Lai Hà" in home and "một lịch sử khác" in home


def test_a_checkpoint_the_log_never_signed_proves_nothing(app, runner, followed):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _show_the_province(app, 0, key=Ed25519PrivateKey.generate())
    done = _compare(runner, followed)
    assert done.exit_code == 0 and "Compared 0 logs" in done.output and _alerts(app) == []
