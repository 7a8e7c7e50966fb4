"""GS1 Application Identifier table, read from the GS1 Barcode Syntax Dictionary.

The dictionary (``gs1-syntax-dictionary.txt`` next to this module, an Apache-2.0 copy from
gs1/gs1-syntax-dictionary whose header names its commit) is the single source of truth for AI
formats, check-digit and date linters, Digital Link query-attribute flags and primary-key qualifier
orders, so we never hand-maintain a second AI list. It is parsed once per process.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from traceability.gs1 import has_valid_check_digit

DICTIONARY = Path(__file__).with_name("gs1-syntax-dictionary.txt")

# Character sets of the component types: N numeric, X = CSET 82, Y = CSET 39, Z = base64url.
CSETS = {
    "N": frozenset(string.digits),
    "X": frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_"),
    "Y": frozenset(string.ascii_uppercase + string.digits + "#-/"),
    "Z": frozenset(string.ascii_letters + string.digits + "-_="),
}
FLAG_CHARS = frozenset("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~")
COMPONENT = re.compile(r"^(\[)?([NXYZ])(\.\.)?(\d+)(\])?((?:,\w+)*)$")


@dataclass(frozen=True)
class Component:
    cset: str
    length: int  # exact length, or the maximum when ``variable``
    variable: bool
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AIEntry:
    ai: str
    predefined_length: bool  # "*": no FNC1 separator needed (also drives DL attribute order)
    dl_attribute: bool  # "?": allowed as a Digital Link query attribute
    components: tuple[Component, ...]
    dlpkey: tuple[tuple[str, ...], ...] | None  # None: not a primary key; else qualifier orders
    title: str


@cache
def ai_table() -> dict[str, AIEntry]:
    table: dict[str, AIEntry] = {}
    for line in DICTIONARY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        body, _, title = line.partition("#")
        tokens = body.split()
        ais = tokens.pop(0)
        flags = tokens.pop(0) if tokens and set(tokens[0]) <= FLAG_CHARS else ""
        components, dlpkey = [], None
        for token in tokens:
            if match := COMPONENT.match(token):
                opt, cset, dots, length, _, linters = match.groups()
                components.append(
                    Component(cset, int(length), bool(dots), bool(opt), tuple(filter(None, linters.split(","))))
                )
            elif token == "dlpkey":
                dlpkey = ((),)
            elif token.startswith("dlpkey="):
                dlpkey = tuple(tuple(alt.split(",")) for alt in token[7:].split("|"))
            # req=/ex= association rules are not enforced (see digital_link module docstring).
        first, _, last = ais.partition("-")
        for n in range(int(first), int(last or first) + 1):
            ai = str(n).zfill(len(first))
            table[ai] = AIEntry(ai, "*" in flags, "?" in flags, tuple(components), dlpkey, title.strip())
    return table


def lookup(ai: str) -> AIEntry | None:
    return ai_table().get(ai)


# --- Linters -------------------------------------------------------------------------------
# Implemented: csum csumalpha yymmd0 yymmdd yyyymmdd hhmi hh mi ss zero nonzero nozeroprefix
# yesno hyphen winding iso5218 hasnondigit pieceoftotal pcenc.
# Treated as passing (need external code lists we do not carry): gcppos1 gcppos2 iso3166
# iso3166999 iso3166alpha2 iso4217 iban importeridx packagetype couponcode couponposoffer
# latitude longitude mediatype posinseqslash.


def _date_ok(v: str, zero_day: bool) -> bool:
    yy, mm, dd = int(v[-6:-4]), int(v[-4:-2]), int(v[-2:])
    year = int(v[:-4]) if len(v) == 8 else 2000 + yy  # leap years of the 1900s/2000s agree
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= mm <= 12 and (1 <= dd <= days[mm - 1] or (zero_day and dd == 0))


_CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83)
_CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def _csumalpha(v: str) -> bool:
    """Two check characters of GMN/MUDI (GS1 General Specifications §7.9.5)."""
    body, check = v[:-2], v[-2:]
    if len(v) < 3 or len(body) > len(_PRIMES) or any(c not in _CSET82 for c in body):
        return False
    total = sum(_CSET82.index(c) * p for c, p in zip(reversed(body), _PRIMES)) % 1021
    return check == _CSET32[total >> 5] + _CSET32[total & 31]


def _pcenc(v: str) -> bool:
    """Every "%" must start a %XX escape (the value carries percent-encoded text)."""
    return re.search(r"%(?![0-9A-Fa-f]{2})", v) is None


LINTERS = {
    "csum": lambda v: has_valid_check_digit(v),
    "csumalpha": _csumalpha,
    "yymmd0": lambda v: _date_ok(v, zero_day=True),
    "yymmdd": lambda v: _date_ok(v, zero_day=False),
    "yyyymmdd": lambda v: _date_ok(v, zero_day=False),
    "hhmi": lambda v: int(v[:2]) < 24 and int(v[2:]) < 60,
    "hh": lambda v: int(v) < 24,
    "mi": lambda v: int(v) < 60,
    "ss": lambda v: int(v) < 60,
    "zero": lambda v: v == "0",
    "nonzero": lambda v: int(v) != 0,
    "nozeroprefix": lambda v: v == "0" or not v.startswith("0"),
    "yesno": lambda v: v in ("0", "1"),
    "hyphen": lambda v: v == "-",
    "winding": lambda v: v in ("0", "1", "9"),
    "iso5218": lambda v: v in ("0", "1", "2", "9"),
    "hasnondigit": lambda v: not v.isdigit(),
    "pieceoftotal": lambda v: 1 <= int(v[:2]) <= int(v[2:]),
    "pcenc": _pcenc,
}


def ai_value_error(ai: str, value: str) -> str | None:
    """Why ``value`` is not valid data for ``ai`` (None if it is), per the dictionary format."""
    entry = lookup(ai)
    if entry is None:
        return f"unknown AI ({ai})"
    rest = value
    for comp in entry.components:
        if not rest:
            if comp.optional:
                break
            return f"AI ({ai}) value too short"
        part = rest[: comp.length]
        if len(part) < comp.length and not comp.variable:
            return f"AI ({ai}) value too short"
        if any(c not in CSETS[comp.cset] for c in part):
            return f"AI ({ai}) contains a character not allowed in {comp.cset} data"
        for linter in comp.linters:
            check = LINTERS.get(linter)
            if check is not None and not check(part):
                return f"AI ({ai}) fails the {linter} check"
        rest = rest[len(part) :]
    if rest or not value:
        return f"AI ({ai}) value has the wrong length"
    return None
