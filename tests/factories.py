"""Small factories: each builds a valid record through the same services the app uses."""
from __future__ import annotations

import itertools
from decimal import Decimal

from traceability.accounts import services as accounts
from traceability.accounts.models import OrganisationKind, Role
from traceability.farm import services as farm
from traceability.products import services as products

PASSWORD = "correct-horse-9"
_counter = itertools.count(1)


def make_org(code: str | None = None, *, kind=OrganisationKind.COOPERATIVE, commune="Quảng Thái",
             province="Thành phố Huế", name: str | None = None):
    n = next(_counter)
    code = code or f"org-{n}"
    return accounts.create_organisation(code=code, name=name or f"HTX {code}", kind=kind, commune=commune,
                                        province=province)


def make_user(org, role: Role | str = Role.MANAGER, *, login: str | None = None, name: str = "Người dùng"):
    n = next(_counter)
    login = login or f"09{n:08d}"
    kind = "email" if "@" in login else "phone"
    user = accounts.create_user(name=name, password=PASSWORD, **{kind: login})
    accounts.add_membership(user, org, Role(role))
    return user


def make_village(org, name: str | None = None):
    return farm.save_village(org, None, name=name or f"Thôn {next(_counter)}")


def make_household(org, village=None, name: str | None = None):
    village = village or make_village(org)
    return farm.save_household(org, None, name=name or f"Hộ {next(_counter)}", village_id=village.id,
                               phone="0912345678")


def make_plot(org, village=None, household=None, code: str | None = None, area="1500"):
    village = village or make_village(org)
    return farm.save_plot(org, None, code=code or f"P{next(_counter)}", name="Ruộng thử", village_id=village.id,
                          household_id=household.id if household else None, area_m2=Decimal(area),
                          crop="Khổ qua")


def make_product(org, code: str | None = None, gtin: str | None = None):
    return products.save_product(org, None, code=code or f"SP{next(_counter)}", name_vi="Khổ qua tươi",
                                 kind="fresh", unit="kg", gtin=gtin, shelf_life_days=10)
