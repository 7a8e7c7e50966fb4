from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from traceability.database import Base, intpk, org_fk, str40


class UnitScan(Base):
    """One counted scan of a unit's QR code.

    No raw IP address is kept: ``client`` is a keyed hash of the address and browser that changes
    every day, enough to stop one phone pumping the counters and useless for following anyone.
    ``province`` is only filled when the buyer chooses to tell us where they bought the unit.
    """

    __tablename__ = "unit_scans"
    __table_args__ = (
        sa.Index("ix_unit_scans_client_scanned_at", "client", "scanned_at"),
        sa.Index("ix_unit_scans_receipt", "receipt", unique=True),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    unit_serial_id: Mapped[int] = mapped_column(sa.ForeignKey("unit_serials.id", ondelete="RESTRICT"), index=True)
    scanned_at: Mapped[dt.datetime]
    agent: Mapped[str40]  # browser family and system, e.g. "Zalo · Android"
    client: Mapped[str] = mapped_column(sa.String(16))
    province: Mapped[str40 | None]
    # Made when the scan happened; unique, so a spool written twice stores the scan once (see recorder).
    receipt: Mapped[str | None] = mapped_column(sa.String(32))
