"""Farm services: the registry (villages, households, plots), the permitted-product list, and the
seasons on plots with their sprays, fertiliser and the pre-harvest-interval rule."""

from traceability.farm.services.registry import save_household, save_plot, save_village  # noqa: F401
