"""What the records show for an OCOP criterion, kept as facts with the answer and worded when read.

A finding is a small dict, ``{"code": ..., **facts}``, numbers as decimal strings and dates in ISO
form, stored as JSON (``OcopAnswer.finding``). The dossier page says it in the reader's language and
the PDF the commune receives in Vietnamese, whoever refreshed the answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from flask_babel import gettext as _

from traceability.accounts.models import ORGANISATION_KIND_LABELS, OrganisationKind
from traceability.i18n import format_date, format_number
from traceability.units import Unit

NOTHING = {"code": "nothing"}  # the records hold nothing to answer with


def describe(finding: dict) -> str:
    return WORDINGS[finding["code"]](finding)


def _number(value: str, digits: int = 2) -> str:
    return format_number(Decimal(value), digits)


def _date(value: str) -> str:
    return format_date(dt.date.fromisoformat(value))


def _local_share(f: dict) -> str:
    unit = f" {Unit(f['unit']).label}" if f.get("unit") else ""  # one unit only: coconuts in pieces, melons in kg
    return _(
        "%(share)s %% of the raw material of the last 12 months is local: %(own)s from the "
        "organisation's own plots and %(bought)s bought from suppliers in %(commune)s, "
        "of %(total)s in all (%(n)s lots).",
        share=_number(f["share"], 1),
        own=_number(f["own"]) + unit,
        bought=_number(f["bought"]) + unit,
        commune=f["place"],
        total=_number(f["total"]) + unit,
        n=f["lots"],
    )


def _certified_area(f: dict) -> str:
    return _(
        "%(certificates)s: %(n)s of %(total)s plots, %(area)s m² certified.",
        certificates=", ".join(
            f"{c['number']} ({c['issuer']}, {_('until')} {_date(c['valid_to'])})" for c in f["certificates"]
        ),
        n=f["plots"],
        total=f["of_plots"],
        area=_number(f["area_m2"], 0),
    )


def _linkage(f: dict) -> str:
    return _(
        "%(share)s %% of %(n)s sales of the last 12 months carry an invoice or contract reference.",
        share=_number(f["share"], 1),
        n=f["sales"],
    )


def _legal_form(f: dict) -> str:
    return _(
        "Registered as: %(kind)s %(number)s.",
        kind=ORGANISATION_KIND_LABELS[OrganisationKind(f["kind"])],
        number=f.get("number") or "",
    )


def _traceable(f: dict) -> str:
    return _(
        "Every lot of this product has a QR code opening its public history "
        "(%(lots)s lots, %(serials)s units with their own code).",
        lots=f["lots"],
        serials=f["serials"],
    )


WORDINGS: dict[str, Callable[[dict], str]] = {
    "nothing": lambda f: _("The records hold nothing to answer this yet."),
    "local_raw_material_share": _local_share,
    "no_certificate": lambda f: _("No valid VietGAP or organic certificate is recorded."),
    "certified_area": _certified_area,
    "linkage_contracts": _linkage,
    "legal_form": _legal_form,
    "no_sale_lot": lambda f: _("No lot of this product is recorded yet: no label carries a traceability code."),
    "traceable_label": _traceable,
    "story_shown": lambda f: _("The product's story is shown on the public page of every lot."),
    "no_story": lambda f: _(
        "The product has no story yet: write it in the dossier and it appears on the public pages."
    ),
    "no_declaration": lambda f: _("No product declaration is recorded among the certificates."),
    "declaration": lambda f: _("Product declaration %(number)s (%(issuer)s).", number=f["number"], issuer=f["issuer"]),
    "no_food_safety": lambda f: _("No valid food-safety certificate is recorded."),
    "food_safety": lambda f: _(
        "Food-safety certificate %(number)s, valid until %(date)s.", number=f["number"], date=_date(f["valid_to"])
    ),
}
