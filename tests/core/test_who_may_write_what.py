"""Who may write what, route by route and role by role, against the table of ``accounts.policy``.

The routes are read from the app's URL map: a new route that writes (POST, PUT, PATCH, DELETE)
and is missing from ``ROUTES`` fails the first test, so nobody has to remember to add it. Each
role then calls every write route of the web and of the API (with its own token): a role the
policy refuses gets 403 and writes nothing; a role it allows is never 403 (its empty form is
refused for its content instead). The household rule, which a role alone cannot decide, has its
own tests below.
"""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import make_household, make_org, make_planting, make_plot, make_user, make_village
from traceability.accounts.models import Membership, Organisation, OrganisationKind, Role
from traceability.accounts.policy import WRITERS, Write
from traceability.accounts.tokens import create_token
from traceability.errors import DomainError
from traceability.events.models import Event, EventKind
from traceability.extensions import db
from traceability.farm.models import Planting, PlantingStatus, Plot
from traceability.farm.services import seasons

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
NOT_AN_ORGANISATION_WRITE = None  # one's own session, password or language; a public scan; a score
# A step of an OCOP dossier: producers submit, the council's officials review and rate; which role
# may take which step is the workflow's table (ocop/workflow.py), tested in tests/ocop.
WORKFLOW = "workflow"

# endpoint -> the kind of write of the policy table it makes
ROUTES = {
    "accounts.login": NOT_AN_ORGANISATION_WRITE,
    "accounts.logout": NOT_AN_ORGANISATION_WRITE,
    "accounts.set_language": NOT_AN_ORGANISATION_WRITE,
    "accounts.change_password": NOT_AN_ORGANISATION_WRITE,
    "accounts.switch_organisation": NOT_AN_ORGANISATION_WRITE,
    "provenance.place_by_gtin": NOT_AN_ORGANISATION_WRITE,
    "provenance.place_by_organisation": NOT_AN_ORGANISATION_WRITE,
    "api.score_answers": NOT_AN_ORGANISATION_WRITE,  # scores the answers it is sent, stores nothing
    # A witness's server, not a person: it proves who it is by the signature it brings (LOG_WITNESSES).
    "transparency.cosignature": NOT_AN_ORGANISATION_WRITE,
    "accounts.members": Write.SETTINGS,
    "accounts.sign_out_member": Write.SETTINGS,
    "accounts.organisation_settings": Write.SETTINGS,
    "accounts.tokens": Write.TOKENS,
    "farm.villages_new": Write.REGISTRY,
    "farm.villages_edit": Write.REGISTRY,
    "farm.villages_archive": Write.REGISTRY,
    "farm.households_new": Write.REGISTRY,
    "farm.households_edit": Write.REGISTRY,
    "farm.households_archive": Write.REGISTRY,
    "products.products_new": Write.REGISTRY,
    "products.products_edit": Write.REGISTRY,
    "products.products_archive": Write.REGISTRY,
    "farm.permitted_inputs_new": Write.REGISTRY,
    "farm.permitted_inputs_edit": Write.REGISTRY,
    "farm.permitted_inputs_archive": Write.REGISTRY,
    "farm.permitted_inputs_defaults": Write.REGISTRY,
    "lots.processing_yields_new": Write.REGISTRY,
    "lots.processing_yields_edit": Write.REGISTRY,
    "lots.processing_yields_archive": Write.REGISTRY,
    "quality.certificate_new": Write.REGISTRY,  # a certificate the body issued, filed by the office
    "farm.plots_new": Write.PLOTS,
    "farm.plots_edit": Write.PLOTS,
    "farm.plots_archive": Write.PLOTS,
    "api.create_plot": Write.PLOTS,
    "farm.planting_new": Write.FIELD,
    "farm.planting_end": Write.FIELD,
    "farm.input_new": Write.FIELD,
    "farm.input_correct": Write.FIELD,
    "farm.harvest_new": Write.FIELD,
    "api.create_planting": Write.FIELD,
    "api.create_input": Write.FIELD,
    "api.create_harvest": Write.FIELD,
    "api.put_photo": Write.FIELD,
    "quality.inspection_new": Write.QUALITY,
    "quality.inspection_detail": Write.QUALITY,
    "quality.inspection_group": Write.QUALITY,
    "quality.inspection_sign": Write.QUALITY,
    "quality.non_conformity_close": Write.QUALITY,
    "lots.processing_new": Write.TRADE,
    "lots.packing_new": Write.TRADE,
    "lots.receive_new": Write.TRADE,
    "lots.sale_new": Write.TRADE,
    "lots.recall_new": Write.TRADE,
    "lots.recall_detail": Write.TRADE,
    "api.create_processing_run": Write.TRADE,
    "api.create_packing": Write.TRADE,
    "api.create_sale": Write.TRADE,
    "api.recall_lot": Write.TRADE,
    "epcis.capture": Write.TRADE,  # a supplier's events, captured as the history of what we bought in
    "partners.partners": Write.SETTINGS,  # what the organisation shares without a token
    "labels.print_run_new": Write.LABELS,
    "labels.job_retry": Write.LABELS,
    "ocop.dossier_new": Write.OCOP,
    "ocop.dossier_details": Write.OCOP,
    "ocop.dossier_part": Write.OCOP,
    "ocop.dossier_refresh": Write.OCOP,
    "ocop.dossier_step": WORKFLOW,
    "ocop.attachment_new": Write.OCOP,
}

# The people of the matrix: login -> the role they act in
PEOPLE = {
    "0900000001": Role.MEMBER,  # of household A
    "0900000002": Role.MEMBER,  # of household B
    "0900000003": Role.MEMBER,  # a team leader: a member without a household
    "0900000004": Role.MANAGER,
    "0900000005": Role.INSPECTOR,
    "canbo@xa.example": Role.OFFICIAL,  # of the commune authority: reads the cooperative
    "0900000007": Role.ADMIN,
}


def write_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS and rule.endpoint != "static"]


def url_of(rule) -> str:
    """A path for the rule, its record ids of a record that does not exist (a refusal comes first)."""
    url = re.sub(r"<int:\w+>", "999999", rule.rule)
    url = re.sub(r"<any\((\w+)[^>]*>", r"\1", url)
    url = url.replace("<part>", "A").replace("<name>", "send")
    url = url.replace("<record>", "00000000-0000-4000-8000-000000000001")
    url = url.replace("<photo>", "00000000-0000-4000-8000-000000000002")
    return re.sub(r"<(\w+:)?\w+>", "X1", url)


def test_every_write_route_is_in_the_policy_table(app):
    endpoints = {rule.endpoint for rule in write_rules(app)}
    assert endpoints, "the test must see routes, or it proves nothing"
    assert endpoints <= set(ROUTES), f"say in ROUTES which kind of write these make: {endpoints - set(ROUTES)}"
    assert set(ROUTES) <= endpoints, f"routes gone: {set(ROUTES) - endpoints}"
    assert set(ROUTES.values()) - {None, WORKFLOW} == set(WRITERS)  # every kind of write is reached by a route


@pytest.fixture
def coop(app):
    with app.app_context():
        org = make_org("htx-chinh-sach")
        authority = make_org("ubnd-xa", kind=OrganisationKind.COMMUNE_AUTHORITY)
        village = make_village(org, "Thôn Một")
        households = [make_household(org, village, "Hộ A"), make_household(org, village, "Hộ B")]
        tokens = {}
        for login_name, role in PEOPLE.items():
            user = make_user(authority if role is Role.OFFICIAL else org, role, login=login_name)
            if login_name in ("0900000001", "0900000002"):
                membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
                membership.household_id = households[login_name == "0900000002"].id
            if role is not Role.OFFICIAL:  # an official holds no token of an organisation it only reads
                tokens[login_name] = create_token(user, org, "matrix")[1]
        manager = db.session.scalar(sa.select(Membership).where(Membership.role == Role.MANAGER)).user
        planting = make_planting(org, manager, make_plot(org, village, households[0], code="A-1"))
        db.session.commit()
        return {"org": org.id, "tokens": tokens, "planting": planting.id, "households": [h.id for h in households]}


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Event.id)))


def test_each_role_writes_what_the_policy_allows_and_nothing_else(app, coop):
    checked = refused = 0
    for login_name, role in PEOPLE.items():
        client = app.test_client()
        assert login(client, login_name).status_code == 302
        assert client.post("/organisation", data={"organisation_id": coop["org"]}).status_code == 302
        for rule in write_rules(app):
            kind = ROUTES[rule.endpoint]
            if kind is None or kind == WORKFLOW:
                continue
            api = rule.rule.startswith(("/api/", "/epcis/"))
            if api and login_name not in coop["tokens"]:
                continue
            for method in sorted(rule.methods & WRITE_METHODS):
                before = count_events(app)
                if api:
                    headers = {"Authorization": f"Bearer {coop['tokens'][login_name]}"}
                    response = client.open(url_of(rule), method=method, json={}, headers=headers)
                else:
                    response = client.open(url_of(rule), method=method, data={})
                where = f"{login_name} ({role}) {method} {rule.rule}: {response.status_code}"
                assert response.status_code < 500, where
                if role in WRITERS[kind]:
                    assert response.status_code != 403, where
                else:
                    assert response.status_code == 403, where
                    assert count_events(app) == before, where
                    refused += 1
                checked += 1
    assert checked > 300 and refused > 100, (checked, refused)


def _planting(app, planting_id):
    with app.app_context():
        return db.session.get(Planting, planting_id).status


def test_a_member_cannot_end_another_households_season(app, coop):
    client = app.test_client()
    login(client, "0900000002")  # of household B; the season is household A's
    before = count_events(app)
    response = client.post(f"/plantings/{coop['planting']}/end", follow_redirects=True)
    assert response.status_code == 200
    assert "Bản ghi này thuộc hộ khác" in response.get_data(as_text=True)
    assert _planting(app, coop["planting"]) is PlantingStatus.GROWING
    assert count_events(app) == before


def test_the_rule_holds_in_the_service_whatever_calls_it(app, coop):
    with app.app_context():
        planting = db.session.get(Planting, coop["planting"])
        other = db.session.scalar(sa.select(Membership).where(Membership.household_id == coop["households"][1])).user
        with pytest.raises(DomainError):
            seasons.end_planting(
                db.session.get(Organisation, planting.organisation_id), other, planting, ended_on=planting.sown_on
            )
        assert planting.status is PlantingStatus.GROWING


@pytest.mark.parametrize("login_name", ["0900000001", "0900000003", "0900000004"])
def test_own_household_team_leader_and_manager_end_the_season(app, coop, login_name):
    client = app.test_client()
    login(client, login_name)
    assert client.post(f"/plantings/{coop['planting']}/end").status_code == 302
    assert _planting(app, coop["planting"]) is PlantingStatus.FINISHED
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.kind == EventKind.PLANTING_END))
        assert event.recorded_by.login == login_name  # who wrote it
        # For whom, when someone else recorded it: an assisted entry. One's own record says no more.
        assisted = login_name != "0900000001"
        assert event.for_household_id == (coop["households"][0] if assisted else None)


def _plot(app):
    with app.app_context():
        return db.session.scalar(sa.select(Plot).where(Plot.code == "A-1"))


def test_a_member_cannot_change_another_households_plot(app, coop):
    client = app.test_client()
    login(client, "0900000002")  # of household B; plot A-1 is household A's
    plot = _plot(app)
    assert client.post(f"/plots/{plot.id}/archive", data={"archived": "1"}).status_code == 403
    assert client.post(f"/plots/{plot.id}/edit", data={"name": "Đổi tên"}).status_code == 403
    assert client.get(f"/plots/{plot.id}/edit").status_code == 403
    after = _plot(app)
    assert after.archived_at is None and after.name == plot.name


@pytest.mark.parametrize("login_name", ["0900000001", "0900000003"])
def test_own_household_and_team_leader_change_the_plot(app, coop, login_name):
    client = app.test_client()
    login(client, login_name)
    assert client.post(f"/plots/{_plot(app).id}/archive", data={"archived": "1"}).status_code == 302
    assert _plot(app).archived_at is not None


def test_a_member_cannot_make_a_plot_for_another_household_on_the_web_or_the_api(app, coop):
    a, b = coop["households"]
    with app.app_context():
        village_id = db.session.scalar(sa.select(Plot.village_id).where(Plot.code == "A-1"))
    plot = {"code": "B-9", "name": "Ruộng mới", "village_id": str(village_id), "area_m2": "500", "crop": "Khổ qua"}
    client = app.test_client()
    login(client, "0900000001")  # of household A
    page = client.post("/plots/new", data={**plot, "household_id": str(b)})
    assert page.status_code == 200 and "Ruộng mới" in page.get_data(as_text=True)  # shown again, refused
    api = app.test_client().post(
        "/api/v1/plots",
        json={**plot, "village_id": village_id, "area_m2": "500", "household_id": b},
        headers={"Authorization": f"Bearer {coop['tokens']['0900000001']}"},
    )
    assert api.status_code == 422 and api.json["error"]["field"] == "household_id"
    with app.app_context():
        assert db.session.scalar(sa.select(Plot.id).where(Plot.code == "B-9")) is None
    own = app.test_client().post(
        "/api/v1/plots",
        json={**plot, "village_id": village_id, "area_m2": "500", "household_id": a},
        headers={"Authorization": f"Bearer {coop['tokens']['0900000001']}"},
    )
    assert own.status_code == 201, own.json  # its own household: yes
