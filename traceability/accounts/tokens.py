"""API tokens: created once and shown once; only their hash is kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from traceability import transactions
from traceability.accounts.models import ApiToken, Membership, Organisation, Role, User
from traceability.accounts.services import HOUSEHOLDS
from traceability.accounts.tenancy import of_org
from traceability.database import utcnow
from traceability.errors import DomainError
from traceability.extensions import db

PREFIX = "tx_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, org: Organisation, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is never shown again."""
    if (
        db.session.scalar(sa.select(Membership.id).where(Membership.user_id == user.id, of_org(Membership, org.id)))
        is None
    ):
        raise DomainError(_("This user is not a member of the organisation."))
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user, organisation=org, name=(name or "API").strip()[:120], token_hash=_hash(token), prefix=token[:10]
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def authenticate(token: str) -> tuple[ApiToken, Role | None] | None:
    """The token, with its user and organisation, and the user's role there (None once they are no longer a
    member) and household, in one statement: every API and EPCIS request asks it. The token's use is noted at most hourly:
    a write on every read would make concurrent reads contend for SQLite's lock."""
    if not token or not token.startswith(PREFIX) or len(token) > 100:
        return None
    member = sa.and_(Membership.user_id == ApiToken.user_id, Membership.organisation_id == ApiToken.organisation_id)
    found = db.session.execute(
        sa.select(ApiToken, Membership.role, Membership.household_id)
        .join(ApiToken.user)
        .join(ApiToken.organisation)
        .outerjoin(Membership, member)
        .where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None))
        .options(contains_eager(ApiToken.user), contains_eager(ApiToken.organisation))
    ).first()
    if found is None or not found[0].user.active:
        return None
    row, role, household_id = found
    if role is not None:  # the write that follows asks it: known from this same row
        db.session.info.setdefault(HOUSEHOLDS, {})[row.user_id, row.organisation_id] = household_id
    if role is not None and _stale(row.last_used_at):
        transactions.will_write()  # a GET too: take the write lock first, then look again under it
        if _stale(row.last_used_at):
            row.last_used_at = utcnow()
    return row, role


def _stale(last_used_at: dt.datetime | None) -> bool:
    return last_used_at is None or utcnow() - last_used_at > dt.timedelta(hours=1)


def revoke_token(user: User, org: Organisation, token_id: int) -> ApiToken | None:
    """Revoke one of the user's own tokens in this organisation; None if there is no such token."""
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id, of_org(ApiToken, org.id))
    )
    if row is not None:
        row.revoked_at = utcnow()
    return row
