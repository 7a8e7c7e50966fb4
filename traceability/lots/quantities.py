"""Quantities across units: kilograms and grams, litres and millilitres, pieces."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from traceability.errors import DomainError
from traceability.units import Unit


def to_base(quantity: Decimal, unit: Unit | str) -> tuple[Decimal, Unit]:
    base, factor = Unit(unit).base
    return quantity * factor, base


def convert(quantity: Decimal, unit: Unit | str, into: Unit | str, field: str = "quantity") -> Decimal:
    """``quantity`` of ``unit`` expressed in ``into``; refused when the two do not measure the same thing."""
    value, base = to_base(quantity, unit)
    target_base, factor = Unit(into).base
    if base != target_base:
        raise DomainError(_("%(a)s cannot be measured in %(b)s.", a=Unit(unit).label, b=Unit(into).label), field)
    return value / factor


def check_positive(quantity: Decimal | None, field: str = "quantity") -> Decimal:
    if quantity is None or quantity <= 0:
        raise DomainError(_("The quantity must be more than 0."), field)
    if quantity > Decimal("100000000"):
        raise DomainError(_("The quantity is too large."), field)
    return quantity
