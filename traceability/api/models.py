from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from traceability.database import Base, created_at, intpk


class IdempotentRequest(Base):
    """The first answer to a POST sent with an ``Idempotency-Key``, returned again on a retry.

    Written in the same transaction as the records the request created: stored if and only if
    they were.
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)

    id: Mapped[intpk]
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[created_at]
