"""Identifiers for the places, parties and documents of an export, under the organisation's own path.

Lots and units are named by their label URI (``labels.digital_link.label_uri``). Everything else
gets the same kind of address under the organisation's own path (``/o/{org}/…``): a later issue
serves these addresses, so their shape must not change. Buyers and suppliers appear only by their
number: their names and phone numbers are private and never become part of an identifier.
"""

from __future__ import annotations

from flask import current_app

from traceability.accounts.models import Organisation
from traceability.farm.models import Plot
from traceability.gs1 import is_valid_gln
from traceability.labels import digital_link
from traceability.labels.digital_link import percent_encode

# AI 254 (GLN extension) is X..20; plot codes may be longer, and "0" means "no extension" in SGLN.
_MAX_EXTENSION = 20


def organisation_uri(org: Organisation) -> str:
    return digital_link.organisation_uri(current_app.config["PUBLIC_BASE_URL"], org.code)


def party_uri(org: Organisation, party_id: int) -> str:
    return f"{organisation_uri(org)}/party/{int(party_id)}"


def invoice_uri(org: Organisation, invoice_ref: str) -> str:
    """The buyer's invoice as a business-transaction identifier (EPCIS ``bizTransaction`` is a URI)."""
    return f"{organisation_uri(org)}/inv/{percent_encode(invoice_ref)}"


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
    if len(code) <= _MAX_EXTENSION and code != "0" and code == percent_encode(code):
        found = sgln(org, code)
        if found:
            return found
    return f"{organisation_uri(org)}/loc/{percent_encode(code)}"
