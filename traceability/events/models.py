from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.accounts.models import User
from traceability.database import Base, created_at, intpk, org_fk
from traceability.enums import enum_type

if TYPE_CHECKING:
    from traceability.farm.models import Household


class EventKind(enum.StrEnum):
    PLANTING = "planting"
    PLANTING_END = "planting_end"
    INPUT_APPLICATION = "input_application"
    HARVEST = "harvest"
    INSPECTION = "inspection"
    CERTIFICATE = "certificate"
    PROCESSING = "processing"  # a transformation: input lots in, output lots out
    PACKING = "packing"
    SALE = "sale"  # shipping to a buyer
    RECEIVING = "receiving"  # a lot bought in from an outside supplier
    RECALL = "recall"
    RECALL_CLOSED = "recall_closed"
    OCOP_DOSSIER = "ocop_dossier"  # a step of an OCOP dossier: submitted, returned, reviewed, sent, rated


EVENT_KIND_LABELS = {
    EventKind.PLANTING: _l("Planting"),
    EventKind.PLANTING_END: _l("End of season"),
    EventKind.INPUT_APPLICATION: _l("Input application"),
    EventKind.HARVEST: _l("Harvest"),
    EventKind.INSPECTION: _l("Internal inspection"),
    EventKind.CERTIFICATE: _l("Certificate"),
    EventKind.PROCESSING: _l("Processing"),
    EventKind.PACKING: _l("Packing"),
    EventKind.SALE: _l("Sale"),
    EventKind.RECEIVING: _l("Bought in"),
    EventKind.RECALL: _l("Recall"),
    EventKind.RECALL_CLOSED: _l("Recall closed"),
    EventKind.OCOP_DOSSIER: _l("OCOP dossier"),
}


class Event(Base):
    """Something that happened, as it was recorded. Never updated, never deleted.

    A correction is a new event whose ``supersedes_id`` names the event it replaces; the typed
    tables (plantings, input applications, lots…) are projections that services keep in step
    with the log, so they may change, the log may not.
    """

    __tablename__ = "events"
    # The organisation's latest event, read on every public page view, in one index probe.
    # A record made on a phone keeps the UUID the phone gave it, unique in its organisation: a
    # resend finds it instead of appending the same deed twice.
    __table_args__ = (
        sa.Index("ix_events_organisation_id_id", "organisation_id", "id"),
        sa.Index("uq_events_organisation_id_uuid", "organisation_id", "uuid", unique=True),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(org_fk(), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind))
    occurred_on: Mapped[dt.date]
    recorded_at: Mapped[created_at]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    # Captured offline: the record's UUID and when it was saved on the phone (naive UTC, as the
    # phone's clock said). ``recorded_at`` stays the server's receipt.
    uuid: Mapped[str | None] = mapped_column(sa.String(36))
    saved_at: Mapped[dt.datetime | None]
    # The phone's clock was in the future or before the deed's own day: its time is shown, not trusted.
    clock_suspect: Mapped[bool] = mapped_column(default=False)
    # Assisted entry: a manager or team leader records for a member household.
    for_household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id", ondelete="RESTRICT"))
    # Recorded more than LATE_ENTRY_DAYS after it happened; decided once, at recording, and kept.
    late: Mapped[bool] = mapped_column(default=False)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"), unique=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    plot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plots.id", ondelete="RESTRICT"), index=True)
    planting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plantings.id", ondelete="RESTRICT"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Hash chain within the organisation: each hash covers this event's content and the previous
    # event's hash, so a row changed behind the application's back breaks every later link.
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), index=True)

    recorded_by: Mapped[User] = relationship()
    # Named, not imported: households are farm records, a layer above the event log.
    for_household: Mapped[Household | None] = relationship("Household")

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind}>"


# The log is append-only in the database too, not only by convention: an UPDATE or DELETE on
# events fails whoever issues it. (Corrections are new events that supersede old ones.)
_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'events are append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
    ],
}


@sa.event.listens_for(Event.__table__, "after_create")
def _make_append_only(table, connection, **kwargs) -> None:
    for statement in _APPEND_ONLY.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
