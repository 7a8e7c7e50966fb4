"""One name for each GS1 identifier an EPCIS event can carry: the constrained canonical Digital Link URI.

The same lot may be written ``urn:epc:class:lgtin:8931234.056789.L1``, ``https://our.vn/01/08931234567897/10/L1``
or ``https://id.gs1.org/01/08931234567897/10/L1``. The canonical event hash (CBV 2.0 §8.9) and the query
interface compare identifiers in one form: ``https://id.gs1.org/{key}/{value}``, GTINs padded to 14 digits, the
consumer product variant and any query string dropped, and only the finest level kept (a serial, not its lot).
Anything that is not a GS1 identifier (our own ``/o/{org}/...`` lots, a party's URN) has no canonical form and
is compared as written.
"""

from __future__ import annotations

import re

from traceability.gs1 import check_digit

CANONICAL = "https://id.gs1.org"

# EPC URIs keep characters a Digital Link must percent-encode; only these, as the EPC Tag Data Standard lists.
_URN_ENCODE = str.maketrans({c: f"%{ord(c):02X}" for c in "!()*+,:"})


def _enc(text: str) -> str:
    return text.translate(_URN_ENCODE)


def _digits(gcp: str, ref: str, total: int) -> bool:
    return 6 <= len(gcp) <= 12 and (gcp + ref).isdigit() and len(gcp) + len(ref) == total


def _gtin(gcp: str, indicator_and_item: str) -> str:
    body = indicator_and_item[:1] + gcp + indicator_and_item[1:]
    return body + str(check_digit(body))


def _keyed(gcp: str, ref: str, length: int, prefix: str = "") -> str | None:
    """A key with a check digit: ``prefix + gcp + ref`` of ``length`` digits before the check digit."""
    if not _digits(gcp, ref, length - len(prefix)):
        return None
    body = prefix + gcp + ref
    return body + str(check_digit(body))


_PART = r"(?:%[0-9A-Fa-f]{2}|[!'()*+,.0-9:;=A-Za-z_-])"


def _from_urn(uri: str) -> str | None:
    """EPC pure identity, class and pattern URIs (Tag Data Standard) as Digital Link."""
    m = re.fullmatch(r"urn:epc:(id|class|idpat):([a-z]+):(.+)", uri)
    if m is None:
        return None
    form, scheme, rest = m.groups()
    parts = rest.split(".")
    pattern = form == "idpat"
    if pattern:
        if parts[-1] != "*":
            return None
        parts = parts[:-1]
    build = _PATTERNS if pattern else (_CLASSES if form == "class" else _IDS)
    maker = build.get(scheme)
    try:
        found = maker(*parts) if maker else None
    except (TypeError, ValueError):  # the wrong number of parts for the scheme
        return None
    return f"{CANONICAL}/{found}" if found else None


def _serial(value: str, longest: int) -> bool:
    return re.fullmatch(f"{_PART}{{1,{longest}}}", value) is not None


def _sgtin(gcp, item, serial):
    return f"01/{_gtin(gcp, item)}/21/{_enc(serial)}" if _digits(gcp, item, 13) and _serial(serial, 20) else None


def _sscc(gcp, ref):
    if not _digits(gcp, ref, 17):
        return None
    body = ref[:1] + gcp + ref[1:]  # the extension digit leads
    return f"00/{body}{check_digit(body)}"


def _sgln(gcp, loc, ext):
    gln = _keyed(gcp, loc, 12)
    if gln is None or not _serial(ext, 20):
        return None
    return f"414/{gln}" if ext == "0" else f"414/{gln}/254/{_enc(ext)}"


def _grai(gcp, asset, serial):
    key = _keyed(gcp, asset, 13, "0")
    return f"8003/{key}{_enc(serial)}" if key and _serial(serial, 16) else None


def _giai(gcp, asset):
    return (
        f"8004/{gcp}{_enc(asset)}" if 6 <= len(gcp) <= 12 and gcp.isdigit() and _serial(asset, 30 - len(gcp)) else None
    )


def _with_check(ai: str, length: int):
    def make(gcp, ref):
        key = _keyed(gcp, ref, length)
        return f"{ai}/{key}" if key else None

    return make


def _gdti(gcp, doc, serial):
    key = _keyed(gcp, doc, 12)
    return f"253/{key}{_enc(serial)}" if key and _serial(serial, 17) else None


def _sgcn(gcp, coupon, serial):
    key = _keyed(gcp, coupon, 12)
    return f"255/{key}{serial}" if key and serial.isdigit() and len(serial) <= 12 else None


def _cpi(gcp, ref, serial):
    return f"8010/{_enc(gcp + ref)}/8011/{serial}" if gcp.isdigit() and serial.isdigit() else None


def _ginc(gcp, ref):
    return f"401/{gcp}{_enc(ref)}" if gcp.isdigit() else None


def _itip(gcp, item, piece, total, serial):
    if not (_digits(gcp, item, 13) and (piece + total).isdigit() and len(piece) == len(total) == 2):
        return None
    return f"8006/{_gtin(gcp, item)}{piece}{total}/21/{_enc(serial)}"


def _upui(gcp, item, tpx):
    return f"01/{_gtin(gcp, item)}/235/{_enc(tpx)}" if _digits(gcp, item, 13) else None


def _lgtin(gcp, item, lot):
    return f"01/{_gtin(gcp, item)}/10/{_enc(lot)}" if _digits(gcp, item, 13) and _serial(lot, 20) else None


_IDS = {
    "sgtin": _sgtin,
    "sscc": _sscc,
    "sgln": _sgln,
    "grai": _grai,
    "giai": _giai,
    "gsrn": _with_check("8018", 17),
    "gsrnp": _with_check("8017", 17),
    "gdti": _gdti,
    "cpi": _cpi,
    "sgcn": _sgcn,
    "ginc": _ginc,
    "gsin": _with_check("402", 16),
    "itip": _itip,
    "upui": _upui,
    "pgln": _with_check("417", 12),
}
_CLASSES = {"lgtin": _lgtin}
_PATTERNS = {
    "sgtin": lambda gcp, item: f"01/{_gtin(gcp, item)}" if _digits(gcp, item, 13) else None,
    "upui": lambda gcp, item: f"01/{_gtin(gcp, item)}" if _digits(gcp, item, 13) else None,
    "grai": lambda gcp, asset: f"8003/{_keyed(gcp, asset, 13, '0')}" if _digits(gcp, asset, 12) else None,
    "gdti": lambda gcp, doc: f"253/{_keyed(gcp, doc, 12)}" if _digits(gcp, doc, 12) else None,
    "sgcn": lambda gcp, coupon: f"255/{_keyed(gcp, coupon, 12)}" if _digits(gcp, coupon, 12) else None,
    "cpi": lambda gcp, ref: f"8010/{_enc(gcp + ref)}" if gcp.isdigit() else None,
    "itip": lambda gcp, item, piece, total: (
        f"8006/{_gtin(gcp, item)}{piece}{total}" if _digits(gcp, item, 13) else None
    ),
}

# Digital Link: primary keys (and the short names older links use), then what the canonical form may be.
_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017", "gsrn": "8018",
    "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
    "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
_KEYS = ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018")
_X = "[\"'\\-.0-9;-?A-Z_a-z]"  # the characters a canonical value may hold unencoded
_FINAL = re.compile(
    "|".join(
        (
            r"00/\d{18}",
            rf"01/\d{{14}}(?:/21/{_X}{{0,20}}|/10/{_X}{{0,20}}|/235/{_X}{{0,28}})?",
            rf"253/\d{{13}}{_X}{{0,17}}",
            r"255/\d{13}\d{0,12}",
            rf"401/{_X}{{0,30}}",
            r"402/\d{17}",
            rf"414/\d{{13}}(?:/254/{_X}{{0,20}})?",
            r"417/\d{13}",
            rf"8003/\d{{14}}{_X}{{0,16}}",
            rf"8004/{_X}{{0,30}}",
            rf"8006/\d{{18}}(?:/21/{_X}{{0,20}}|/10/{_X}{{0,20}})?",
            r"8010/[#\-/0-9A-Z]{0,30}(?:/8011/\d{0,12})?",
            r"8017/\d{18}",
            r"8018/\d{18}",
        )
    )
)
_DL = re.compile(r"https?://[^/?#]*(/[^?#]*)(?:\?[^#]*)?(?:#.*)?", re.DOTALL)


def _from_digital_link(uri: str) -> str | None:
    m = _DL.fullmatch(uri)
    if m is None:
        return None
    segments = [_SHORT_NAMES.get(s, s) for s in m.group(1).split("/")]
    # The GS1 part starts at the first primary key with a value of at least four digits (a custom path before it is ours).
    start = next(
        (i for i, s in enumerate(segments[:-1]) if s in _KEYS and re.match(r"\d{4}", segments[i + 1])),
        None,
    )
    if start is None:
        return None
    path = [s for s in segments[start:] if s != ""]  # a trailing slash is tolerated
    if path[0] == "01" and len(path[1]) in (8, 12, 13):
        path[1] = path[1].zfill(14)
    pairs = dict(zip(path[2::2], path[3::2], strict=False))
    pairs.pop("22", None)  # a consumer product variant is not part of the item's identity
    if "21" in pairs:
        pairs.pop("10", None)  # the finest level only: a serial names the item, its lot adds nothing
    canonical = "/".join([path[0], path[1], *(x for pair in pairs.items() for x in pair)])
    return f"{CANONICAL}/{canonical}" if _FINAL.fullmatch(canonical) else None


def canonical_identifier(value: str) -> str | None:
    """The canonical Digital Link URI of a GS1 identifier in any of its URI forms, or None if it is none."""
    if not isinstance(value, str) or "." not in value:
        return None
    if value.startswith("urn:epc:"):
        return _from_urn(value)
    return _from_digital_link(value)
