"""Farm models: the registry (villages, households, plots) and the seasons on plots."""

from traceability.farm.models.registry import (  # noqa: F401
    VIETGAP_STATUS_LABELS,
    Household,
    Plot,
    VietGapStatus,
    Village,
)
from traceability.farm.models.season import (  # noqa: F401
    INPUT_KIND_LABELS,
    PLANTING_STATUS_LABELS,
    InputApplication,
    InputKind,
    PermittedInput,
    Planting,
    PlantingStatus,
)
