from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from traceability.database import Base, created_at, intpk, org_fk


class IdempotentRequest(Base):
    """The first answer to a write sent with an identity, returned again when the same write comes back.

    The identity is the UUID a phone gave the record when it was saved offline, or any client's
    ``Idempotency-Key``: one mechanism, unique per organisation, so a record resent from a phone
    and from an integrator's system under one UUID is still one record. Written in the same
    transaction as the records the request created: stored if and only if they were.
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "key"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk())
    # The token that sent it; none when a member's phone sent it with the signed-in session.
    token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(sa.String(200))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    # What was received (JSON), so a conflicting resend can be shown beside it; none for a photo's bytes.
    request_body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[created_at]
