"""Configuration and the command line: init, demo, users create."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_CONFIG, login
from traceability import create_app
from traceability.accounts.models import Membership, Organisation, User
from traceability.config import ConfigError
from traceability.extensions import db
from traceability.farm.models import Household, Plot
from traceability.gs1 import normalise_gtin
from traceability.products.models import Product


def test_production_without_secret_key_stops_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"TRACEABILITY_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_creates_and_reuses_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, str(tmp_path)).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, str(tmp_path)).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://truyxuat.example.vn/")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/trace")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["PUBLIC_BASE_URL"] == "https://truyxuat.example.vn"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/trace"


@pytest.fixture
def cli_app(empty_database_url, tmp_path, monkeypatch):
    """An app whose database starts empty, for the commands that run migrations themselves; its
    instance folder its own (``flask demo`` writes the QR codes' address there)."""
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url}, instance_path=str(tmp_path / "instance")
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_init_creates_database_and_first_admin(cli_app):
    runner = cli_app.test_cli_runner()
    result = runner.invoke(
        args=[
            "init",
            "--org-code",
            "tay-hoang",
            "--org-name",
            "HTX Tây Hoàng",
            "--commune",
            "Quảng Thái",
            "--province",
            "Thành phố Huế",
            "--login",
            "0912345678",
            "--name",
            "Quản trị",
            "--password",
            "mat-khau-dai",
        ]
    )
    assert result.exit_code == 0, result.output
    with cli_app.app_context():
        membership = db.session.scalar(sa.select(Membership))
        assert (membership.role.value, membership.organisation.code, membership.user.phone) == (
            "admin",
            "tay-hoang",
            "0912345678",
        )
    # Running it again only upgrades.
    assert runner.invoke(args=["init"]).exit_code == 0


def test_init_prompts_for_what_is_missing(cli_app):
    result = cli_app.test_cli_runner().invoke(
        args=["init"],
        input="tay-hoang\nHTX Tây Hoàng\nQuảng Thái\nHuế\nadmin@example.com\nAn\nmat-khau-dai\nmat-khau-dai\n",
    )
    assert result.exit_code == 0, result.output
    with cli_app.app_context():
        assert db.session.scalar(sa.select(User.email)) == "admin@example.com"


def test_demo_loads_once_and_logins_work(cli_app):
    runner = cli_app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "0900000002" in result.output and "canbo@quangthai.example" in result.output
    assert "already" in runner.invoke(args=["demo"]).output
    with cli_app.app_context():
        coop = db.session.scalar(sa.select(Organisation).where(Organisation.code == "tay-hoang"))
        households = db.session.scalar(
            sa.select(sa.func.count()).select_from(Household).where(Household.organisation_id == coop.id)
        )
        assert 10 <= households <= 15
        assert db.session.scalar(sa.select(sa.func.count(Plot.id))) >= households
        gtins = db.session.scalars(sa.select(Product.gtin)).all()
        assert len(gtins) >= 5 and all(normalise_gtin(g) == g and g[1:4] == "952" for g in gtins)
        villages = {o.village for o in db.session.scalars(sa.select(Organisation))}
        assert {"Tây Hoàng", "Lai Hà", "Trung Làng", "Đoan Ngọ"} <= villages
    from traceability.demo import DEMO_PASSWORD

    client = cli_app.test_client()
    assert login(client, "0900000002", DEMO_PASSWORD).status_code == 302
    assert "Hợp tác xã khổ qua Tây Hoàng" in client.get("/").get_data(as_text=True)


def test_demo_points_the_qr_codes_at_this_machine_unless_told_otherwise(cli_app, monkeypatch):
    from traceability import demo

    monkeypatch.setattr(demo, "network_address", lambda: "192.168.1.20")
    runner = cli_app.test_cli_runner()
    output = runner.invoke(args=["demo"]).output
    assert "QR codes point to http://192.168.1.20:5000" in output and "--host 0.0.0.0" in output
    assert cli_app.config["PUBLIC_BASE_URL"] == "http://192.168.1.20:5000"
    config_file = Path(cli_app.instance_path) / "config.py"
    assert config_file.read_text(encoding="utf-8").count("PUBLIC_BASE_URL = 'http://192.168.1.20:5000'") == 1
    assert "192.168.1.20" in runner.invoke(args=["demo"]).output  # said again, written once
    assert config_file.read_text(encoding="utf-8").count("PUBLIC_BASE_URL") == 1
    monkeypatch.setattr(demo, "network_address", lambda: None)
    cli_app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"  # no network, and nothing chosen
    config_file.unlink()
    assert "QR codes point to http://127.0.0.1:5000" in runner.invoke(args=["demo"]).output
    assert not config_file.exists()


def test_demo_keeps_an_address_chosen_in_the_environment(cli_app, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://truyxuat.example.vn")
    cli_app.config["PUBLIC_BASE_URL"] = "https://truyxuat.example.vn"
    output = cli_app.test_cli_runner().invoke(args=["demo"]).output
    assert "QR codes point to https://truyxuat.example.vn" in output
    assert not (Path(cli_app.instance_path) / "config.py").exists()


def test_users_create(cli_app):
    runner = cli_app.test_cli_runner()
    runner.invoke(args=["demo"])
    result = runner.invoke(
        args=["users", "create", "0987654321", "--org", "tay-hoang", "--role", "member", "--password", "mat-khau-dai"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["users", "create", "0987654322", "--org", "tay-hoang", "--role", "member"],
        input="mat-khau-dai\nmat-khau-dai\n",
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(
        args=["users", "create", "0987654323", "--org", "nowhere", "--role", "member", "--password", "mat-khau-dai"]
    )
    assert bad.exit_code != 0 and "nowhere" in bad.output
    short = runner.invoke(
        args=["users", "create", "0987654324", "--org", "tay-hoang", "--role", "member", "--password", "short"]
    )
    assert short.exit_code != 0 and "8" in short.output
