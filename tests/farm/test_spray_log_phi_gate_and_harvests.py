"""Field records: plantings, the spray log and its pre-harvest-interval gate, harvest lots, flags."""

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.factories import (
    days_ago,
    make_household,
    make_org,
    make_planting,
    make_plot,
    make_spray,
    make_user,
    make_village,
)
from traceability.accounts.models import Role
from traceability.errors import DomainError
from traceability.events.models import Event, EventKind
from traceability.extensions import db
from traceability.farm.services import permitted, seasons
from traceability.lots import services as lots
from traceability.lots.models import Lot
from traceability.quality.certificates import save_certificate


@pytest.fixture
def farm(ctx):
    org = make_org("tay-hoang")
    manager = make_user(org, Role.MANAGER)
    village = make_village(org, "Tây Hoàng")
    household = make_household(org, village, "Nguyễn Văn An")
    plot = make_plot(org, village, household, code="A3", area="1000")
    planting = make_planting(org, manager, plot, sown_days_ago=60)
    permitted.load_default_inputs(org)
    return org, manager, planting


def harvest_on(org, user, planting, day, kg="50"):
    return lots.record_harvest(org, user, planting_id=planting.id, harvested_on=day, quantity_kg=Decimal(kg))


def test_phi_boundary_day_before_refused_day_of_allowed(farm):
    org, manager, planting = farm
    spray = make_spray(org, manager, planting, applied_days_ago=10, phi_days=7)  # Emagold on day D
    with pytest.raises(DomainError) as refused:
        harvest_on(org, manager, planting, spray.applied_on + dt.timedelta(days=6))
    message = refused.value.message
    assert "Emagold 6.5EC" in message
    assert spray.applied_on.strftime("%d/%m/%Y") in message
    assert (spray.applied_on + dt.timedelta(days=7)).strftime("%d/%m/%Y") in message
    assert refused.value.field == "harvested_on"
    lot = harvest_on(org, manager, planting, spray.applied_on + dt.timedelta(days=7))
    assert lot.quantity == 50


def test_the_latest_ending_interval_governs(farm):
    org, manager, planting = farm
    make_spray(org, manager, planting, applied_days_ago=12, phi_days=10, trade_name="Haihamec 3.6EC")  # ends -2
    make_spray(org, manager, planting, applied_days_ago=8, phi_days=3, trade_name="Molbeng 2SL")  # ends -5
    with pytest.raises(DomainError, match="Haihamec"):
        harvest_on(org, manager, planting, days_ago(3))
    assert harvest_on(org, manager, planting, days_ago(2))


def test_fertiliser_without_phi_does_not_block(farm):
    org, manager, planting = farm
    make_spray(
        org, manager, planting, applied_days_ago=0, phi_days=None, trade_name="Urê", kind="fertiliser", active=""
    )
    assert harvest_on(org, manager, planting, days_ago(0))


def test_plant_protection_needs_a_phi(farm):
    org, manager, planting = farm
    facts = seasons.InputFacts(
        planting_id=planting.id, applied_on=days_ago(1), trade_name="Thuốc lạ", kind="plant_protection"
    )
    with pytest.raises(DomainError) as error:
        seasons.record_input_application(org, manager, facts)
    assert error.value.field == "phi_days"
    assert db.session.scalar(sa.select(sa.func.count(Event.id)).where(Event.kind == EventKind.INPUT_APPLICATION)) == 0


def test_future_spray_is_refused(farm):
    org, manager, planting = farm
    with pytest.raises(DomainError, match="future|tương lai") as error:
        make_spray(org, manager, planting, applied_days_ago=-1)
    assert error.value.field == "applied_on"


def test_listed_product_fills_phi_and_unlisted_is_flagged(farm):
    org, manager, planting = farm
    listed = seasons.record_input_application(
        org,
        manager,
        seasons.InputFacts(
            planting_id=planting.id, applied_on=days_ago(3), trade_name="amyla top 325sc", dose=Decimal(15)
        ),
    )
    assert (listed.phi_days, listed.on_permitted_list, listed.kind.value) == (7, True, "plant_protection")
    unlisted = make_spray(org, manager, planting, trade_name="Radiant 60SC", phi_days=3)
    assert unlisted.on_permitted_list is False


def test_banned_active_is_recorded_and_taints_the_season(farm):
    org, manager, planting = farm
    save_certificate(
        org,
        manager,
        kind="vietgap",
        number="VG-1",
        issuer="VIETCERT",
        valid_from=days_ago(300),
        valid_to=days_ago(-400),
        plot_ids=[planting.plot_id],
    )
    spray = make_spray(
        org,
        manager,
        planting,
        applied_days_ago=30,
        phi_days=14,
        trade_name="TB Dietray 700WP",
        active="chlorpyrifos ethyl + imidacloprid + thiamethoxam",
    )
    assert spray.banned_ingredient == "chlorpyrifos ethyl"
    assert planting.non_conformant and "chlorpyrifos" in planting.non_conformity_text()
    lot = harvest_on(org, manager, planting, days_ago(0))
    assert lot.vietgap_claim is False
    assert [c.number for c in lot.certificates] == ["VG-1"]  # covered, but the season lost its claim
    from traceability.dashboard.services import field_flags

    assert [p.id for p in field_flags(org.id).non_conformant] == [planting.id]


def test_certified_plot_gives_a_vietgap_lot_with_its_certificates(farm):
    org, manager, planting = farm
    save_certificate(
        org,
        manager,
        kind="vietgap",
        number="VG-2",
        issuer="FITES",
        valid_from=days_ago(100),
        valid_to=days_ago(-100),
        household_ids=[planting.household_id],
    )
    save_certificate(
        org,
        manager,
        kind="vietgap",
        number="VG-OLD",
        issuer="FITES",
        valid_from=days_ago(900),
        valid_to=days_ago(200),
        household_ids=[planting.household_id],
    )
    lot = harvest_on(org, manager, planting, days_ago(0))
    assert lot.vietgap_claim is True
    assert [c.number for c in lot.certificates] == ["VG-2"]


def test_yield_above_plausible_is_accepted_and_flagged(farm):
    org, manager, planting = farm  # 1000 m² of bitter melon: at most 6 kg/m² → 6000 kg in the season
    first = harvest_on(org, manager, planting, days_ago(5), kg="5000")
    assert first.yield_flagged is False
    second = harvest_on(org, manager, planting, days_ago(4), kg="1500")
    assert second.yield_flagged is True
    assert (second.yield_season_kg, second.yield_area_m2, second.yield_max_kg) == (6500, 1000, 6000)
    assert "6.500 kg" in second.yield_text()  # worded when read: Vietnamese outside a request


@pytest.mark.parametrize("kg", ["0", "-5"])
def test_zero_or_negative_harvest_is_refused(farm, kg):
    org, manager, planting = farm
    with pytest.raises(DomainError) as error:
        harvest_on(org, manager, planting, days_ago(0), kg=kg)
    assert error.value.field == "quantity_kg"
    assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0


def test_lot_codes_are_gs1_safe_and_unique(farm):
    org, manager, planting = farm
    codes = [harvest_on(org, manager, planting, days_ago(0), kg="10").code for _ in range(3)]
    assert len(set(codes)) == 3
    for code in codes:
        assert lots.LOT_CODE.match(code) and len(code) <= 20
    assert codes[0] == f"{days_ago(0):%y%m%d}-A3-1"


def test_assisted_and_late_entry_are_kept_on_the_event(farm):
    org, manager, planting = farm
    spray = make_spray(org, manager, planting, applied_days_ago=10)
    event = db.session.get(Event, spray.event_id)
    assert event.recorded_by_id == manager.id
    assert event.for_household.name == "Nguyễn Văn An"
    assert event.late is True  # 10 days after: later than the 7 allowed
    recent = make_spray(org, manager, planting, applied_days_ago=2)
    assert db.session.get(Event, recent.event_id).late is False


def test_correction_supersedes_without_rewriting(farm):
    org, manager, planting = farm
    wrong = make_spray(org, manager, planting, applied_days_ago=3, phi_days=14)
    facts = seasons.InputFacts(
        planting_id=planting.id,
        applied_on=days_ago(3),
        trade_name="Emagold 6.5EC",
        kind="plant_protection",
        phi_days=6,
        dose=Decimal(20),
    )
    with pytest.raises(DomainError):
        seasons.record_input_application(org, manager, facts, supersedes=wrong)  # no reason given
    right = seasons.record_input_application(org, manager, facts, supersedes=wrong, reason="Nhập nhầm số ngày")
    assert wrong.superseded and not right.superseded
    new_event = db.session.get(Event, right.event_id)
    assert new_event.supersedes_id == wrong.event_id
    assert db.session.get(Event, wrong.event_id).payload["phi_days"] == 14  # history intact
    block = seasons.harvest_blocks([planting.id])[planting.id]
    assert block.phi_days == 6
    with pytest.raises(DomainError):
        seasons.record_input_application(org, manager, facts, supersedes=wrong, reason="again")


def test_planting_on_another_organisations_plot_is_refused(ctx):
    a, b = make_org("a"), make_org("b")
    user_b = make_user(b)
    foreign_plot = make_plot(a)
    with pytest.raises(DomainError) as error:
        seasons.start_planting(b, user_b, plot_id=foreign_plot.id, sown_on=days_ago(1))
    assert error.value.field == "plot_id"


def test_closed_season_takes_no_more_harvests(farm):
    org, manager, planting = farm
    seasons.end_planting(org, manager, planting, ended_on=days_ago(0))
    with pytest.raises(DomainError):
        harvest_on(org, manager, planting, days_ago(0))


def test_member_list_shows_harvest_date_per_plot(app, client):
    from tests.conftest import login

    with app.app_context():
        org = make_org("coop")
        make_user(org, Role.MEMBER, login="0922222222")
        manager = make_user(org, Role.MANAGER)
        planting = make_planting(org, manager, make_plot(org, code="A3"))
        spray = make_spray(org, manager, planting, applied_days_ago=1, phi_days=7)
        allowed = spray.harvest_allowed_from
        db.session.commit()
    login(client, "0922222222")
    expected = f"Ruộng thử: được thu hoạch từ {allowed:%d/%m/%Y}"
    assert expected in client.get("/plantings").get_data(as_text=True)
    assert expected in client.get("/").get_data(as_text=True)


def test_a_spray_after_a_harvest_does_not_make_it_wrong(farm):
    """Records may be entered out of order; only what was applied by the harvest day counts."""
    org, manager, planting = farm
    make_spray(org, manager, planting, applied_days_ago=2, phi_days=7)
    assert harvest_on(org, manager, planting, days_ago(3))  # before the spray
    with pytest.raises(DomainError):
        harvest_on(org, manager, planting, days_ago(2))  # the spray's own day counts


def test_a_member_recording_for_their_own_household_is_not_an_assisted_entry(farm):
    from traceability.accounts.models import Membership

    org, manager, planting = farm
    member = make_user(org, Role.MEMBER)
    db.session.scalar(sa.select(Membership).where(Membership.user_id == member.id)).household_id = planting.household_id
    own = make_spray(org, member, planting, applied_days_ago=1)
    assisted = make_spray(org, manager, planting, applied_days_ago=1)
    assert db.session.get(Event, own.event_id).for_household is None
    assert db.session.get(Event, assisted.event_id).for_household.name == "Nguyễn Văn An"


def test_the_database_refuses_to_edit_or_delete_events(farm):
    org, manager, planting = farm
    event_id = make_spray(org, manager, planting).event_id
    db.session.commit()
    for statement in (
        sa.update(Event).where(Event.id == event_id).values(reason="rewritten"),
        sa.delete(Event).where(Event.id == event_id),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert db.session.get(Event, event_id).reason is None
