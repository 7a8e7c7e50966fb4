"""Farm services: the registry (villages, households, plots) and the seasons on plots."""

from traceability.farm.services.registry import save_household, save_plot, save_village  # noqa: F401
