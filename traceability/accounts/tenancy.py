"""The current organisation of a request, the rules of who may read or change what, and the one
way any record is looked up inside an organisation.

Every query of an organisation's records goes through this module: ``scoped()`` for a query,
``of_org()`` for a condition inside a larger one, ``in_org()`` / ``all_in_org()`` for a record a
service is handed by id or code (another organisation's record is "not in the list", never
"forbidden"), and ``get_scoped_or_404()`` in views (404, so its existence does not leak).
"""

from __future__ import annotations

import functools
from typing import TypeVar

import sqlalchemy as sa
from flask import abort, g, request, session
from flask_babel import gettext as _
from flask_login import current_user

from traceability.accounts.models import Membership, Organisation, OrganisationKind, Role
from traceability.accounts.policy import Write, writers
from traceability.database import MAX_ID
from traceability.errors import DomainError
from traceability.extensions import db

T = TypeVar("T")

# Who may change what is written in accounts.policy; these names are its sets, kept for the views.
REGISTRY_EDITORS = writers(Write.REGISTRY)
PLOT_EDITORS = writers(Write.PLOTS)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def jurisdiction_filter(authority: Organisation):
    """SQL condition for the producer organisations an authority's officials may read.

    Names are compared exactly; services store them with whitespace collapsed.
    """
    condition = sa.and_(
        Organisation.province == authority.province,
        Organisation.kind.not_in([OrganisationKind.COMMUNE_AUTHORITY, OrganisationKind.PROVINCE_AUTHORITY]),
    )
    if authority.kind is OrganisationKind.COMMUNE_AUTHORITY:
        condition = sa.and_(condition, Organisation.commune == authority.commune)
    return condition


def accessible_organisations(user) -> list[tuple[Organisation, Role]]:
    """Organisations the user may open, with the role they act in there (memberships first)."""
    memberships = db.session.scalars(
        sa.select(Membership)
        .where(Membership.user_id == user.id)
        .join(Membership.organisation)
        .order_by(Organisation.name)
        .options(sa.orm.contains_eager(Membership.organisation))
    ).all()
    result = [(m.organisation, m.role) for m in memberships]
    seen = {org.id for org, _ in result}
    for org, role in list(result):
        if role is Role.OFFICIAL and org.kind.is_authority:
            for other in db.session.scalars(
                sa.select(Organisation).where(jurisdiction_filter(org)).order_by(Organisation.name)
            ):
                if other.id not in seen:
                    seen.add(other.id)
                    result.append((other, Role.OFFICIAL))
    return result


def role_in(user, org_id: int) -> Role | None:
    if not 0 < org_id <= MAX_ID:
        return None
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == org_id)
    )
    if membership:
        return membership.role
    org = db.session.get(Organisation, org_id)
    if org is None:
        return None
    authorities = db.session.scalars(
        sa.select(Organisation).join(Membership).where(Membership.user_id == user.id, Membership.role == Role.OFFICIAL)
    )
    for authority in authorities:
        if authority.kind.is_authority and db.session.scalar(
            sa.select(Organisation.id).where(Organisation.id == org_id, jurisdiction_filter(authority))
        ):
            return Role.OFFICIAL
    return None


def load_current_organisation() -> None:
    """before_request: set g.org and g.role from the session's chosen organisation."""
    g.org = None
    g.role = None
    if not current_user.is_authenticated:
        return
    org_id = session.get("org_id")
    role = role_in(current_user, org_id) if org_id else None
    if role is None:
        options = accessible_organisations(current_user)
        if not options:
            return
        org, role = options[0]
        session["org_id"] = org.id
        org_id = org.id
    g.org = db.session.get(Organisation, org_id)
    g.role = role


def can(roles: frozenset[Role] | Write) -> bool:
    """For templates: may the request's role write this (a set of roles, or a kind of write)?"""
    return g.get("role") in (writers(roles) if isinstance(roles, Write) else roles)


def org_required(edit: frozenset[Role] | Write | None = None, *, writes: Write | None = None):
    """View decorator: a logged-in user with a current organisation and, to change, one of ``edit``.

    ``writes`` is for a page that both shows (to every reader) and takes a write (from the policy's
    writers of that kind): the write is refused before any record is looked up.
    """
    if isinstance(edit, Write):
        edit = writers(edit)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("org") is None:
                abort(403)
            if edit is not None and g.role not in edit:
                abort(403)
            if writes is not None and request.method in WRITE_METHODS and g.role not in writers(writes):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _org_id(org: Organisation | int | None) -> int:
    if org is None:
        return g.org.id
    return org if isinstance(org, int) else org.id


def of_org(model, org: Organisation | int | None = None):
    """SQL condition: the row belongs to ``org`` (default: the request's organisation)."""
    return model.organisation_id == _org_id(org)


def scoped(model: type[T], org: Organisation | int | None = None) -> sa.Select:
    """A query of ``org``'s records of ``model`` (default: the request's organisation)."""
    return sa.select(model).where(of_org(model, org))


def in_org(
    model: type[T],
    org: Organisation | int | None,
    key: int | str | None,
    *,
    field: str | None = None,
    by: str = "id",
    active: bool = False,
    required: bool = True,
    message: str | None = None,
) -> T | None:
    """The record of ``org`` whose ``by`` column (id, or code) is ``key``.

    ``active`` also refuses an archived registry record: new records may only point at current ones.
    A missing key gives None unless ``required``; an unknown one, or another organisation's, raises a
    ``DomainError`` on ``field`` ("choose from the list", or ``message``).
    """
    if key is None or key == "":
        if not required:
            return None
        raise DomainError(message or _("Choose from the list."), field)
    column = getattr(model, by)
    if by == "id" and isinstance(key, str) and key.isascii() and key.isdigit() and len(key) < 12:
        key = int(key)  # an id as a form posts it
    if by == "id" and (not isinstance(key, int) or isinstance(key, bool) or not 0 < key <= MAX_ID):
        record = None
    elif by == "id":
        # By its key: the session's own copy when the request has already read it (a view that checked it).
        record = db.session.get(model, key)
        if record is not None and (
            record.organisation_id != _org_id(org) or (active and record.archived_at is not None)
        ):
            record = None
    else:
        query = scoped(model, org).where(column == key)
        if active:
            query = query.where(model.archived_at.is_(None))
        record = db.session.scalar(query)
    if record is None:
        raise DomainError(message or _("Choose from the list."), field)
    return record


def all_in_org(model: type[T], org: Organisation | int | None, ids, *, field: str | None = None) -> list[T]:
    """Every record named by ``ids``, all of ``org``; one unknown id refuses the lot."""
    wanted = {int(i) for i in ids or ()}
    if not wanted:
        return []
    if not all(0 < i <= MAX_ID for i in wanted):
        raise DomainError(_("Choose from the list."), field)
    rows = db.session.scalars(scoped(model, org).where(model.id.in_(wanted))).all()
    if len(rows) != len(wanted):
        raise DomainError(_("Choose from the list."), field)
    return list(rows)


def current_records(model: type[T], *order_by, org: Organisation | int | None = None) -> list[T]:
    """The organisation's records of a registry model that are not archived, for pick lists."""
    return db.session.scalars(scoped(model, org).where(model.archived_at.is_(None)).order_by(*order_by)).all()


def get_scoped_or_404(model: type[T], record_id: int) -> T:
    if not 0 < record_id <= MAX_ID:
        abort(404)
    record = db.session.scalar(scoped(model).where(model.id == record_id))
    if record is None:
        abort(404)
    return record
