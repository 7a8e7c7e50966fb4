"""Web pages of the lots feature: lot pages and traces, processing and packing, sales, bought-in lots
and recalls."""

from flask import Blueprint

bp = Blueprint("lots", __name__)

# Each module adds its routes to ``bp``; imported after ``bp`` exists, as Flask's larger apps do.
from traceability.lots.views import pages, processing, trade  # noqa: E402, F401
