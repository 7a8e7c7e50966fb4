"""The Merkle tree over each organisation's events, and the checkpoints signed over it.

Derived from the events, never edited: its leaves in log order, the hash of every perfect subtree
(so a proof reads at most two per level), the signed checkpoints, and the witnesses' cosignatures.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from traceability.database import Base, created_at, intpk, org_fk


class LogLeaf(Base):
    __tablename__ = "log_leaves"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "leaf_index"),)

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(org_fk())
    leaf_index: Mapped[int]  # 0 for the organisation's first event


class LogNode(Base):
    """The hash of the perfect subtree of 2**level leaves starting at leaf ``position * 2**level``."""

    __tablename__ = "log_nodes"

    organisation_id: Mapped[int] = mapped_column(org_fk(), primary_key=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class LogCheckpoint(Base):
    __tablename__ = "log_checkpoints"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    origin: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    root: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    note: Mapped[str] = mapped_column(sa.Text)  # the C2SP signed note, as published
    created_at: Mapped[created_at]


class LogCosignature(Base):
    __tablename__ = "log_cosignatures"
    __table_args__ = (sa.UniqueConstraint("checkpoint_id", "witness"),)

    id: Mapped[intpk]
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE"), index=True)
    witness: Mapped[str] = mapped_column(sa.String(255))  # the witness's key name
    line: Mapped[str] = mapped_column(sa.Text)  # its signature line, appended to the note when published
    cosigned_at: Mapped[dt.datetime]


class WitnessedLog(Base):
    """A producer's log this server follows as a witness: the last checkpoint it accepted."""

    __tablename__ = "witnessed_logs"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "origin"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)  # the witness: a commune or province
    url: Mapped[str] = mapped_column(sa.String(255))
    origin: Mapped[str] = mapped_column(sa.String(255))
    log_key: Mapped[str] = mapped_column(sa.String(255))  # the producer's verifier key, as first given
    size: Mapped[int]
    root: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    note: Mapped[str] = mapped_column(sa.Text)
    checked_at: Mapped[dt.datetime]


class WitnessAlert(Base):
    """A checkpoint a witness refused: the log was rewritten or cut short. Both notes are the evidence."""

    __tablename__ = "witness_alerts"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    witnessed_log_id: Mapped[int] = mapped_column(sa.ForeignKey("witnessed_logs.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(20))  # truncated, forked, inconsistent, bad_signature
    accepted_note: Mapped[str] = mapped_column(sa.Text)
    refused_note: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[created_at]
