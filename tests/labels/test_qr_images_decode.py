"""QR images decode, with a real decoder, to exactly the URL they carry."""

import base64
import io
import subprocess

import pytest
import zxingcpp
from PIL import Image

from tests.conftest import needs_tool
from traceability.labels.qr import QUIET_ZONE, modules, qr_png, qr_svg

URLS = [
    "https://truyxuat.example.vn/01/09520123000035/10/251214-TBN-1",
    "https://truyxuat.example.vn/01/09520123000035/10/251214-TBN-1/21/7K3M9Q2XH4TB",
    "http://127.0.0.1:5000/o/tay-hoang/p/KQ-TUOI/10/260316-A1-1?17=260326",
]


@pytest.mark.parametrize("url", URLS)
def test_png_decodes_to_its_url(url):
    image = Image.open(io.BytesIO(qr_png(url)))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].ec_level == "M"


def test_quiet_zone_is_four_modules():
    url = URLS[0]
    image = Image.open(io.BytesIO(qr_png(url, module_px=4))).convert("L")
    width = (modules(url) + 2 * QUIET_ZONE) * 4
    assert image.size == (width, width)
    border = [image.getpixel((x, y)) for x in range(width) for y in range(QUIET_ZONE * 4)]
    assert min(border) == 255  # the first four module rows are all white


@needs_tool("pdftoppm")
def test_svg_has_no_repeated_id_and_decodes_after_printing(tmp_path):
    from weasyprint import HTML

    svg = qr_svg(URLS[1])
    assert 'id="qr-path"' not in svg
    inline = base64.b64encode(svg.encode()).decode()
    html = f'<img src="data:image/svg+xml;base64,{inline}" style="width:30mm">' * 2  # twice, as on a sheet
    (tmp_path / "sheet.pdf").write_bytes(HTML(string=html).write_pdf())
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(tmp_path / "sheet.pdf"), str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png")))
    assert [r.text for r in zxingcpp.read_barcodes(page)] == [URLS[1], URLS[1]]
