"""The demo's registry: organisations, logins, villages, member households, plots and products.

Names of people are invented; phone numbers use the unassigned 0900 000 xxx range. GTINs use GS1's
example prefix 952, which is never issued to a real company. Figures follow
``shared/reference/agronomy.md``: bitter-melon plots of 2–5 sào (1 sào = 500 m²).
"""

from __future__ import annotations

from decimal import Decimal

from traceability.accounts import services as accounts
from traceability.accounts.models import Organisation, OrganisationKind, Role, User
from traceability.farm import services as farm
from traceability.farm.models import VietGapStatus
from traceability.products import services as products

DEMO_PASSWORD = "demo-2026"
COMMUNE = "Quảng Thái"
PROVINCE = "Thành phố Huế"
BITTER_MELON = "Khổ qua (mướp đắng)"

# (login, role, organisation code): printed by `flask demo` and listed in the README.
DEMO_LOGINS = [
    ("0900000001", "admin", "tay-hoang"),
    ("0900000002", "manager", "tay-hoang"),
    ("0900000003", "member", "tay-hoang"),
    ("0900000004", "inspector", "tay-hoang"),
    ("canbo@quangthai.example", "official", "ubnd-quang-thai"),
    ("ocop@hue.example", "official", "ubnd-hue"),
    ("0900000011", "manager", "nghe-lai-ha"),
    ("0900000012", "manager", "sa-trung-lang"),
    ("0900000013", "manager", "dua-doan-ngo"),
]
USER_NAMES = {
    "0900000001": "Trần Văn Quản",
    "0900000002": "Nguyễn Thị Hoa",
    "0900000003": "Trần Thị Bé",
    "0900000004": "Phạm Thị Kiểm",
    "canbo@quangthai.example": "Hoàng Văn Xã",
    "ocop@hue.example": "Lê Thị Tỉnh",
    "0900000011": "Võ Thị Nghệ",
    "0900000012": "Đặng Văn Sả",
    "0900000013": "Huỳnh Thị Dừa",
}

ORGANISATIONS = [
    dict(
        code="tay-hoang",
        name="Hợp tác xã khổ qua Tây Hoàng",
        kind=OrganisationKind.COOPERATIVE,
        registration_number="3301234567",
        village="Tây Hoàng",
        public_phone="02343000100",  # the cooperative's office, shown to buyers (a made-up number)
        gs1_company_prefix="9520123",
        gln="9520123000004",
    ),
    dict(
        code="ubnd-quang-thai",
        name="Ủy ban nhân dân xã Quảng Thái",
        kind=OrganisationKind.COMMUNE_AUTHORITY,
        village=None,
    ),
    dict(
        code="ubnd-hue",
        name="Ủy ban nhân dân thành phố Huế (Văn phòng OCOP)",
        kind=OrganisationKind.PROVINCE_AUTHORITY,
        village=None,
    ),
    dict(
        code="nghe-lai-ha",
        name="Tổ hợp tác tinh bột nghệ Lai Hà",
        kind=OrganisationKind.COOPERATIVE_GROUP,
        village="Lai Hà",
    ),
    dict(
        code="sa-trung-lang",
        name="Cơ sở tinh dầu sả Trung Làng",
        kind=OrganisationKind.HOUSEHOLD_BUSINESS,
        registration_number="33A8001234",
        village="Trung Làng",
    ),
    dict(
        code="dua-doan-ngo",
        name="Hộ kinh doanh dầu dừa Đoan Ngọ",
        kind=OrganisationKind.HOUSEHOLD_BUSINESS,
        registration_number="33A8005678",
        village="Đoan Ngọ",
    ),
]

HOUSEHOLDS = [  # (head of household, village, plots as (code, area m², VietGAP status))
    ("Nguyễn Văn An", "Tây Hoàng", [("A1", 1500, "certified"), ("A2", 1000, "certified")]),
    ("Trần Thị Bé", "Tây Hoàng", [("A3", 2000, "certified")]),
    ("Lê Văn Cường", "Tây Hoàng", [("A4", 1500, "certified")]),
    ("Phạm Thị Dung", "Tây Hoàng", [("A5", 2500, "certified")]),
    ("Hoàng Văn Em", "Tây Hoàng", [("A6", 1000, "converting")]),
    ("Võ Thị Phượng", "Tây Hoàng", [("A7", 1500, "certified"), ("A8", 500, "converting")]),
    ("Đặng Văn Giang", "Tây Hoàng", [("B1", 2000, "converting")]),
    ("Bùi Thị Hạnh", "Lai Hà", [("B2", 1500, "none")]),
    ("Đỗ Văn Hùng", "Lai Hà", [("B3", 1000, "converting")]),
    ("Ngô Thị Lan", "Trung Làng", [("C1", 2000, "none")]),
    ("Dương Văn Minh", "Trung Làng", [("C2", 1500, "converting")]),
    ("Lý Thị Nga", "Tây Hoàng", [("A9", 1000, "certified")]),
]

PRODUCTS = {
    "tay-hoang": [
        dict(
            code="KQ-TUOI",
            name_vi="Khổ qua tươi Tây Hoàng",
            name_en="Tây Hoàng fresh bitter melon",
            kind="fresh",
            unit="kg",
            gtin="09520123000011",
            shelf_life_days=10,
            storage_instructions="Bảo quản nơi thoáng mát, tốt nhất ở 10–12 °C.",
        ),
        dict(
            code="KQ-SAY",
            name_vi="Khổ qua sấy lát Tây Hoàng",
            name_en="Tây Hoàng dried bitter-melon slices",
            kind="processed",
            unit="g",
            gtin="09520123000028",
            shelf_life_days=270,
            ingredients="Khổ qua 100%.",
            usage_instructions="Hãm 5–10 g với 300 ml nước sôi trong 5 phút.",
            storage_instructions="Nơi khô ráo, tránh ánh nắng; đóng kín túi sau khi mở.",
        ),
    ],
    "nghe-lai-ha": [
        dict(
            code="TBN",
            name_vi="Tinh bột nghệ Lai Hà",
            name_en="Lai Hà turmeric starch",
            kind="processed",
            unit="g",
            gtin="09520123000035",
            shelf_life_days=365,
            ingredients="Tinh bột nghệ vàng 100%.",
            usage_instructions="Pha 1–2 thìa cà phê với nước ấm hoặc mật ong.",
            storage_instructions="Nơi khô ráo, thoáng mát, tránh ánh nắng trực tiếp.",
            warnings="Phụ nữ có thai hỏi ý kiến bác sĩ trước khi dùng.",
        ),
    ],
    "sa-trung-lang": [
        dict(
            code="TD-SA",
            name_vi="Tinh dầu sả chanh Trung Làng",
            name_en="Trung Làng lemongrass oil",
            kind="processed",
            unit="ml",
            gtin="09520123000042",
            shelf_life_days=365,
            ingredients="Tinh dầu sả chanh nguyên chất 100%.",
            usage_instructions="Nhỏ 3–5 giọt vào máy khuếch tán; pha loãng trước khi thoa lên da.",
            storage_instructions="Chai thủy tinh tối màu, nơi mát, tránh ánh nắng.",
            warnings="Không uống. Tránh xa tầm tay trẻ em. Tránh tiếp xúc với mắt.",
        ),
    ],
    "dua-doan-ngo": [
        dict(
            code="DAU-DUA",
            name_vi="Dầu dừa Đoan Ngọ",
            name_en="Đoan Ngọ coconut oil",
            kind="processed",
            unit="ml",
            gtin="09520123000059",
            shelf_life_days=730,
            ingredients="Dầu dừa ép lạnh 100%.",
            usage_instructions="Dùng để nấu ăn hoặc dưỡng da, dưỡng tóc.",
            storage_instructions="Nơi khô ráo; dầu đông đặc dưới 24 °C là bình thường.",
        ),
    ],
}


def load_registry() -> tuple[dict[str, Organisation], dict[str, User]]:
    """The organisations and their registers; returns the organisations by code and the users by login."""
    orgs = {}
    for spec in ORGANISATIONS:
        orgs[spec["code"]] = accounts.create_organisation(commune=COMMUNE, province=PROVINCE, **spec)
    users, memberships = {}, {}
    for login, role, org_code in DEMO_LOGINS:
        kind = "email" if "@" in login else "phone"
        users[login] = accounts.create_user(
            name=USER_NAMES[login], password=DEMO_PASSWORD, locale="vi", **{kind: login}
        )
        memberships[login] = accounts.add_membership(users[login], orgs[org_code], Role(role))

    coop = orgs["tay-hoang"]
    villages = {
        name: farm.save_village(coop, None, name=name) for name in ("Tây Hoàng", "Lai Hà", "Trung Làng", "Đoan Ngọ")
    }
    for number, (head, village, plots) in enumerate(HOUSEHOLDS, start=1):
        household = farm.save_household(
            coop, None, name=head, village_id=villages[village].id, phone=f"0900000{100 + number}"
        )
        for code, area, status in plots:
            farm.save_plot(
                coop,
                None,
                code=code,
                name=f"Ruộng {code}",
                village_id=villages[village].id,
                household_id=household.id,
                area_m2=Decimal(area),
                crop=BITTER_MELON,
                vietgap_status=VietGapStatus(status),
            )
        if head == USER_NAMES["0900000003"]:
            memberships["0900000003"].household_id = household.id  # the demo member farms these plots
    for org_code, specs in PRODUCTS.items():
        for spec in specs:
            products.save_product(orgs[org_code], None, **spec)
    _producer_fields(orgs)
    return orgs, users


def _producer_fields(orgs: dict[str, Organisation]) -> None:
    """The other producers' own raw-material plots and villages."""
    for code, village_name, crop, plot_code, area in (
        ("nghe-lai-ha", "Lai Hà", "Nghệ", "N1", 3000),
        ("sa-trung-lang", "Trung Làng", "Sả chanh", "S1", 2500),
        ("dua-doan-ngo", "Đoan Ngọ", "Dừa", "D1", 5000),
    ):
        org = orgs[code]
        village = farm.save_village(org, None, name=village_name)
        farm.save_plot(
            org, None, code=plot_code, name=f"Vườn {plot_code}", village_id=village.id, area_m2=Decimal(area), crop=crop
        )
