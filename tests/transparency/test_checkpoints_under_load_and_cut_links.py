"""The log as it is used: many witnesses and buyers asking for the checkpoint at the same moment, and
a commune's server following a producer over a link that drops.

Twenty simultaneous asks when a checkpoint is due: every one answered, one checkpoint made (on SQLite
the ask that makes it takes the write lock, the others read). A link cut at any step of ``witness
follow`` (the checkpoint, the consistency proof, handing the cosignature back, the whole server
gone) fails that run with the reason and raises no alert — a dropped link is no evidence of a
rewrite — and the next run, with the link back, cosigns as if nothing had happened.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.concurrency import all_at_once
from tests.factories import make_bagged_lot, make_harvest, make_org, make_planting, make_plot, make_user
from traceability.accounts.models import Organisation, OrganisationKind, Role, User
from traceability.extensions import db
from traceability.transparency import tlog, witness
from traceability.transparency.models import LogCheckpoint, LogCosignature, WitnessAlert, WitnessedLog


def test_twenty_asks_at_once_make_one_checkpoint(app):
    with app.app_context():
        make_bagged_lot()

    def ask(_i, _client):
        response = app.test_client().get("/log/nghe-lai-ha/checkpoint")
        return response.status_code, response.get_data(as_text=True)

    answers = all_at_once(20, ask)
    assert Counter(a[0] if isinstance(a, tuple) else repr(a) for a in answers) == {200: 20}
    assert len({text for _status, text in answers}) == 1  # the same checkpoint for everyone
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LogCheckpoint)) == 1


class Link:
    """The network between the commune's server and the producer's: a path may be cut, answered by
    a proxy's 502 as a dropped mobile link is."""

    def __init__(self, app):
        self.app, self.cut = app, ()

    def __call__(self, environ, start_response):
        if self.cut and environ["PATH_INFO"].endswith(self.cut):
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"upstream unreachable"]
        return self.app(environ, start_response)


@pytest.fixture
def producer(app):
    """The producer's log served on a local port, through a link that can be cut."""
    app.config["CHECKPOINT_SECONDS"] = 0  # each follow finds the log's newest events checkpointed
    with app.app_context():
        make_bagged_lot()
        commune = make_org("ubnd-quang-thai", kind=OrganisationKind.COMMUNE_AUTHORITY)
        make_user(commune, Role.OFFICIAL, login="canbo@quangthai.example")
        db.session.commit()
        app.config["LOG_WITNESSES"] = (witness.verifier_key(commune),)
    link = Link(app)
    server = make_server("127.0.0.1", 0, link, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    link.url, link.server = f"http://127.0.0.1:{server.server_port}/log/nghe-lai-ha", server
    yield link
    server.shutdown()
    server.server_close()
    thread.join()


def _more_events(app) -> None:
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "nghe-lai-ha"))
        manager = db.session.scalar(sa.select(User).where(User.phone == "0988888888"))
        make_harvest(org, manager, make_planting(org, manager, make_plot(org, code="N9"), crop="Nghệ"))
        db.session.commit()


def _state(app) -> tuple[int, int, int]:
    """What the witness accepted, the alerts it raised, the cosignatures the producer holds."""
    with app.app_context():
        followed = db.session.scalar(sa.select(WitnessedLog))
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        return (followed.size if followed else 0), count(WitnessAlert), count(LogCosignature)


@pytest.mark.parametrize("cut", ["/consistency", "/cosignature", "/checkpoint"])
def test_a_cut_link_fails_the_run_and_raises_no_alert(app, runner, producer, cut):
    follow = ["witness", "follow", producer.url, "--as", "ubnd-quang-thai"]
    assert runner.invoke(args=follow).exit_code == 0
    first = _state(app)
    assert first[0] > 0 and first[1:] == (0, 1)
    _more_events(app)

    producer.cut = (cut,)
    failed = runner.invoke(args=follow)
    assert failed.exit_code == 1 and "502" in failed.output and "Traceback" not in failed.output
    assert _state(app) == first  # nothing accepted, nothing alleged, nothing cosigned

    producer.cut = ()
    assert runner.invoke(args=follow).exit_code == 0
    size, alerts, cosigned = _state(app)
    assert size > first[0] and alerts == 0 and cosigned == 2
    with app.test_client() as client:
        note = tlog.parse_note(client.get("/log/nghe-lai-ha/checkpoint").get_data(as_text=True))
    assert note.size == size and tlog.signed_by(note, tlog.parse_vkey(app.config["LOG_WITNESSES"][0]))


def test_the_producers_server_gone_is_said_and_changes_nothing(app, runner, producer):
    follow = ["witness", "follow", producer.url, "--as", "ubnd-quang-thai"]
    assert runner.invoke(args=follow).exit_code == 0
    first = _state(app)
    producer.server.shutdown()
    producer.server.server_close()  # connection refused from now on
    failed = runner.invoke(args=follow)
    assert failed.exit_code == 1 and producer.url in failed.output and "Traceback" not in failed.output
    assert _state(app) == first
