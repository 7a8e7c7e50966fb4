"""Demo data for ``flask --app traceability demo``."""

from traceability.demo.registry import DEMO_LOGINS, DEMO_PASSWORD, load

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "load"]
