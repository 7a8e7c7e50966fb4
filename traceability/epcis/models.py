from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from traceability.database import Base, created_at, intpk, org_fk
from traceability.enums import enum_type


class Origin(enum.StrEnum):
    OWN = "own"  # made from the organisation's own records (events)
    SUPPLIER = "supplier"  # captured from a supplier's system: their history of what we bought in


class EpcisEvent(Base):
    """An EPCIS 2.0 event as it is served: its JSON, fixed when it was recorded or captured, and the fields
    the query interface filters on. Never updated: the ``eventID`` is the canonical hash of what is here."""

    __tablename__ = "epcis_events"
    __table_args__ = (
        # Captured twice, stored once: an event is its canonical hash.
        sa.UniqueConstraint("organisation_id", "event_hash"),
        sa.Index("ix_epcis_events_org_id", "organisation_id", "id"),  # a partner paging through everything
        sa.Index("ix_epcis_events_org_time", "organisation_id", "event_time", "id"),
        sa.Index("ix_epcis_events_org_record_time", "organisation_id", "record_time", "id"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk())
    origin: Mapped[Origin] = mapped_column(enum_type(Origin))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    capture_id: Mapped[int | None] = mapped_column(sa.ForeignKey("epcis_captures.id", ondelete="RESTRICT"), index=True)
    event_hash: Mapped[str] = mapped_column(sa.String(100))
    event_type: Mapped[str] = mapped_column(sa.String(30))
    event_time: Mapped[dt.datetime]  # naive UTC, as every time in the database
    record_time: Mapped[dt.datetime]
    biz_step: Mapped[str | None] = mapped_column(sa.String(255))
    biz_location: Mapped[str | None] = mapped_column(sa.String(255))
    # The public query may serve it: an own event of a lot's public history (no buyer, no supplier named).
    public: Mapped[bool] = mapped_column(default=False)
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class EpcisIdentifier(Base):
    """Each identifier an event names, in its canonical form, with the field it is named in (``epcList``,
    ``quantityList``…): what ``MATCH_epc`` and ``MATCH_epcClass`` look up, and what links a supplier's
    history to the lot we bought from them."""

    __tablename__ = "epcis_identifiers"
    __table_args__ = (sa.Index("ix_epcis_identifiers_lookup", "organisation_id", "value", "epcis_event_id"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk())
    epcis_event_id: Mapped[int] = mapped_column(sa.ForeignKey("epcis_events.id", ondelete="RESTRICT"), index=True)
    field: Mapped[str] = mapped_column(sa.String(20))
    value: Mapped[str] = mapped_column(sa.String(255))


class CaptureState(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class EpcisCapture(Base):
    """One ``POST /epcis/capture``: what was sent, how many events were new, and every error by event.
    All or nothing: a document with one invalid event stores none of its events."""

    __tablename__ = "epcis_captures"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
    state: Mapped[CaptureState] = mapped_column(enum_type(CaptureState))
    created_at: Mapped[created_at]
    finished_at: Mapped[dt.datetime | None]
    events: Mapped[int] = mapped_column(default=0)  # in the document
    stored: Mapped[int] = mapped_column(default=0)  # new to us (the others were captured before)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)


class PublicEvents(enum.StrEnum):
    NONE = "none"
    LOTS = "lots"  # the events behind the public pages of our lots


class EpcisSharing(Base):
    """What an organisation lets anyone query without a token; nothing unless a manager chose otherwise."""

    __tablename__ = "epcis_sharing"

    organisation_id: Mapped[int] = mapped_column(org_fk(), primary_key=True)
    public: Mapped[PublicEvents] = mapped_column(enum_type(PublicEvents), default=PublicEvents.NONE)
