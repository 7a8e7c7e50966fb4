"""Web pages of the farm feature: the registry of villages, households and plots, the permitted
products, and the field records (seasons, sprays and fertiliser, harvests)."""

from flask import Blueprint

bp = Blueprint("farm", __name__)

# Each module adds its routes to ``bp``; imported after ``bp`` exists, as Flask's larger apps do.
from traceability.farm.views import harvests, registry, seasons  # noqa: E402, F401
