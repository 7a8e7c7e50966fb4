"""Quantities across units: kilograms and grams, litres and millilitres, pieces."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from flask_babel import gettext as _

from traceability.errors import DomainError
from traceability.units import QUANTITY_PLACES, Unit


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


def check_positive(quantity: Decimal | None, field: str = "quantity", unit: Unit | str | None = None) -> Decimal:
    """A quantity above 0, not absurdly large, and no finer than its unit can record (``Unit.places``;
    the columns' scale when the unit is not known yet)."""
    if isinstance(quantity, int):
        quantity = Decimal(quantity)
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        raise DomainError(_("The quantity must be more than 0."), field)
    if quantity > Decimal("100000000"):
        raise DomainError(_("The quantity is too large."), field)
    check_places(quantity, unit, field)
    return quantity


def check_places(quantity: Decimal, unit: Unit | str | None, field: str = "quantity") -> None:
    places = Unit(unit).places if unit else QUANTITY_PLACES
    if quantity != quantity.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN):
        if places == 0:
            raise DomainError(_("Count whole units: %(unit)s cannot be split.", unit=Unit(unit).label), field)
        raise DomainError(
            _(
                "At most %(n)d decimals: %(quantity)s is finer than can be recorded.",
                n=places,
                quantity=format(quantity.normalize(), "f"),
            ),
            field,
        )
