"""Accounts: creating organisations and users, memberships, and authenticating with throttling."""

from __future__ import annotations

import datetime as dt
import functools
import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from traceability import transactions
from traceability.accounts.models import (
    LoginFailure,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from traceability.accounts.tenancy import of_org
from traceability.database import utcnow
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.gs1 import is_valid_gln

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_ORG_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
MIN_PASSWORD_LENGTH = 8


class LoginThrottled(DomainError):
    pass


class LoginRefused(DomainError):
    keeps_changes = True  # the failure is counted even though the login is refused


def normalise_phone(raw: str) -> str | None:
    """Vietnamese numbers in the national form 0xxxxxxxxx; '+84 912 345 678' and '84912345678' too."""
    digits = _PHONE_SEPARATORS.sub("", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if re.fullmatch(r"0\d{9,10}", digits):
        return digits
    return None


def normalise_login(raw: str) -> tuple[str, str] | None:
    """Return ('email', address) or ('phone', number), or None when it is neither."""
    raw = (raw or "").strip()
    if "@" in raw:
        return ("email", raw.lower()) if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", raw) else None
    phone = normalise_phone(raw)
    return ("phone", phone) if phone else None


def find_user_by_login(raw: str) -> User | None:
    parsed = normalise_login(raw)
    if parsed is None:
        return None
    kind, value = parsed
    column = User.email if kind == "email" else User.phone
    return db.session.scalar(sa.select(User).where(column == value))


def create_user(
    *, name: str, password: str, phone: str | None = None, email: str | None = None, locale: str | None = None
) -> User:
    phone_norm = normalise_phone(phone) if phone else None
    if phone and not phone_norm:
        raise DomainError(_("This is not a Vietnamese phone number (10 digits starting with 0)."), "phone")
    email_norm = email.strip().lower() if email else None
    if not phone_norm and not email_norm:
        raise DomainError(_("Give a phone number or an email address to log in with."), "phone")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), "password")
    if phone_norm and db.session.scalar(sa.select(User.id).where(User.phone == phone_norm)):
        raise DomainError(_("A user with this phone number already exists."), "phone")
    if email_norm and db.session.scalar(sa.select(User.id).where(User.email == email_norm)):
        raise DomainError(_("A user with this email address already exists."), "email")
    user = User(name=name.strip(), phone=phone_norm, email=email_norm, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_organisation(
    *, code: str, name: str, kind: OrganisationKind, commune: str, province: str, **fields
) -> Organisation:
    code = code.strip().lower()
    if not _ORG_CODE.match(code):
        raise DomainError(
            _("The short code uses lower-case letters, digits and hyphens (for example tay-hoang)."), "code"
        )
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.code == code)):
        raise DomainError(_("An organisation with this short code already exists."), "code")
    org = Organisation(code=code, name=name.strip(), kind=kind, commune=commune, province=province, **fields)
    db.session.add(org)
    db.session.flush()
    return org


def add_membership(user: User, org: Organisation, role: Role) -> Membership:
    if role is Role.OFFICIAL and not org.kind.is_authority:
        raise DomainError(_("Officials belong to a commune or province authority."), "role")
    existing = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id, of_org(Membership, org.id)))
    if existing:
        existing.role = role
        return existing
    membership = Membership(user=user, organisation=org, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership


def authenticate(login: str, password: str, client_address: str) -> User:
    """Check a login; throttle repeated failures per login name and per client address.

    Failures are rows in the database, so the limit holds across workers and servers. Every failed
    attempt costs a password-hash check even for unknown logins, so timing does not reveal which
    logins exist.
    """
    config = current_app.config
    parsed = normalise_login(login)
    login_key = "login:" + (parsed[1] if parsed else (login or "").strip().lower())[:200]
    address_key = "addr:" + (client_address or "unknown")
    since = utcnow() - dt.timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    # Count, check and record one attempt at a time per key, or thirty parallel guesses would all
    # count the same few failures and all be checked.
    transactions.one_at_a_time(login_key, address_key)
    if (
        _failures_since(login_key, since) >= config["LOGIN_MAX_FAILURES_PER_LOGIN"]
        or _failures_since(address_key, since) >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    ):
        minutes = config["LOGIN_WINDOW_SECONDS"] // 60
        raise LoginThrottled(_("Too many failed attempts. Wait %(minutes)d minutes and try again.", minutes=minutes))

    user = find_user_by_login(login)
    valid = user.check_password(password) if user else _dummy_check(password)
    if not valid or not user or not user.active:
        # Old failures no longer count: drop them here, so the table never needs a cron job.
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.attempted_at < since))
        db.session.add_all([LoginFailure(key=login_key), LoginFailure(key=address_key)])
        db.session.flush()
        raise LoginRefused(_("Wrong login or password."), "password")
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == login_key))
    user.last_login_at = utcnow()
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password")


def _dummy_check(password: str) -> bool:
    check_password_hash(_dummy_hash(), password)
    return False


def _failures_since(key: str, since: dt.datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(LoginFailure.key == key, LoginFailure.attempted_at >= since)
    )


def end_sessions(user: User) -> None:
    """Every session and remember-me cookie of ``user`` stops naming them, on every device: the
    cookies are signed by the server but kept by the browser, so the only thing the server can
    change is what a valid one must say (``User.get_id``)."""
    user.session_generation += 1


def change_password(user: User, *, current_password: str, new_password: str, confirm: str) -> User:
    """A new password ends every other session of the user; the view logs this one in again."""
    if not user.check_password(current_password or ""):
        raise DomainError(_("The current password is not right."), "current_password")
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), "new_password")
    if new_password != confirm:
        raise DomainError(_("The two new passwords are not the same."), "confirm")
    user.set_password(new_password)
    end_sessions(user)
    return user


def sign_out_everywhere(org: Organisation, user_id: int) -> User | None:
    """An administrator ends every session of one of the organisation's people (a lost phone)."""
    user = db.session.scalar(sa.select(User).join(Membership).where(User.id == user_id, of_org(Membership, org.id)))
    if user is not None:
        end_sessions(user)
    return user


def add_member(
    org: Organisation, *, name: str, password: str, role: Role | str, phone: str | None = None, email: str | None = None
) -> Membership:
    """A new user who belongs to ``org`` with ``role`` (officials belong to authorities only)."""
    role = Role(role)
    if role is Role.OFFICIAL and not org.kind.is_authority:
        raise DomainError(_("Officials belong to a commune or province authority."), "role")
    user = create_user(name=name, password=password, phone=phone, email=email)
    return add_membership(user, org, role)


def update_organisation(
    org: Organisation,
    *,
    name: str,
    registration_number: str | None,
    address_line: str | None,
    village: str | None,
    commune: str,
    province: str,
    gs1_company_prefix: str | None,
    gln: str | None,
    public_phone: str | None = None,
) -> Organisation:
    """An administrator keeps the organisation's legal and GS1 details; the short code never changes
    (it is printed in label URLs)."""
    if gs1_company_prefix and not re.fullmatch(r"\d{6,12}", gs1_company_prefix):
        raise DomainError(_("A GS1 company prefix has 6 to 12 digits."), "gs1_company_prefix")
    if gln and not is_valid_gln(gln):
        raise DomainError(_("This GLN is not valid: it needs 13 digits and a correct check digit."), "gln")
    if public_phone and not normalise_phone(public_phone):
        raise DomainError(_("This is not a Vietnamese phone number (10 digits starting with 0)."), "public_phone")
    org.name = name
    org.registration_number = registration_number
    org.address_line = address_line
    org.village = village
    org.commune = commune
    org.province = province
    org.gs1_company_prefix = gs1_company_prefix
    org.gln = gln
    org.public_phone = normalise_phone(public_phone) if public_phone else None
    db.session.flush()
    return org


HOUSEHOLDS = "households_of"  # session.info: (user id, organisation id) → household id, read once a transaction


def household_of(user: User, org: Organisation) -> int | None:
    """The member household the user belongs to in this organisation (a team leader or manager has none).
    Asked several times by one write (the rule, then the event): read once per transaction, forgotten at its
    end and whenever a membership is written (``_forget_households``)."""
    known = db.session.info.setdefault(HOUSEHOLDS, {})
    if (user.id, org.id) not in known:
        known[user.id, org.id] = db.session.scalar(
            sa.select(Membership.household_id).where(Membership.user_id == user.id, of_org(Membership, org.id))
        )
    return known[user.id, org.id]


@sa.event.listens_for(Session, "after_flush")
def _forget_households(session: Session, _context) -> None:
    if any(isinstance(o, Membership) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(HOUSEHOLDS, None)


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_households_at_the_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(HOUSEHOLDS, None)
