from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from traceability.database import Base, created_at, intpk, org_fk


class Photo(Base):
    """A photo attached to a record's event, stored re-encoded and without location metadata.

    Kept in the database, not on one server's disk: every app server must be able to serve it.
    """

    __tablename__ = "photos"
    __table_args__ = (sa.Index("uq_photos_organisation_id_uuid", "organisation_id", "uuid", unique=True),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    # The bytes here, or their key in object storage (blobs.py): one of the two.
    image: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    thumbnail: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    image_key: Mapped[str | None] = mapped_column(sa.String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(200))
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    caption: Mapped[str | None] = mapped_column(sa.String(255))
    uuid: Mapped[str | None] = mapped_column(sa.String(36))  # given on the phone that took it
    created_at: Mapped[created_at]
