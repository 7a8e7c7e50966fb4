"""One deployment for a cooperative and its commune: the commune witnesses the log served by the
same server, on the same database. The witness holds no transaction while it asks (on SQLite a
command's open transaction holds the write lock the producer's answer needs: it once waited for a
timeout), and the page of the lot then names the commune as the log's witness."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server

from tests.factories import make_bagged_lot, make_org, make_user
from traceability.accounts.models import OrganisationKind, Role
from traceability.extensions import db
from traceability.transparency import tlog, witness


def test_the_commune_witnesses_a_log_on_its_own_server(app, runner, client):
    with app.app_context():
        lot = make_bagged_lot()
        commune = make_org("ubnd-quang-thai", name="UBND xã Quảng Thái", kind=OrganisationKind.COMMUNE_AUTHORITY)
        make_user(commune, Role.OFFICIAL, login="canbo@quangthai.example")
        db.session.commit()
        app.config["LOG_WITNESSES"] = (witness.verifier_key(commune),)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/log/nghe-lai-ha"
        followed = runner.invoke(args=["witness", "follow", url, "--as", "ubnd-quang-thai"])
        assert followed.exit_code == 0, followed.output
    finally:
        server.shutdown()
    note = tlog.parse_note(client.get("/log/nghe-lai-ha/checkpoint").get_data(as_text=True))
    assert tlog.signed_by(note, tlog.parse_vkey(app.config["LOG_WITNESSES"][0]))
    page = client.get(lot["url"]).get_data(as_text=True)  # the witness named as people know it
    assert "đã được UBND xã Quảng Thái xác nhận" in page, page[page.find('id="verify"') :][:800]


def test_a_refusal_names_the_producer_when_its_log_is_served_here(app, client):
    """The official reads which cooperative's log was rewritten, by its name, with the evidence."""
    from tests.conftest import login
    from traceability.accounts.models import Organisation
    from traceability.database import utcnow
    from traceability.transparency import checkpoints
    from traceability.transparency.models import WitnessAlert, WitnessedLog

    with app.app_context():
        lot = make_bagged_lot()
        commune = make_org("ubnd-quang-thai", kind=OrganisationKind.COMMUNE_AUTHORITY)
        make_user(commune, Role.OFFICIAL, login="canbo@quangthai.example")
        producer = db.session.get(Organisation, lot["org_id"])
        seen = checkpoints.make(producer, now=True)
        followed = WitnessedLog(
            organisation_id=commune.id,
            origin=seen.origin,
            log_key=checkpoints.log_key(producer),
            size=seen.size + 3,
            root=b"\1" * 32,
            note="the checkpoint cosigned before\n",
            url="http://127.0.0.1:5000/log/nghe-lai-ha",
            checked_at=utcnow(),
        )
        db.session.add(followed)
        db.session.flush()
        db.session.add(
            WitnessAlert(
                organisation_id=commune.id,
                witnessed_log_id=followed.id,
                reason="truncated",
                accepted_note=followed.note,
                refused_note=seen.note,
            )
        )
        db.session.commit()
    login(client, "canbo@quangthai.example")
    home = client.get("/").get_data(as_text=True)
    assert "Nhật ký của Tổ hợp tác tinh bột nghệ Lai Hà đã bị viết lại hoặc cắt bớt" in home, home[
        home.find("<main") :
    ][:3000]
    assert "the checkpoint cosigned before" in home and "ít sự kiện hơn" in home
