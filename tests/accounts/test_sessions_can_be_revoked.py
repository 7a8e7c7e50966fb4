"""Logging out, a new password and an administrator's "log out on every device" end every session
and remember-me cookie of the user: the old cookies, replayed, get the login page."""

import pytest

from tests.conftest import login
from tests.factories import PASSWORD, make_org, make_user
from traceability.accounts.models import Role, User
from traceability.extensions import db

ADMIN_PAGE = "/members"


@pytest.fixture
def people(app):
    with app.app_context():
        org = make_org("tay-hoang")
        admin = make_user(org, Role.ADMIN, login="0911111111")
        member = make_user(org, Role.MEMBER, login="0922222222")
        db.session.commit()
        return {"admin": admin.id, "member": member.id}


def _device(app, login_name):
    client = app.test_client()
    response = client.post("/login", data={"login": login_name, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return client


def _cookies(client):
    return {name: client.get_cookie(name).value for name in ("session", "remember_token") if client.get_cookie(name)}


def _replay(app, cookies, path=ADMIN_PAGE):
    """A fresh browser given copies of the cookies, as a thief or an old tab would hold them."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get(path)


def _opens(response) -> bool:
    return response.status_code == 200


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_copied_session_and_remember_me_cookie(app, people):
    device = _device(app, "0911111111")
    both = _cookies(device)
    assert set(both) == {"session", "remember_token"}
    assert _opens(_replay(app, both))  # the copies work while the user is logged in
    remember_only = {"remember_token": both["remember_token"]}
    assert device.post("/logout").status_code == 302
    assert _sent_to_login(_replay(app, both))
    assert _sent_to_login(_replay(app, {"session": both["session"]}))
    assert _sent_to_login(_replay(app, remember_only))


def test_a_new_password_logs_out_every_other_device_but_not_this_one(app, people):
    office, phone = _device(app, "0911111111"), _device(app, "0911111111")
    phone_cookies = _cookies(phone)
    response = office.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "mật khẩu mới 2026", "confirm": "mật khẩu mới 2026"},
    )
    assert response.status_code == 302
    assert _opens(office.get(ADMIN_PAGE))
    assert _sent_to_login(phone.get(ADMIN_PAGE))
    assert _sent_to_login(_replay(app, phone_cookies))
    assert login(app.test_client(), "0911111111", "mật khẩu mới 2026").status_code == 302
    assert login(app.test_client(), "0911111111", PASSWORD).status_code == 200  # refused, on the form


def test_a_wrong_current_password_changes_nothing_and_keeps_what_was_typed_out(app, people):
    office = _device(app, "0911111111")
    page = office.post(
        "/account/password", data={"current_password": "sai", "new_password": "abcdefgh1", "confirm": "abcdefgh1"}
    )
    assert page.status_code == 200
    assert "Mật khẩu hiện tại không đúng" in page.get_data(as_text=True)
    assert _opens(office.get(ADMIN_PAGE))
    mismatch = office.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "abcdefgh1", "confirm": "abcdefgh2"}
    )
    assert "Hai mật khẩu mới không giống nhau" in mismatch.get_data(as_text=True)
    assert login(app.test_client(), "0911111111", PASSWORD).status_code == 302


def test_an_administrator_logs_a_lost_phone_out_everywhere(app, people):
    admin = _device(app, "0911111111")
    member = _device(app, "0922222222")
    member_cookies = _cookies(member)
    assert member.get("/").status_code == 200
    response = admin.post(f"/members/{people['member']}/sign-out")
    assert response.status_code == 302
    assert _sent_to_login(member.get("/"))
    assert _sent_to_login(_replay(app, member_cookies, "/"))
    assert _opens(admin.get(ADMIN_PAGE))  # the administrator's own sessions are untouched


def test_only_an_administrator_of_the_same_organisation_may_do_it(app, people):
    with app.app_context():
        other = make_org("lai-ha")
        make_user(other, Role.ADMIN, login="0933333333")
        db.session.commit()
    stranger = _device(app, "0933333333")
    assert stranger.post(f"/members/{people['member']}/sign-out").status_code == 404
    member = _device(app, "0922222222")
    assert member.post(f"/members/{people['admin']}/sign-out").status_code == 403
    with app.app_context():
        assert db.session.get(User, people["member"]).session_generation == 0
        assert db.session.get(User, people["admin"]).session_generation == 0


def test_a_cookie_from_before_sessions_carried_a_generation_names_nobody(app, people):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(people["admin"])  # the old form: the id alone
        session["_fresh"] = True
    assert _sent_to_login(client.get(ADMIN_PAGE))


def test_the_language_picked_on_the_login_page_stays_after_login(app, people):
    client = app.test_client()
    client.post("/language", data={"language": "en", "next": "/login"})
    client.post("/login", data={"login": "0911111111", "password": PASSWORD})
    assert "People and roles" in client.get(ADMIN_PAGE).get_data(as_text=True)
