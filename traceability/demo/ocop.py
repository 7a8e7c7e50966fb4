"""Demo: the bitter-melon cooperative's OCOP dossier, in progress (set 1, fresh produce)."""

from __future__ import annotations

import io
from decimal import Decimal

import sqlalchemy as sa
from PIL import Image, ImageDraw

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import of_org
from traceability.clock import local_today
from traceability.extensions import db
from traceability.ocop import services
from traceability.ocop.attachments import attach
from traceability.products.models import Product
from traceability.products.services import set_story

STORY = (
    "<p>Khổ qua Tây Hoàng được trồng trên đất phù sa ven phá Tam Giang, xã Quảng Thái. "
    "Giống khổ qua địa phương trái nhỏ, gai dày, vị đắng thanh, được các hộ trong thôn giữ giống qua nhiều thế hệ.</p>"
    "<p>Từ năm 2024, <strong>Hợp tác xã khổ qua Tây Hoàng</strong> tổ chức sản xuất theo VietGAP, ghi nhật ký "
    "đồng ruộng trên điện thoại và gắn mã truy xuất cho từng lô hàng.</p>"
)
# Answers the records cannot give, as the cooperative's manager would choose them today.
ANSWERS = {
    "A1.3": 1,
    "A1.4": 2,
    "A1.6": 1,
    "A1.7": 1,
    "A2.1": 2,
    "A2.2": 2,
    "A2.4": 1,
    "A3.2": 2,
    "A3.3": 3,
    "A3.4": 1,
    "A3.5": 1,
    "B4.1": 3,
    "B4.2": 2,
    "B4.3": 3,
    "B5.2": 2,
    "B5.3": 2,
    "C6.1": 3,
    "C6.2": 4,
    "C6.3": 3,
    "C6.4": 3,
    "C7.1": 2,
    "C8.1": 2,
    "C11.1": 1,
}
# Still open in the demo: the product declaration (C9.1, no declaration recorded yet) and C12.1.


def _registration_scan() -> bytes:
    """A stand-in for the scanned business registration: a one-page PDF made here."""
    page = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(page)
    draw.text((60, 80), "GIAY CHUNG NHAN DANG KY HOP TAC XA", fill="black")
    draw.text((60, 120), "Hop tac xa kho qua Tay Hoang - Ma so 3301234567", fill="black")
    buffer = io.BytesIO()
    page.save(buffer, "PDF")
    return buffer.getvalue()


def load_dossier(coop: Organisation, manager: User) -> None:
    product = db.session.scalar(sa.select(Product).where(of_org(Product, coop.id), Product.code == "KQ-TUOI"))
    set_story(product, STORY)
    dossier = services.start_dossier(coop, manager, product_id=product.id, criteria_set="qd26-2026-set01")
    for criterion_id, option in ANSWERS.items():
        services.save_answer(dossier, criterion_id, option)
    dossier.results_year = local_today().year - 1
    dossier.revenue_vnd, dossier.profit_vnd = Decimal(1_260_000_000), Decimal(185_000_000)
    dossier.plan = (
        "Mở rộng vùng khổ qua VietGAP lên 3 ha trong năm tới; đăng ký nhãn hiệu tập thể; "
        "đưa sản phẩm vào hai chuỗi siêu thị tại Huế và Đà Nẵng."
    )
    attach(
        dossier,
        manager,
        title="Giấy chứng nhận đăng ký hợp tác xã",
        filename="dang-ky-htx.pdf",
        data=_registration_scan(),
        criterion_id="A3.1",
    )
    db.session.flush()
