"""Small factories: each builds a valid record through the same services the app uses."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import sqlalchemy as sa

from traceability.accounts import services as accounts
from traceability.accounts.models import OrganisationKind, Role
from traceability.extensions import db
from traceability.farm import services as farm
from traceability.lots.models import UnitSerial
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.products import services as products
from traceability.quality.certificates import save_certificate

PASSWORD = "correct-horse-9"
STARCH_GTIN = "09520123000035"  # GS1's example prefix 952: never a real company's
_counter = itertools.count(1)


def make_org(
    code: str | None = None,
    *,
    kind=OrganisationKind.COOPERATIVE,
    commune="Quảng Thái",
    province="Thành phố Huế",
    name: str | None = None,
):
    n = next(_counter)
    code = code or f"org-{n}"
    return accounts.create_organisation(
        code=code, name=name or f"HTX {code}", kind=kind, commune=commune, province=province
    )


def make_user(org, role: Role | str = Role.MANAGER, *, login: str | None = None, name: str = "Người dùng"):
    n = next(_counter)
    login = login or f"09{n:08d}"
    kind = "email" if "@" in login else "phone"
    user = accounts.create_user(name=name, password=PASSWORD, **{kind: login})
    accounts.add_membership(user, org, Role(role))
    return user


def make_village(org, name: str | None = None):
    return farm.save_village(org, None, name=name or f"Thôn {next(_counter)}")


def make_household(org, village=None, name: str | None = None):
    village = village or make_village(org)
    return farm.save_household(
        org, None, name=name or f"Hộ {next(_counter)}", village_id=village.id, phone="0912345678"
    )


def make_plot(org, village=None, household=None, code: str | None = None, area="1500"):
    village = village or make_village(org)
    return farm.save_plot(
        org,
        None,
        code=code or f"P{next(_counter)}",
        name="Ruộng thử",
        village_id=village.id,
        household_id=household.id if household else None,
        area_m2=Decimal(area),
        crop="Khổ qua",
    )


def make_product(org, code: str | None = None, gtin: str | None = None):
    return products.save_product(
        org,
        None,
        code=code or f"SP{next(_counter)}",
        name_vi="Khổ qua tươi",
        kind="fresh",
        unit="kg",
        gtin=gtin,
        shelf_life_days=10,
    )


def days_ago(n: int) -> dt.date:
    """A date relative to today in Vietnam (the app's default time zone)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() - dt.timedelta(days=n)


def make_planting(org, user, plot=None, sown_days_ago: int = 60, crop: str = "Khổ qua (mướp đắng)"):
    from traceability.farm.services import seasons

    plot = plot or make_plot(org)
    return seasons.start_planting(org, user, plot_id=plot.id, sown_on=days_ago(sown_days_ago), crop=crop)


def make_spray(
    org,
    user,
    planting,
    applied_days_ago: int = 10,
    phi_days: int | None = 7,
    trade_name: str = "Emagold 6.5EC",
    kind: str = "plant_protection",
    active: str | None = None,
):
    from traceability.farm.services import seasons

    facts = seasons.InputFacts(
        planting_id=planting.id,
        applied_on=days_ago(applied_days_ago),
        trade_name=trade_name,
        kind=kind,
        phi_days=phi_days,
        dose=Decimal("20"),
        dose_unit="ml",
        active_ingredient=active or "emamectin benzoate 6.5%",
    )
    return seasons.record_input_application(org, user, facts)


def make_harvest(org, user, planting, days_ago_: int = 0, kg: str = "100"):
    from traceability.lots import services as lots

    return lots.record_harvest(
        org, user, planting_id=planting.id, harvested_on=days_ago(days_ago_), quantity_kg=Decimal(kg)
    )


def make_logged_season(code: str = "tay-hoang"):
    """A melon season as a log's first events: planting, a spray, three harvests (plot A1). Returns
    the organisation, its manager and the planting, to go on from."""
    org = make_org(code)
    manager = make_user(org, Role.MANAGER)
    planting = make_planting(org, manager, make_plot(org, code="A1"), sown_days_ago=70)
    make_spray(org, manager, planting, applied_days_ago=30)
    for days in (20, 18, 16):
        make_harvest(org, manager, planting, days_ago_=days, kg="50")
    return org, manager, planting


def make_inspection(org, inspector, plot=None):
    from traceability.quality import services as quality

    plot = plot or make_plot(org)
    return quality.start_inspection(org, inspector, scope="plot", plot_id=plot.id, inspected_on=days_ago(1))


def make_photo(org, user, event_id=None):
    from io import BytesIO

    from PIL import Image

    from traceability.photos.services import attach_photo

    buffer = BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 40)).save(buffer, "JPEG")
    return attach_photo(org, user, buffer.getvalue(), event_id=event_id)


def make_bagged_lot(inputs: int = 2, harvests: int = 1, units: int = 5) -> dict:
    """A bagged starch lot whose history has ``inputs`` applications on each of ``harvests`` plots,
    with ``units`` serials, for the public pages and the scans (manager: 0988888888)."""
    org = make_org("nghe-lai-ha", name="Tổ hợp tác tinh bột nghệ Lai Hà")
    manager = make_user(org, Role.MANAGER, login="0988888888", name="Nguyễn Văn Quản")
    products.save_product(
        org,
        None,
        code="TBN",
        name_vi="Tinh bột nghệ Lai Hà",
        name_en="Lai Hà turmeric starch",
        kind="processed",
        unit="kg",
        gtin=STARCH_GTIN,
        shelf_life_days=365,
        ingredients="Nghệ 100%",
        usage_instructions="Pha nước ấm",
    )
    lots = []
    for n in range(harvests):
        planting = make_planting(org, manager, make_plot(org, code=f"N{n}"), sown_days_ago=280, crop="Nghệ")
        for i in range(inputs):
            make_spray(
                org,
                manager,
                planting,
                applied_days_ago=200 - i % 150,
                phi_days=None,
                trade_name=f"Phân hữu cơ {i}",
                kind="fertiliser",
                active="hữu cơ",
            )
        lots.append(make_harvest(org, manager, planting, days_ago_=10, kg="500"))
    (starch,) = record_processing(
        org,
        manager,
        processed_on=days_ago(5),
        inputs=[RunInput(x.code, Decimal(500)) for x in lots],
        outputs=[RunOutput("TBN", Decimal(20 * harvests))],
    ).outputs
    bags = pack(
        org,
        manager,
        source_lot_code=starch.code,
        product_code="TBN",
        units=units,
        net_content=Decimal(100),
        net_unit="g",
        packed_on=days_ago(4),
        serials=True,
    )
    make_photo(org, manager, event_id=bags.event_id)
    db.session.commit()
    serials = db.session.scalars(
        sa.select(UnitSerial.serial).where(UnitSerial.lot_id == bags.id).order_by(UnitSerial.id)
    ).all()
    return {
        "org_id": org.id,
        "lot_id": bags.id,
        "code": bags.code,
        "serials": serials,
        "url": f"/01/{STARCH_GTIN}/10/{bags.code}",
    }


# A buyer's phone: only a person's GET of the HTML page counts as a scan (scans.visitors).
PHONE = "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36 Zalo"
BROWSER = {"User-Agent": PHONE, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def scan(client, url: str, address: str = "127.0.0.1", **headers):
    """A person scanning a label with a phone, from ``address``."""
    return client.get(url, headers={**BROWSER, **headers}, environ_base={"REMOTE_ADDR": address})


def written_scans(app) -> int:
    """Write the spooled scans (as the app's writer thread would), then count what is stored."""
    from traceability.scans.models import UnitScan
    from traceability.scans.recorder import recorder

    with app.app_context():
        recorder(app).flush()
        return db.session.scalar(sa.select(sa.func.count()).select_from(UnitScan))


def make_ocop_certificate(org, user, product_id: int, *, stars: int = 3, number: str = "QĐ 1/QĐ-UBND", valid=(30, 700)):
    """An OCOP certificate of ``stars`` for one product, issued ``valid[0]`` days ago and valid
    ``valid[1]`` days more (a negative second number: expired that many days ago)."""
    return save_certificate(
        org,
        user,
        kind="ocop",
        stars=stars,
        number=number,
        issuer="UBND tỉnh",
        valid_from=days_ago(valid[0]),
        valid_to=days_ago(-valid[1]),
        product_ids=[product_id],
    )
