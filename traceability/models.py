"""Imports every feature's models, so the metadata (create_all, Alembic) knows every table."""

from traceability.accounts.models import ApiToken, LoginFailure, Membership, Organisation, User  # noqa: F401
from traceability.api.models import IdempotentRequest  # noqa: F401
from traceability.epcis.models import EpcisCapture, EpcisEvent, EpcisIdentifier, EpcisSharing  # noqa: F401
from traceability.events.models import Event  # noqa: F401
from traceability.farm.models import (  # noqa: F401
    Household,
    InputApplication,
    PermittedInput,
    Planting,
    Plot,
    Village,
)
from traceability.jobs.models import Job  # noqa: F401
from traceability.lots.models import (  # noqa: F401
    Lot,
    LotLink,
    Party,
    ProcessingRun,
    ProcessingYield,
    Recall,
    Sale,
    UnitSerial,
)
from traceability.ocop.models import OcopAnswer, OcopAttachment, OcopDossier, OcopTransition  # noqa: F401
from traceability.photos.models import Photo  # noqa: F401
from traceability.products.models import Product  # noqa: F401
from traceability.quality.models import Certificate, Inspection, InspectionResult, NonConformity  # noqa: F401
from traceability.scans.models import UnitScan  # noqa: F401
from traceability.transparency.models import (  # noqa: F401
    LogCheckpoint,
    LogCosignature,
    LogLeaf,
    LogNode,
    WitnessAlert,
    WitnessedLog,
)
