"""What an organisation shares without a token: one row per organisation that chose, none for the others."""

from __future__ import annotations

from traceability.epcis.models import EpcisSharing, PublicEvents
from traceability.extensions import db


def sharing_of(org_id: int) -> EpcisSharing:
    return db.session.get(EpcisSharing, org_id) or EpcisSharing(organisation_id=org_id, public=PublicEvents.NONE)


def shares_lots(org_id: int) -> bool:
    return sharing_of(org_id).public is PublicEvents.LOTS
