"""GS1 Digital Link style URIs for our lots, units, places and parties.

Lots whose product has a GTIN get a real Digital Link (``/01/{gtin}/10/{lot}``). Everything else
gets the same shape under the organisation's own path (``/o/{org}/…``): a later issue serves these
addresses, so their shape must not change. Buyers and suppliers appear only by their number:
their names and phone numbers are private and never become part of an identifier.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app

from traceability.accounts.models import Organisation
from traceability.farm.models import Plot
from traceability.gs1 import is_valid_gln
from traceability.lots.models import Lot

# AI 254 (GLN extension) is X..20; plot codes may be longer, and "0" means "no extension" in SGLN.
_MAX_EXTENSION = 20


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _segment(value: object) -> str:
    """Only A–Z a–z 0–9 - . _ ~ stay literal, as GS1 Digital Link generation requires."""
    return quote(str(value), safe="")


def organisation_uri(org: Organisation) -> str:
    return f"{_base()}/o/{_segment(org.code)}"


def lot_uri(org: Organisation, lot: Lot) -> str:
    product = lot.product
    if product is not None and product.gtin:
        return f"{_base()}/01/{product.gtin}/10/{_segment(lot.code)}"
    # No GTIN (a bulk product, a harvest lot of a crop): our own stem, same qualifiers.
    product_code = product.code if product is not None else "crop"
    return f"{organisation_uri(org)}/p/{_segment(product_code)}/10/{_segment(lot.code)}"


def serial_uri(org: Organisation, lot: Lot, serial: str) -> str:
    return f"{lot_uri(org, lot)}/21/{_segment(serial)}"


def party_uri(org: Organisation, party_id: int) -> str:
    return f"{organisation_uri(org)}/party/{int(party_id)}"


def invoice_uri(org: Organisation, invoice_ref: str) -> str:
    """The buyer's invoice as a business-transaction identifier (EPCIS ``bizTransaction`` is a URI)."""
    return f"{organisation_uri(org)}/inv/{_segment(invoice_ref)}"


def sgln(org: Organisation, extension: str = "0") -> str | None:
    """``urn:epc:id:sgln:{company prefix}.{location reference}.{extension}``, or None.

    The split between company prefix and location reference cannot be guessed from a GLN alone,
    so only an organisation with both a valid GLN and the company prefix it starts with gets one.
    """
    prefix, gln = org.gs1_company_prefix or "", org.gln or ""
    if not (prefix.isdigit() and 6 <= len(prefix) <= 12 and is_valid_gln(gln) and gln.startswith(prefix)):
        return None
    return f"urn:epc:id:sgln:{prefix}.{gln[len(prefix) : 12]}.{extension}"


def organisation_location(org: Organisation) -> str:
    return sgln(org) or organisation_uri(org)


def plot_location(org: Organisation, plot: Plot | None) -> str:
    """A field as a GLN extension of the organisation's GLN when it fits, else under our own path."""
    if plot is None:
        return organisation_location(org)
    code = plot.code
    if len(code) <= _MAX_EXTENSION and code != "0" and code == _segment(code):
        found = sgln(org, code)
        if found:
            return found
    return f"{organisation_uri(org)}/loc/{_segment(code)}"
