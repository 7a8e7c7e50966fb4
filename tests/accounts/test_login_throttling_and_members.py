import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import PASSWORD, make_org, make_user
from traceability.accounts import services
from traceability.accounts.models import LoginFailure, Role, User
from traceability.extensions import db


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("12345", None),
        ("abc", None),
        ("", None),
    ],
)
def test_phone_numbers_are_normalised(raw, expected):
    assert services.normalise_phone(raw) == expected


@pytest.fixture
def manager(app):
    """The id of a manager (login 0912345678); a member logs in with member@example.com."""
    with app.app_context():
        org = make_org("tay-hoang")
        user = make_user(org, Role.MANAGER, login="0912345678")
        make_user(org, Role.MEMBER, login="member@example.com")
        db.session.commit()
        return user.id


def test_password_is_hashed(app, manager):
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash).where(User.id == manager))
    assert PASSWORD not in stored
    assert stored.startswith("pbkdf2:sha256")


def test_login_with_phone_in_any_spelling(client, manager):
    response = login(client, "+84 912 345 678")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_with_email_case_insensitive(client, manager):
    assert login(client, "Member@Example.com").status_code == 302


def test_wrong_password_keeps_login_and_says_why(client, manager):
    response = login(client, "0912345678", "wrong")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="0912345678"' in page
    assert "Sai tên đăng nhập hoặc mật khẩu" in page


def test_failed_logins_are_throttled_per_login(app, client, manager):
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_LOGIN"]):
        login(client, "0912345678", "wrong")
    # Even the right password is refused while the window is full: guessing gains nothing.
    response = login(client, "0912345678", PASSWORD)
    assert response.status_code == 429
    assert "thử sai quá nhiều lần" in response.get_data(as_text=True)
    # The counter lives in the database, where every worker and server sees it.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(LoginFailure.id))) >= 10


def test_throttle_is_per_address_too(app, client, manager):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for n in range(3):
        login(client, f"09000000{n:02d}", "wrong")
    assert login(client, "0912345678", PASSWORD).status_code == 429


def test_success_clears_login_failures(app, client, manager):
    login(client, "0912345678", "wrong")
    assert login(client, "0912345678").status_code == 302
    with app.app_context():
        keys = db.session.scalars(sa.select(LoginFailure.key)).all()
    assert "login:0912345678" not in keys


def test_logout_needs_post_and_ends_session(client, manager):
    login(client, "0912345678")
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_logout_also_ends_stay_logged_in(client, manager):
    """ "Stay logged in on this device" is ticked by default: logging out must end that too."""
    client.post("/login", data={"login": "0912345678", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None
    client.post("/logout")
    assert client.get_cookie("remember_token") is None
    assert client.get("/").status_code == 302


def test_open_redirect_after_login_is_refused(client, manager):
    response = client.post(
        "/login", data={"login": "0912345678", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_inactive_user_cannot_log_in(app, client, manager):
    with app.app_context():
        db.session.get(User, manager).active = False
        db.session.commit()
    assert login(client, "0912345678").status_code == 200


def test_language_choice_is_remembered_per_user(app, client, manager):
    login(client, "0912345678")
    assert "Trang chủ" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"language": "en", "next": "/"})
    assert "Home" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    with app.app_context():
        assert db.session.get(User, manager).locale == "en"
    # A new device, a new session: the account remembers English.
    other = app.test_client()
    login(other, "0912345678")
    assert 'lang="en"' in other.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client, manager):
    login(client, "0912345678")
    client.post("/language", data={"language": "xx"})
    assert 'lang="vi"' in client.get("/").get_data(as_text=True)


def test_session_cookie_flags(app, client, manager):
    response = login(client, "0912345678")
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, TRACEABILITY_ENV="production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_create_user_requires_a_login(ctx):
    with pytest.raises(services.DomainError) as error:
        services.create_user(name="X", password="long-enough")
    assert error.value.field == "phone"


def test_duplicate_phone_is_refused(ctx):
    org = make_org()
    make_user(org, login="0912345678")
    with pytest.raises(services.DomainError):
        services.create_user(name="Y", password="long-enough", phone="+84912345678")


def test_official_needs_an_authority(ctx):
    org = make_org()
    with pytest.raises(services.DomainError):
        make_user(org, Role.OFFICIAL)


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        org = make_org("tay-hoang")
        make_user(org, Role.ADMIN, login="0911111111")
        make_user(org, Role.MANAGER, login="0922222222")
        db.session.commit()
    login(client, "0911111111")
    return client


def test_admin_adds_a_member_who_can_log_in(app, admin_client):
    response = admin_client.post(
        "/members", data={"name": "Lê Văn Bình", "phone": "0933 333 333", "role": "member", "password": "mat-khau-dai"}
    )
    assert response.status_code == 302
    page = admin_client.get("/members").get_data(as_text=True)
    assert "Lê Văn Bình" in page and "0933333333" in page
    other = app.test_client()
    assert login(other, "0933333333", "mat-khau-dai").status_code == 302


def test_member_form_keeps_input_on_error(admin_client):
    response = admin_client.post(
        "/members", data={"name": "Lê Văn Bình", "phone": "12", "role": "member", "password": "mat-khau-dai"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Lê Văn Bình"' in page and 'value="12"' in page


def test_only_admins_manage_people(app, client, admin_client):
    other = app.test_client()
    login(other, "0922222222")
    assert other.get("/members").status_code == 403
    assert (
        other.post(
            "/members", data={"name": "X", "phone": "0944444444", "role": "admin", "password": "mat-khau-dai"}
        ).status_code
        == 403
    )


def test_official_role_is_not_offered_to_a_cooperative(admin_client):
    response = admin_client.post(
        "/members", data={"name": "X", "phone": "0944444444", "role": "official", "password": "mat-khau-dai"}
    )
    assert response.status_code == 200
    assert 'value="official"' not in response.get_data(as_text=True)


def test_admin_edits_organisation_details_with_checked_gln(app, admin_client):
    data = {
        "name": "HTX Tây Hoàng",
        "commune": "Quảng Thái",
        "province": "Thành phố Huế",
        "gs1_company_prefix": "9520123",
        "gln": "9520123000005",
    }
    response = admin_client.post("/organisation/settings", data=data)
    assert "GLN này không hợp lệ" in response.get_data(as_text=True)
    assert admin_client.post("/organisation/settings", data={**data, "gln": "9520123000004"}).status_code == 302
    from traceability.accounts.models import Organisation

    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "tay-hoang"))
        assert (org.name, org.gln) == ("HTX Tây Hoàng", "9520123000004")
    # The public phone buyers see: checked, the GLN kept while it is refused, stored in one form.
    refused = admin_client.post("/organisation/settings", data={**data, "gln": "9520123000004", "public_phone": "12ab"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "10 chữ số" in page and 'value="9520123000004"' in page
    saved = {**data, "gln": "9520123000004", "public_phone": "+84 234 3000 101"}
    assert admin_client.post("/organisation/settings", data=saved).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Organisation.public_phone).where(Organisation.code == "tay-hoang")) == (
            "02343000101"
        )


def test_revoking_a_token_no_row_can_have_is_404_not_500(app, client):
    """An id past what an integer column holds (PostgreSQL refuses it) never reaches the database."""
    from tests.conftest import login
    from tests.factories import make_org, make_user

    with app.app_context():
        make_user(make_org("coop"), "manager", login="0977000111")
        db.session.commit()
    login(client, "0977000111")
    for value in ("2147483648", "9999999999", "0", "٣"):
        assert client.post("/tokens", data={"revoke": value}).status_code == 404, value
