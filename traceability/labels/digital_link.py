"""GS1 Digital Link URIs: build the canonical form, parse strictly back to AI element data.

Behaviour follows the GS1 Syntax Engine test vectors with its default (strict) options: no
zero-suppressed GTINs, no convenience alphas (/gtin/), no unknown AIs. Not enforced: the
dictionary's req=/ex= AI pairing rules, and linters that need external code lists (see
ai_table). Element order of a parse result: primary key, path qualifiers, query attributes.

Every URI the application prints or exports for a lot is built here: ``lot_uri`` (a product with a
GTIN) and ``organisation_lot_uri`` (our own stem for the rest), chosen by ``label_uri``.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, quote_plus

from flask import current_app

from traceability.accounts.models import Organisation
from traceability.forms import unsavable
from traceability.gs1 import normalise_gtin
from traceability.labels.ai_table import ai_value_error, lookup
from traceability.lots.models import Lot
from traceability.products.models import Product

CANONICAL_STEM = "https://id.gs1.org"
# Characters allowed anywhere in a URI (RFC 3986 reserved + unreserved + "%"); anything else
# raw (space, < > { } \ ^ ` ", non-ASCII) makes the URI invalid.
URI_CHARS = re.compile(r"^[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*$")
# Scheme all lower or all upper case; host = registered name / IPv4 (any digits form) or an
# IPv6 literal without zone id; optional port.
AUTHORITY = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?$")
AI_BRACKETED = re.compile(r"\((\d{2,4})\)")


class DigitalLinkError(ValueError):
    """The URI or AI data is not a valid GS1 Digital Link (message says why)."""


def percent_encode(value: str, query: bool = False) -> str:
    """Only A–Z a–z 0–9 - . _ ~ stay literal (UTF-8 bytes as %XX); space is %20 in a path, + in a query."""
    return quote_plus(value, safe="") if query else quote(value, safe="")


def percent_decode(value: str, query: bool = False) -> str:
    """%XX in either case becomes that byte (as a code point); malformed escapes stay as is."""
    if query:
        value = value.replace("+", " ")
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value)


def _alternatives(key: str) -> tuple[tuple[str, ...], ...]:
    return lookup(key).dlpkey


def _is_subsequence(items: list[str], seq: tuple[str, ...]) -> bool:
    it = iter(seq)
    return all(ai in it for ai in items)


def _validate(primary, qualifiers, attributes) -> None:
    """Shared rules for parsing and building: formats, path order, allowed attributes."""
    key = primary[0]
    entry = lookup(key)
    if entry is None or entry.dlpkey is None:
        raise DigitalLinkError(f"({key}) is not a Digital Link primary key")
    seen = set()
    for ai, value in [primary, *qualifiers, *attributes]:
        if ai in seen:
            raise DigitalLinkError(f"AI ({ai}) occurs more than once")
        seen.add(ai)
        if "\x00" in value:
            raise DigitalLinkError(f"AI ({ai}) contains a NUL character")
        if error := ai_value_error(ai, value):
            raise DigitalLinkError(error)
    quals = [ai for ai, _ in qualifiers]
    compatible = [alt for alt in _alternatives(key) if _is_subsequence(quals, alt)]
    if not compatible:
        raise DigitalLinkError(f"path qualifiers {quals} not allowed (or out of order) after ({key})")
    for ai, _ in attributes:
        if not lookup(ai).dl_attribute:
            raise DigitalLinkError(f"AI ({ai}) is not allowed as a Digital Link query attribute")
        if any(ai in alt for alt in compatible):
            raise DigitalLinkError(f"AI ({ai}) is a qualifier of ({key}) and belongs in the path")


def _ordered_qualifiers(key: str, qualifiers) -> list[tuple[str, str]]:
    """Qualifiers in the standard order of the first alternative that holds all of them."""
    given = dict(qualifiers)
    for alt in _alternatives(key):
        if set(given) <= set(alt):
            return [(ai, given[ai]) for ai in alt if ai in given]
    raise DigitalLinkError(f"qualifiers {sorted(given)} cannot follow ({key}) together")


def build_uri(stem: str, primary: tuple[str, str], qualifiers=(), attributes=()) -> str:
    """Canonical URI: stem / key / qualifiers in standard order ? attributes in given order."""
    if lookup(primary[0]) is None or lookup(primary[0]).dlpkey is None:
        raise DigitalLinkError(f"({primary[0]}) is not a Digital Link primary key")
    qualifiers = _ordered_qualifiers(primary[0], list(qualifiers))
    attributes = list(attributes)
    _validate(primary, qualifiers, attributes)
    uri = stem.rstrip("/") + "".join(f"/{ai}/{percent_encode(v)}" for ai, v in [primary, *qualifiers])
    if attributes:
        uri += "?" + "&".join(f"{ai}={percent_encode(v, query=True)}" for ai, v in attributes)
    return uri


def _parse_bracketed(ai_data: str) -> list[tuple[str, str]]:
    parts = AI_BRACKETED.split(ai_data)
    if parts[0] != "" or len(parts) < 3:
        raise DigitalLinkError("AI data must look like (01)…(10)…")
    return list(zip(parts[1::2], parts[2::2]))


def generate(ai_data: str, stem: str | None = None) -> str:
    """Canonical Digital Link URI for bracketed AI data such as "(01)…(10)…(17)…"."""
    elements: list[tuple[str, str]] = []
    for ai, value in _parse_bracketed(ai_data):
        if lookup(ai) is None:
            raise DigitalLinkError(f"unknown AI ({ai})")
        if (ai, value) in elements:
            continue  # exact duplicates are dropped, as the reference encoder does
        elements.append((ai, value))
    keys = [e for e in elements if lookup(e[0]).dlpkey is not None]
    if not keys:
        raise DigitalLinkError("no Digital Link primary key in the AI data")
    primary, present = keys[0], dict(elements)
    # The qualifier sequence covering most of the given AIs goes in the path (first on a tie).
    alt = max(_alternatives(primary[0]), key=lambda a: sum(ai in present for ai in a))
    qualifiers = [(ai, present[ai]) for ai in alt if ai in present]
    rest = [e for e in elements if e != primary and e not in qualifiers]
    # The reference encoder emits fixed-length ("*") AIs before variable-length ones.
    rest.sort(key=lambda e: not lookup(e[0]).predefined_length)
    return build_uri(stem or CANONICAL_STEM, primary, qualifiers, rest)


def _split(uri: str):
    """(primary, qualifiers, attributes) of a Digital Link URI, values percent-decoded."""
    if not URI_CHARS.match(uri):
        raise DigitalLinkError("URI contains characters that are not allowed")
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme not in ("http", "https", "HTTP", "HTTPS"):
        raise DigitalLinkError("scheme must be http or https (all lower or all upper case)")
    rest = rest.partition("#")[0]  # a fragment is ignored
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if not AUTHORITY.match(authority):
        raise DigitalLinkError("missing or invalid domain")
    if not slash or path.endswith("/") or not path:
        raise DigitalLinkError("no Digital Link path (or a trailing slash)")
    segments = path.split("/")
    # Walk AI/value pairs from the right; the first primary key found starts the GS1 part,
    # everything to its left is the custom stem.
    i = len(segments) - 2
    while i >= 0:
        ai = segments[i]
        entry = lookup(ai) if ai.isdigit() else None
        if entry is None:
            raise DigitalLinkError(f"path element {ai!r} is not a known AI")
        if entry.dlpkey is not None:
            break
        i -= 2
    if i < 0:
        raise DigitalLinkError("no primary key in the path")
    pairs = [(segments[j], percent_decode(segments[j + 1])) for j in range(i, len(segments), 2)]
    return pairs[0], pairs[1:], _attributes(query)


def _attributes(query: str) -> list[tuple[str, str]]:
    """The AI attributes of a query string, values percent-decoded; other parameters are skipped."""
    attributes = []
    for param in query.split("&"):
        name, eq, value = param.partition("=")
        if not eq or not name.isdigit():
            continue  # singletons, linkType, utm_* … are not AI data
        if lookup(name) is None:
            raise DigitalLinkError(f"query parameter {name} is numeric but not a known AI")
        if not value:
            raise DigitalLinkError(f"empty value for AI ({name})")
        attributes.append((name, percent_decode(value, query=True)))
    return attributes


def parse_uri(uri: str) -> list[tuple[str, str]]:
    """AI element data of a strict GS1 Digital Link URI; DigitalLinkError if it is invalid."""
    primary, qualifiers, attributes = _split(uri)
    _validate(primary, qualifiers, attributes)
    return [primary, *qualifiers, *attributes]


def parse_path(path: str, query: str = "") -> list[tuple[str, str]]:
    """AI element data of a request for a Digital Link path on this server (as sent, percent-encoded)."""
    return parse_uri(f"https://resolver.invalid{path}" + (f"?{query}" if query else ""))


def regenerate(uri: str, stem: str | None = None) -> str:
    """Canonical form of a Digital Link URI, keeping its chosen path (e.g. 235 rather than 10)."""
    primary, qualifiers, attributes = _split(uri)
    return build_uri(stem or CANONICAL_STEM, primary, qualifiers, attributes)


def _lot_qualifiers(lot: str, serial: str | None) -> list[tuple[str, str]]:
    return [("10", lot)] + ([("21", serial)] if serial else [])


def lot_uri(base: str, gtin: str, lot: str, serial: str | None = None, expiry: date | None = None) -> str:
    """{base}/01/{gtin-14}/10/{lot}[/21/{serial}][?17=YYMMDD] for a label of one lot."""
    gtin14 = normalise_gtin(gtin)
    if gtin14 is None:
        raise DigitalLinkError(f"{gtin!r} is not a valid GTIN")
    attributes = [("17", expiry.strftime("%y%m%d"))] if expiry else []
    return build_uri(base, ("01", gtin14), _lot_qualifiers(lot, serial), attributes)


def organisation_uri(base: str, org_code: str) -> str:
    """{base}/o/{org}: the organisation's own stem, for what has no GS1 key."""
    return f"{base.rstrip('/')}/o/{percent_encode(org_code)}"


def organisation_lot_uri(base: str, org_code: str, product_code: str, lot: str, serial: str | None = None) -> str:
    """{base}/o/{org}/p/{product}/10/{lot}[/21/{serial}] for a lot whose product has no GTIN.

    Not a Digital Link (no primary key), but the same qualifiers with the same rules, so a label
    keeps its form when the product gets a GTIN later.
    """
    qualifiers = _lot_qualifiers(lot, serial)
    for ai, value in qualifiers:
        if error := ai_value_error(ai, value):
            raise DigitalLinkError(error)
    stem = f"{organisation_uri(base, org_code)}/p/{percent_encode(product_code)}"
    return stem + "".join(f"/{ai}/{percent_encode(value)}" for ai, value in qualifiers)


def parse_organisation_path(path: str, query: str = "") -> tuple[str, str, list[tuple[str, str]]]:
    """(organisation code, product code, qualifiers) of a request for ``/o/{org}/p/{product}``,
    optionally followed by ``/10/{lot}`` and ``/21/{serial}``: the same rules as a Digital Link path."""
    if not URI_CHARS.match(path + query):
        raise DigitalLinkError("URI contains characters that are not allowed")
    segments = path.split("/")[1:]
    if len(segments) < 4 or segments[0] != "o" or segments[2] != "p" or len(segments) % 2:
        raise DigitalLinkError("not /o/{organisation}/p/{product} followed by AI/value pairs")
    org_code, product_code = percent_decode(segments[1]), percent_decode(segments[3])
    qualifiers = [(ai, percent_decode(value)) for ai, value in zip(segments[4::2], segments[5::2])]
    if [ai for ai, _ in qualifiers] not in ([], ["10"], ["10", "21"]):
        raise DigitalLinkError("only /10/{lot} and then /21/{serial} may follow the product")
    for ai, value in qualifiers:
        if error := ai_value_error(ai, value):
            raise DigitalLinkError(error)
    if not org_code or not product_code or unsavable(org_code + product_code):
        raise DigitalLinkError("empty or invalid organisation or product code")
    _attributes(query)  # the same query rules as a Digital Link
    return org_code, product_code, qualifiers


NO_PRODUCT = "crop"  # the product segment of a lot without a product (a harvest of a crop)


def label_uri(org: Organisation, lot: Lot, serial: str | None = None) -> str:
    """What a lot's label (or one unit's, with its serial) carries, under ``PUBLIC_BASE_URL``; exports
    and the public pages name the lot by the same URI."""
    base = current_app.config["PUBLIC_BASE_URL"]
    product = lot.product
    if product is not None and product.gtin:
        return lot_uri(base, product.gtin, lot.code, serial)
    return organisation_lot_uri(base, org.code, product.code if product else NO_PRODUCT, lot.code, serial)


def product_uri(org: Organisation, product: Product | None) -> str:
    """The product's own URI, one level above its lots': ``/01/{gtin}``, or ``/o/{org}/p/{product}``."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if product is not None and product.gtin:
        return build_uri(base, ("01", product.gtin))
    code = product.code if product else NO_PRODUCT
    return f"{organisation_uri(base, org.code)}/p/{percent_encode(code)}"
