"""The organisation's list of permitted fertilisers and plant-protection products: what members pick
from when they record a spray, each with its pre-harvest interval; banned active ingredients never
get on it."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation
from traceability.accounts.tenancy import of_org
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.farm.models import InputKind, PermittedInput
from traceability.rules import banned_ingredient, fold, load


def find_permitted(org_id: int, trade_name: str) -> PermittedInput | None:
    """The list entry for a trade name, compared without case, accents or spacing differences."""
    wanted = fold(trade_name)
    for entry in db.session.scalars(
        sa.select(PermittedInput).where(of_org(PermittedInput, org_id), PermittedInput.archived_at.is_(None))
    ):
        if fold(entry.trade_name) == wanted:
            return entry
    return None


def english_input_names(org_id: int) -> dict[str, str]:
    """Folded trade name → English name, for the entries of the list that have one."""
    rows = db.session.execute(
        sa.select(PermittedInput.trade_name, PermittedInput.name_en).where(
            of_org(PermittedInput, org_id), PermittedInput.name_en.is_not(None)
        )
    )
    return {fold(trade_name): name_en for trade_name, name_en in rows}


def load_default_inputs(org: Organisation) -> int:
    """Fill an empty permitted list from the defaults in ``rules/default_inputs.json``."""
    existing = {
        fold(name)
        for name in db.session.scalars(sa.select(PermittedInput.trade_name).where(of_org(PermittedInput, org.id)))
    }
    data = load("default_inputs")
    added = 0
    for spec in data["inputs"]:
        if fold(spec["trade_name"]) in existing:
            continue
        db.session.add(
            PermittedInput(
                organisation_id=org.id,
                source=spec.get("source") or data["legal_basis"],
                **{k: v for k, v in spec.items() if k != "source"},
            )
        )
        added += 1
    db.session.flush()
    return added


def save_permitted_input(
    org: Organisation,
    entry: PermittedInput | None,
    *,
    trade_name: str,
    kind: InputKind | str,
    active_ingredient: str | None = None,
    phi_days: int | None = None,
    dose_unit: str | None = None,
    source: str | None = None,
    name_en: str | None = None,
) -> PermittedInput:
    kind = InputKind(kind)
    if kind is InputKind.PLANT_PROTECTION and phi_days is None:
        raise DomainError(_("Give the pre-harvest interval (days) printed on the product's label."), "phi_days")
    banned = banned_ingredient(active_ingredient) or banned_ingredient(trade_name)
    if banned:
        raise DomainError(
            _("%(active)s is banned in Vietnam: it cannot be on the permitted list.", active=banned),
            "active_ingredient",
        )
    same = find_permitted(org.id, trade_name)
    if same is not None and same is not entry:
        raise DomainError(_("This product is already on the list."), "trade_name")
    entry = entry or PermittedInput(organisation_id=org.id)
    entry.trade_name, entry.kind, entry.active_ingredient = trade_name, kind, active_ingredient
    entry.phi_days, entry.dose_unit, entry.source = phi_days, dose_unit, source
    entry.name_en = name_en
    db.session.add(entry)
    db.session.flush()
    return entry
