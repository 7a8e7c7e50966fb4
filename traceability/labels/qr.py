"""QR images of Digital Link URIs: error correction M and a 4-module quiet zone, as PNG or SVG.

M (15 % recovery) survives a scuffed label without making codes for long URIs too dense to print
small; the 4-module quiet zone is what scanners need around the symbol (ISO/IEC 18004).
"""

from __future__ import annotations

import io
import re

import qrcode
from qrcode.image.svg import SvgPathImage

QUIET_ZONE = 4  # modules


def qr_code(data: str) -> qrcode.QRCode:
    """Error correction M, the mask the encoder scores best (ISO/IEC 18004 §7.8.3), quiet zone 4."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, box_size=10)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str, *, module_px: int = 10) -> bytes:
    code = qr_code(data)
    code.box_size = module_px
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data: str) -> str:
    """An SVG for inlining many times on one page: qrcode's path id would repeat, so it is removed."""
    image = qr_code(data).make_image(image_factory=SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return re.sub(r'\s+id="qr-path"', "", buffer.getvalue().decode())


def modules(data: str) -> int:
    """Symbol width in modules, without the quiet zone (to size labels)."""
    return qr_code(data).modules_count
