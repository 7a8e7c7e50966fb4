"""GS1 identifiers: check digits for GTIN and GLN (pure functions, no database)."""

from __future__ import annotations


def check_digit(body: str) -> int:
    """GS1 mod-10 check digit for the digits before it (weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def has_valid_check_digit(code: str) -> bool:
    return code.isdigit() and len(code) >= 2 and check_digit(code[:-1]) == int(code[-1])


def normalise_gtin(raw: str) -> str | None:
    """A GTIN-8, -12, -13 or -14 as its 14-digit form, or None if it is not a valid GTIN."""
    code = "".join((raw or "").split())
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return None
    code = code.zfill(14)
    return code if has_valid_check_digit(code) else None


def is_valid_gln(raw: str) -> bool:
    return len(raw) == 13 and has_valid_check_digit(raw)
