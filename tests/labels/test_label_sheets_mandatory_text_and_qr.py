"""Label sheets: mandatory fields enforced; every printed QR decodes, at 300 dpi, to its own URL."""

import re
import subprocess
from decimal import Decimal

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from tests.conftest import needs_tool
from tests.factories import days_ago, make_harvest, make_org, make_planting, make_plot, make_user
from traceability.accounts.models import Role
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.labels.sheets import render_sheet
from traceability.lots.models import UnitSerial
from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
from traceability.products import services as products

needs_poppler = needs_tool("pdftoppm")


@pytest.fixture
def bags(ctx):
    org = make_org("nghe-lai-ha", name="Tổ hợp tác tinh bột nghệ Lai Hà")
    org.address_line = "Thôn Lai Hà"
    manager = make_user(org, Role.MANAGER)
    planting = make_planting(org, manager, make_plot(org, code="N1", area="3000"), sown_days_ago=280, crop="Nghệ")
    harvest = make_harvest(org, manager, planting, days_ago_=2, kg="1000")
    product = products.save_product(
        org,
        None,
        code="TBN",
        name_vi="Tinh bột nghệ Lai Hà",
        kind="processed",
        unit="kg",
        gtin="09520123000035",
        shelf_life_days=365,
        ingredients="Tinh bột nghệ vàng 100%",
        usage_instructions="Pha với nước ấm",
        storage_instructions="Nơi khô ráo",
    )
    (starch,) = record_processing(
        org,
        manager,
        processed_on=days_ago(2),
        inputs=[RunInput(harvest.code, Decimal(1000))],
        outputs=[RunOutput("TBN", Decimal(40))],
    ).outputs
    assert db.session.scalar(sa.select(UnitSerial.lot_id).limit(1)) is None  # no serials before packing
    sale_lot = pack(
        org,
        manager,
        source_lot_code=starch.code,
        product_code="TBN",
        units=24,
        net_content=Decimal(100),
        net_unit="g",
        packed_on=days_ago(1),
        serials=True,
    )
    db.session.commit()
    return org, sale_lot, product


def decode_pdf(pdf: bytes, tmp_path) -> list[str]:
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(tmp_path / "sheet.pdf"), str(tmp_path / "page")], check=True)
    texts = []
    for png in sorted(tmp_path.glob("page*.png")):
        texts += [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    return texts


@needs_poppler
@pytest.mark.parametrize("size", ["50x30", "70x37"])
def test_every_unit_qr_decodes_to_its_own_url(bags, tmp_path, size):
    org, lot, _product = bags
    serials = db.session.scalars(sa.select(UnitSerial.serial).where(UnitSerial.lot_id == lot.id)).all()
    pdf = render_sheet(org, lot, size=size, per_unit=True)
    texts = decode_pdf(pdf, tmp_path)
    expected = {f"http://127.0.0.1:5000/01/09520123000035/10/{lot.code}/21/{s}" for s in serials}
    assert len(texts) == 24 and set(texts) == expected
    printed = _pdf_text(pdf, tmp_path)
    assert all(serial in printed for serial in serials)  # each serial readable under its code


@needs_poppler
def test_roll_prints_one_label_per_page_with_the_mandatory_text(bags, tmp_path):
    org, lot, _product = bags
    pdf = render_sheet(org, lot, size="100x70", roll=True, copies=3)
    (tmp_path / "roll.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "roll.pdf"), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert text.count("\f") == 3  # three pages
    for expected in (
        "Tinh bột nghệ Lai Hà",
        "Tổ hợp tác tinh bột nghệ Lai Hà",
        "Xuất xứ: Việt Nam",
        "Định lượng: 100 g",
        f"Số lô: {lot.code}",
        "Thành phần: Tinh bột nghệ vàng 100%",
        f"HSD: {lot.expires_on:%d/%m/%Y}",
    ):
        assert expected in text, expected
    assert "VietGAP" not in text  # no certificate covered this lot


def test_a_missing_mandatory_field_is_named(bags):
    org, lot, product = bags
    product.ingredients = None
    with pytest.raises(DomainError, match="thành phần"):
        render_sheet(org, lot)


def test_cli_prints(app, runner, bags, tmp_path):
    org, lot, _product = bags
    out = tmp_path / "labels.pdf"
    result = runner.invoke(args=["labels", "print", lot.code, "--size", "50x30", "--per", "unit", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(args=["labels", "print", "NO-SUCH", "-o", str(out)])
    assert bad.exit_code != 0 and "No lot" in bad.output


def test_web_qr_and_sheet(app, client, bags):
    import io

    from tests.conftest import login

    org, lot, _product = bags
    make_user(org, Role.MANAGER, login="0977777777")
    db.session.commit()
    login(client, "0977777777")
    png = client.get(f"/lots/{lot.id}/qr.png")
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))] == [
        f"http://127.0.0.1:5000/01/09520123000035/10/{lot.code}"
    ]
    sheet = client.get(f"/lots/{lot.id}/labels.pdf?size=50x30&per=unit")
    assert sheet.mimetype == "application/pdf" and sheet.data.startswith(b"%PDF")
    assert client.get(f"/lots/{lot.id}/labels.pdf?size=1x1").status_code == 302


def _pdf_text(pdf: bytes, tmp_path, *args) -> str:
    (tmp_path / "t.pdf").write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *args, str(tmp_path / "t.pdf"), "-"], capture_output=True, check=True
    ).stdout.decode()


@needs_poppler
def test_ocop_stars_only_while_a_valid_certificate_exists(bags, tmp_path):
    from tests.factories import make_ocop_certificate
    from tests.factories import make_user as user

    org, lot, product = bags
    assert "OCOP" not in _pdf_text(render_sheet(org, lot, size="70x37"), tmp_path)
    certificate = make_ocop_certificate(
        org,
        user(org, Role.MANAGER),
        product.id,
        stars=4,
        number="QĐ 9/QĐ-UBND",
        valid=(30, 1000),
    )
    assert "OCOP ★★★★" in _pdf_text(render_sheet(org, lot, size="70x37"), tmp_path)
    certificate.valid_to = days_ago(1)  # expired yesterday
    db.session.flush()
    assert "OCOP" not in _pdf_text(render_sheet(org, lot, size="70x37"), tmp_path)


def test_ocop_certificate_needs_its_stars(bags):
    from traceability.quality.certificates import save_certificate

    org, _lot, product = bags
    with pytest.raises(DomainError, match="1 to 5|1 đến 5") as error:
        save_certificate(
            org,
            make_user(org, Role.MANAGER),
            kind="ocop",
            stars="six",
            number="X",
            issuer="Y",
            valid_from=days_ago(1),
            valid_to=days_ago(-10),
            product_ids=[product.id],
        )
    assert error.value.field == "stars"


def test_a_size_too_small_for_the_mandatory_text_is_refused(bags):
    org, lot, product = bags
    product.ingredients = "Tinh bột nghệ vàng, " * 20  # 400 characters
    with pytest.raises(DomainError, match="50×30") as error:
        render_sheet(org, lot, size="50x30")
    assert error.value.field == "size" and "70x37" in str(error.value)
    assert render_sheet(org, lot, size="100x70").startswith(b"%PDF")  # the large label holds it


@needs_poppler
def test_accepted_small_labels_hold_every_mandatory_line(bags, tmp_path):
    """Where WeasyPrint really puts the words: nothing of the first label falls below its edge,
    and the small label still carries ingredients and instructions (mandatory for processed food)."""
    import re

    org, lot, _product = bags
    pdf = render_sheet(org, lot, size="50x30", per_unit=True)
    bbox = _pdf_text(pdf, tmp_path, "-bbox", "-f", "1", "-l", "1")
    mm = 72 / 25.4
    # Words starting in the first row's band belong to its labels; each must also end inside it.
    first_label = [
        (float(x), float(y_max), w)
        for x, y_min, y_max, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', bbox
        )
        if float(x) < (8 + 50) * mm and float(y_min) < (8 + 30) * mm
    ]
    below = [(w, round(y / mm - 8, 1)) for _x, y, w in first_label if y > (8 + 30) * mm]
    assert first_label and not below, below
    words = " ".join(w for _x, _y, w in first_label)
    assert "Thành phần:" in words and ("HDSD:" in words or "Bảo quản:" in words)


def test_the_lot_page_offers_only_the_sizes_that_hold_the_mandatory_text(app, client):
    import sqlalchemy as sa

    from tests.conftest import login
    from tests.factories import make_bagged_lot
    from traceability.products.models import Product

    with app.app_context():
        lot = make_bagged_lot()
    login(client, "0988888888")
    offered = re.compile(r'href="/lots/\d+/labels.pdf\?size=(\w+)')
    assert offered.findall(client.get(f"/lots/{lot['lot_id']}").get_data(as_text=True)) == ["50x30", "70x37", "100x70"]
    with app.app_context():
        db.session.scalar(sa.select(Product).where(Product.code == "TBN")).ingredients = "Tinh bột nghệ vàng, " * 20
        db.session.commit()
    page = client.get(f"/lots/{lot['lot_id']}").get_data(as_text=True)
    assert "50x30" not in offered.findall(page) and "100x70" in offered.findall(page)
    assert "Không in được nhãn 50×30" in page and "không vừa" in page  # and why
    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.code == "TBN"))
        product.ingredients = None  # mandatory for processed food
        db.session.commit()
    page = client.get(f"/lots/{lot['lot_id']}").get_data(as_text=True)
    assert offered.findall(page) == [] and page.count("Không in được nhãn") == 1  # one reason, said once
