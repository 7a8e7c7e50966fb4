"""Who may write what inside an organisation: the one written policy.

Reading is open to every role that can see the organisation (tenancy decides that). Writing is
decided here, by kind of write, and nowhere else: ``org_required(edit=...)`` on web views, the
API's ``@endpoint(roles=...)``, the templates' ``can(...)`` and the services' household check all
take their sets from this module.

Field records (plantings, sprays and fertilisers, harvests, the end of a season, photos on them)
carry one more rule, the household rule, checked in the services so the web, the API and the CLI
keep it alike: a member who belongs to a household records for that household only; a team leader,
a manager or an administrator records for any household, and the event keeps both who recorded it
(``recorded_by``) and for whom (``for_household``): an assisted entry.

A team leader is not a Role of its own: it is a member without a household. The difference
between a member and a team leader is exactly "has a household or not", which the registry already
stores; a separate role value would be a second fact that could disagree with the first (a
"team leader" linked to a household, a "member" with none). Should team leaders ever need rights
a member lacks besides recording for others, that is the time to add ``Role.TEAM_LEADER`` (Role is
a plain string column: no migration).
"""

from __future__ import annotations

import enum

from flask_babel import gettext as _

from traceability.accounts.models import Role
from traceability.errors import DomainError


class Write(enum.StrEnum):
    REGISTRY = "registry"  # villages, households, products, the permitted-input and yield lists
    PLOTS = "plots"
    FIELD = "field"  # plantings, inputs, harvests, the end of a season, photos on them
    QUALITY = "quality"  # inspections, non-conformities, certificates
    TRADE = "trade"  # processing, packing, receipts, sales, recalls
    LABELS = "labels"  # print runs and their jobs
    OCOP = "ocop"  # OCOP dossiers
    SETTINGS = "settings"  # members, organisation settings, signing members out
    TOKENS = "tokens"  # one's own API tokens


_MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
_FIELD = frozenset({Role.MEMBER, Role.MANAGER, Role.ADMIN})

# The policy table. An official changes nothing of the organisations it reads.
WRITERS: dict[Write, frozenset[Role]] = {
    Write.REGISTRY: _MANAGERS,
    Write.PLOTS: _FIELD,
    Write.FIELD: _FIELD,
    Write.QUALITY: frozenset({Role.INSPECTOR, Role.MANAGER, Role.ADMIN}),
    Write.TRADE: _MANAGERS,
    Write.LABELS: _MANAGERS,
    Write.OCOP: _MANAGERS,
    Write.SETTINGS: frozenset({Role.ADMIN}),
    Write.TOKENS: frozenset({Role.MEMBER, Role.MANAGER, Role.INSPECTOR, Role.ADMIN}),
}


def writers(kind: Write) -> frozenset[Role]:
    return WRITERS[kind]


def may_write(role: Role | None, kind: Write) -> bool:
    return role in WRITERS[kind]


def may_record_for(own_household_id: int | None, household_id: int | None) -> bool:
    return own_household_id is None or household_id == own_household_id


def check_records_for(own_household_id: int | None, household_id: int | None, field: str | None) -> None:
    """The household rule: a member with a household (``own_household_id``) records for it alone;
    one without (team leader, manager, admin) records for any, as an assisted entry."""
    if not may_record_for(own_household_id, household_id):
        raise DomainError(_("This record belongs to another household: choose one of your own."), field)
