"""The public page a label's QR opens: real history, no login, no personal data."""

import re

import sqlalchemy as sa

from traceability.accounts.models import User
from traceability.extensions import db
from traceability.farm.models import Household
from traceability.lots.models import Lot, LotKind, UnitSerial
from traceability.products.models import Product


def _bags(app):
    with app.app_context():
        lot = db.session.scalar(sa.select(Lot).join(Product).where(Lot.kind == LotKind.SALE, Product.code == "TBN"))
        serial = db.session.scalar(sa.select(UnitSerial.serial).where(UnitSerial.lot_id == lot.id).limit(1))
        return lot.code, lot.product.gtin, serial, lot.id


def test_scan_shows_the_real_history_without_login(demo_app, client):
    code, gtin, serial, _id = _bags(demo_app)
    response = client.get(f"/01/{gtin}/10/{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]
    for expected in (
        "Tinh bột nghệ Lai Hà",
        "Tổ hợp tác tinh bột nghệ Lai Hà",
        "Lai Hà",
        "Quảng Thái",
        code,
        "Gieo trồng",
        "Thu hoạch",
        "Chế biến",
        "Đóng gói",
        "Phân chuồng hoai mục",
    ):
        assert expected in page, expected
    assert re.search(r"<code class=\"token\">[0-9a-f]{64}</code>", page)


def test_public_page_reveals_no_personal_data(demo_app, client):
    code, gtin, serial, _id = _bags(demo_app)
    page = client.get(f"/01/{gtin}/10/{code}/21/{serial}").get_data(as_text=True)
    with demo_app.app_context():
        phones = [u.phone for u in db.session.scalars(sa.select(User)) if u.phone]
        phones += [h.phone for h in db.session.scalars(sa.select(Household)) if h.phone]
        names = [u.name for u in db.session.scalars(sa.select(User))]
    assert not any(phone in page for phone in phones)
    assert not any(name in page for name in names)
    assert "Siêu thị" not in page and "Cửa hàng" not in page  # buyers are nobody's business here


def test_unknown_serial_warns_of_a_copied_label(demo_app, client):
    code, gtin, serial, _id = _bags(demo_app)
    assert "có thể bị sao chép" not in client.get(f"/01/{gtin}/10/{code}/21/{serial}").get_data(as_text=True)
    copied = client.get(f"/01/{gtin}/10/{code}/21/ZZZZZZZZZZZZ")  # walks up to the lot, warning first
    page = copied.get_data(as_text=True)
    assert copied.status_code == 200 and page.index("có thể bị sao chép") < page.index("<h1>")
    assert copied.headers["Cache-Control"] == "no-store"


def test_recalled_lot_shows_the_notice_first(demo_app, client):
    from traceability.clock import local_today
    from traceability.lots.recalls import open_recall

    code, gtin, serial, lot_id = _bags(demo_app)
    with demo_app.app_context():
        lot = db.session.get(Lot, lot_id)
        user = db.session.scalar(sa.select(User).where(User.phone == "0900000011"))
        from traceability.accounts.models import Organisation

        open_recall(
            db.session.get(Organisation, lot.organisation_id),
            user,
            lot_code=code,
            reason="Kiểm tra",
            opened_on=local_today(),
        )
        db.session.commit()
    page = client.get(f"/01/{gtin}/10/{code}").get_data(as_text=True)
    assert page.index("đã bị thu hồi") < page.index("<h1>")


def test_english_on_request_and_wrong_codes(demo_app, client):
    code, gtin, serial, _id = _bags(demo_app)
    assert "Producer" in client.get(f"/01/{gtin}/10/{code}?lang=en").get_data(as_text=True)
    unknown = client.get(f"/01/{gtin}/10/NO-SUCH-LOT")  # walks up to the product, warning first
    page = unknown.get_data(as_text=True)
    assert unknown.status_code == 200 and page.index("NO-SUCH-LOT") < page.index("<h1>")
    bad_digit = f"{gtin[:-1]}{(int(gtin[-1]) + 1) % 10}"
    assert client.get(f"/01/{bad_digit}/10/{code}").status_code == 400  # not a GTIN at all
    assert client.get(f"/o/tay-hoang/p/KQ-TUOI/10/{code}").status_code in (200, 404)  # never its lot
    assert code not in client.get(f"/o/tay-hoang/p/KQ-TUOI/10/{code}").get_data(as_text=True).split("<h1>")[1]
    from traceability.accounts.models import Organisation

    with demo_app.app_context():
        melon = db.session.scalar(
            sa.select(Lot)
            .join(Organisation)
            .where(Organisation.code == "tay-hoang", Lot.kind == LotKind.HARVEST, Lot.planting_id.is_not(None))
        )
        melon_code = melon.code
    page = client.get(f"/o/tay-hoang/p/crop/10/{melon_code}")  # a harvest lot without a GTIN
    assert page.status_code == 200 and "Ruộng" not in page.get_data(as_text=True).split("<h1>")[0]


def test_a_shopper_reads_where_when_and_whom_to_ask_in_either_language(demo_app, client):
    """The header card: the plot and village, the harvest day and the organisation's own public phone;
    on the English page, registry names in English where they have one, and the Vietnamese marked so."""
    with demo_app.app_context():
        lot = db.session.scalar(sa.select(Lot).join(Product).where(Lot.kind == LotKind.SALE, Product.code == "KQ-SAY"))
        path, phone = f"/01/{lot.product.gtin}/10/{lot.code}", "02343000100"  # the demo cooperative's
    vi = client.get(path).get_data(as_text=True)
    card = vi[vi.index('id="producer"') : vi.index("</section>", vi.index('id="producer"'))]
    grown = re.search(r"Trồng tại</dt>\s*<dd>thửa ([A-Z]\d+), ([^<]+)</dd>", card)  # whichever plot the demo drew
    assert grown and re.search(r"Thu hoạch</dt>\s*<dd>\d\d/\d\d/\d{4}", card)
    assert f'href="tel:{phone}"' in card and f'href="https://zalo.me/{phone}"' in card
    assert vi.index('id="producer"') < vi.index('id="journey"')  # read before the journey

    en = client.get(path + "?lang=en").get_data(as_text=True)
    assert "Grown on" in en and "Bitter melon" in en and "Well-rotted manure" in en
    assert "Khổ qua (mướp đắng)" not in en and "Phân chuồng hoai mục" not in en
    assert re.search(r'<span lang="vi">[^<]*sấy', en)  # the producer's own processing notes, in Vietnamese
    assert re.search(r'<dd lang="vi">Hợp tác xã', en)
    assert '<span lang="vi">' not in vi  # a Vietnamese page marks nothing: it is all its language

    facts = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert facts["producer"]["phone"] == phone
    assert facts["origin"]["plots"][0]["village"] == grown[2] and facts["origin"]["harvested"]
