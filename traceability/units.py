"""Units of quantity: the one list, for products and lots alike, with how each reads and converts.

Stored as their values (``kg``, ``g``, ``l``, ``ml``, ``piece``) in every table. A page shows a unit by
its label in the reader's language: the symbol printed on packs for weights and volumes, the same in
both languages, and a word for pieces ("cái" in Vietnamese).
"""

from __future__ import annotations

import enum
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from traceability.i18n import format_number


class Unit(enum.StrEnum):
    KG = "kg"
    G = "g"
    L = "l"
    ML = "ml"
    PIECE = "piece"

    @property
    def label(self) -> str:
        """How the unit reads after a quantity, in the reader's language."""
        return str(_LABELS[self])

    @property
    def uncefact(self) -> str | None:
        """The UN/CEFACT Recommendation 20 code EPCIS writes as ``uom``; a count of pieces has none."""
        return _UNCEFACT.get(self)

    @property
    def places(self) -> int:
        """Decimals a quantity of this unit may have: what the quantity columns keep (Numeric(14, 3)),
        and none for pieces. A finer quantity would be rounded by the database without a word."""
        return 0 if self is Unit.PIECE else QUANTITY_PLACES

    @property
    def base(self) -> tuple[Unit, Decimal]:
        """The unit it converts into and the factor: grams are thousandths of a kilogram."""
        return _BASE[self]


QUANTITY_PLACES = 3  # the scale of every quantity column

_LABELS = {Unit.KG: "kg", Unit.G: "g", Unit.L: "l", Unit.ML: "ml", Unit.PIECE: _l("piece")}
_UNCEFACT = {Unit.KG: "KGM", Unit.G: "GRM", Unit.L: "LTR", Unit.ML: "MLT"}
_BASE = {
    Unit.KG: (Unit.KG, Decimal(1)),
    Unit.G: (Unit.KG, Decimal("0.001")),
    Unit.L: (Unit.L, Decimal(1)),
    Unit.ML: (Unit.L, Decimal("0.001")),
    Unit.PIECE: (Unit.PIECE, Decimal(1)),
}

# What one packed unit may contain: a weight or a volume, small units first as on a pack.
NET_CONTENT_UNITS = (Unit.G, Unit.ML, Unit.KG, Unit.L)


def parse_unit(value: object, units=tuple(Unit)) -> Unit | None:
    """The unit a form or a request names, if it is one of ``units``."""
    return next((u for u in units if u.value == value), None)


def unit_choices(units=tuple(Unit)) -> list[tuple[str, str]]:
    """(value, label) pairs for a select list; labels stay lazy so each request reads its language."""
    return [(u.value, _LABELS[u]) for u in units]


def unit_label(value: Unit | str | None) -> str:
    """The label of a stored unit value (templates: ``{{ lot.unit|unit }}``); nothing for no unit."""
    return Unit(value).label if value else ""


def amounts_label(amounts: dict, digits: int = 1) -> str:
    """Quantities in several units, each in its own (``{{ amounts|amounts }}``): "73.984 kg + 1.200 cái"."""
    shown = [f"{format_number(q, digits)} {unit_label(u)}" for u, q in amounts.items() if q]
    return " + ".join(shown) or "—"
