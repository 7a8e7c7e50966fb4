from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from traceability.database import Base, created_at, intpk, str40, str120, str255
from traceability.enums import enum_type


class OrganisationKind(enum.StrEnum):
    COOPERATIVE = "cooperative"  # hợp tác xã (HTX)
    COOPERATIVE_GROUP = "cooperative_group"  # tổ hợp tác (THT)
    HOUSEHOLD_BUSINESS = "household_business"  # hộ kinh doanh
    COMPANY = "company"
    COMMUNE_AUTHORITY = "commune_authority"  # UBND xã: officials of one commune
    PROVINCE_AUTHORITY = "province_authority"  # officials of a whole province

    @property
    def is_authority(self) -> bool:
        return self in (OrganisationKind.COMMUNE_AUTHORITY, OrganisationKind.PROVINCE_AUTHORITY)


ORGANISATION_KIND_LABELS = {
    OrganisationKind.COOPERATIVE: _l("Cooperative (HTX)"),
    OrganisationKind.COOPERATIVE_GROUP: _l("Cooperative group (THT)"),
    OrganisationKind.HOUSEHOLD_BUSINESS: _l("Household business"),
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.COMMUNE_AUTHORITY: _l("Commune authority"),
    OrganisationKind.PROVINCE_AUTHORITY: _l("Province authority"),
}


class Role(enum.StrEnum):
    MEMBER = "member"
    MANAGER = "manager"
    INSPECTOR = "inspector"
    OFFICIAL = "official"  # reads the organisations of its commune or province, changes nothing of theirs
    ADMIN = "admin"


ROLE_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.MANAGER: _l("Manager"),
    Role.INSPECTOR: _l("Inspector"),
    Role.OFFICIAL: _l("Official"),
    Role.ADMIN: _l("Administrator"),
}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[intpk]
    code: Mapped[str40] = mapped_column(unique=True)  # short slug, e.g. "tay-hoang"
    name: Mapped[str255]
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind))
    registration_number: Mapped[str40 | None]
    address_line: Mapped[str255 | None]
    village: Mapped[str120 | None]
    commune: Mapped[str120]
    province: Mapped[str120]
    gs1_company_prefix: Mapped[str | None] = mapped_column(sa.String(12))
    gln: Mapped[str | None] = mapped_column(sa.String(13))
    # The organisation's own number, shown to buyers (and opened in Zalo): never a member's.
    public_phone: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[created_at]

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"

    @property
    def address(self) -> str:
        parts = [self.address_line, self.village, self.commune, self.province]
        return ", ".join(p for p in parts if p)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Many farmers have no email: a phone number is enough, but one of the two is needed to log in.
        sa.CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="has_login"),
    )

    id: Mapped[intpk]
    name: Mapped[str120]
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    email: Mapped[str255 | None] = mapped_column(unique=True)
    password_hash: Mapped[str255]
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None]
    # Signed into every session and remember-me cookie (``get_id``); one more ends them all.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    def __repr__(self) -> str:
        return f"<User {self.login}>"

    @property
    def login(self) -> str:
        return self.phone or self.email or ""

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What Flask-Login signs into the session and the remember-me cookie: the id and the session
        generation, so a cookie from before the last logout or password change names nobody."""
        return f"{self.id}.{self.session_generation}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    # The member's own household, if any: field forms default to its plots and record for it.
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class LoginFailure(Base):
    """A failed login, counted per login name and per client address over a sliding window.

    Kept in the database rather than in process memory: several workers and servers must agree.
    """

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_key_at", "key", "attempted_at"),)

    id: Mapped[intpk]
    key: Mapped[str255]
    attempted_at: Mapped[created_at]


class ApiToken(Base):
    """A personal token for the JSON API, valid in one organisation. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str120]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # shown in lists so a token can be recognised
    created_at: Mapped[created_at]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()
