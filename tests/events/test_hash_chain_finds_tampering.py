"""The events' hash chain: it verifies, and an event rewritten behind the app's back is named."""

import pytest
import sqlalchemy as sa

from tests.factories import make_harvest, make_org, make_planting, make_plot, make_user
from traceability.accounts.models import Role
from traceability.events import chain
from traceability.events.models import Event
from traceability.extensions import db


@pytest.fixture
def recorded(ctx):
    """A planting and three harvests: a few events on the chain of one organisation."""
    org = make_org("nghe-lai-ha")
    manager = make_user(org, Role.MANAGER)
    planting = make_planting(org, manager, make_plot(org, code="N1", area="3000"), sown_days_ago=280, crop="Nghệ")
    for days in (5, 4, 3):
        make_harvest(org, manager, planting, days_ago_=days, kg="1000")
    db.session.commit()
    return org


def test_chain_verifies_and_names_the_first_tampered_event(recorded):
    org = recorded
    assert chain.verify().ok
    target = db.session.scalars(sa.select(Event.id).where(Event.organisation_id == org.id).order_by(Event.id)).all()[2]
    # Behind the application's back: switch the append-only guard off and rewrite a payload.
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("DROP TRIGGER events_no_update"))
    else:
        db.session.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
    db.session.execute(sa.text("UPDATE events SET reason = 'sửa lén' WHERE id = :id"), {"id": target})
    db.session.commit()
    result = chain.verify()
    assert not result.ok and result.broken_event_id == target
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE events ENABLE TRIGGER events_append_only"))
        db.session.commit()


def test_audit_verify_command(app, runner, recorded):
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "OK" in ok.output
    target = db.session.scalars(sa.select(Event.id).order_by(Event.id)).all()[-1]
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("DROP TRIGGER events_no_update"))
    else:
        db.session.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
    db.session.execute(
        sa.text("UPDATE events SET occurred_on = occurred_on - 1 WHERE id = :id")
        if db.engine.dialect.name == "postgresql"
        else sa.text("UPDATE events SET late = 1 - late WHERE id = :id"),
        {"id": target},
    )
    db.session.commit()
    broken = runner.invoke(args=["audit", "verify", "--org", "nghe-lai-ha"])
    assert broken.exit_code != 0 and f"sự kiện {target} của nghe-lai-ha" in broken.output
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE events ENABLE TRIGGER events_append_only"))
        db.session.commit()
