"""The URI on a printed label never changes: the Digital Link module builds, byte for byte, what
labels, QR codes, pages and exports carried before it built them, and refuses what no label could carry."""

from __future__ import annotations

import itertools
from urllib.parse import quote

import pytest

from traceability.accounts.models import Organisation
from traceability.labels.digital_link import DigitalLinkError, label_uri, parse_uri
from traceability.lots.models import Lot
from traceability.products.models import Product

BASE = "https://truyxuat.example.vn"
GTIN = "09520123000035"
# Lot codes and serials with every character GS1 allows (CSET 82) that a URL path must escape.
LOT_CODES = ["251214-TBN-1", "L/2%", "A+1", "(1)&'2'", "Q?=;:", '"!*,.<>_', "abc-XYZ", "9" * 20]
SERIALS = [None, "7K3M9Q2XH4TB", "7/a+b", "%", "Z" * 20]


def _printed_until_now(org_code: str, product_code: str | None, gtin: str | None, lot: str, serial: str | None):
    """The f-strings that built every label until now (``epcis/identifiers.py``), kept as the reference."""

    def segment(value: str) -> str:
        return quote(str(value), safe="")

    if gtin:
        uri = f"{BASE}/01/{gtin}/10/{segment(lot)}"
    else:
        uri = f"{BASE}/o/{segment(org_code)}/p/{segment(product_code or 'crop')}/10/{segment(lot)}"
    return uri + (f"/21/{segment(serial)}" if serial else "")


@pytest.fixture
def base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE
    with app.app_context():
        yield


PRODUCTS = [("TBN", GTIN), ("KQ-TUOI", None), (None, None)]  # with a GTIN, without one, a crop's harvest


def test_label_uri_is_the_uri_printed_until_now(base_url):
    org = Organisation(code="tay-hoang")
    cases = list(itertools.product(PRODUCTS, LOT_CODES, SERIALS))
    changed = []
    for (code, gtin), lot_code, serial in cases:
        lot = Lot(code=lot_code, product=Product(code=code, gtin=gtin) if code else None)
        if label_uri(org, lot, serial) != _printed_until_now(org.code, code, gtin, lot_code, serial):
            changed.append((code, lot_code, serial))
    assert len(cases) == 120 and changed == []


def test_label_uris_spelled_out(base_url):
    org = Organisation(code="tay-hoang")
    starch = Product(code="TBN", gtin=GTIN)
    assert label_uri(org, Lot(code="L/2%", product=starch), "7/a+b") == f"{BASE}/01/{GTIN}/10/L%2F2%25/21/7%2Fa%2Bb"
    assert label_uri(org, Lot(code="A+1", product=Product(code="KQ-TUOI"))) == f"{BASE}/o/tay-hoang/p/KQ-TUOI/10/A%2B1"
    assert (
        label_uri(org, Lot(code="251214-N1-1"), "7K3M9Q2XH4TB")
        == f"{BASE}/o/tay-hoang/p/crop/10/251214-N1-1/21/7K3M9Q2XH4TB"
    )
    # What a label with a GTIN carries is a strict GS1 Digital Link.
    uri = label_uri(org, Lot(code="(1)&'2'", product=starch), "%")
    assert parse_uri(uri) == [("01", GTIN), ("10", "(1)&'2'"), ("21", "%")]


@pytest.mark.parametrize("product", PRODUCTS)
@pytest.mark.parametrize(("lot_code", "serial"), [("Lô 1", None), ("L 1", None), ("L" * 21, None), ("L1", "S 1")])
def test_what_no_label_can_carry_is_refused(base_url, product, lot_code, serial):
    """Space, diacritics or more than 20 characters are not GS1 lot or serial data: no such code is printed."""
    code, gtin = product
    lot = Lot(code=lot_code, product=Product(code=code, gtin=gtin) if code else None)
    with pytest.raises(DigitalLinkError):
        label_uri(Organisation(code="tay-hoang"), lot, serial)
