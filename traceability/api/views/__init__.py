"""API v1's routes, one module per domain, all on the one blueprint ``bp`` (``api.endpoint``).

Views are thin: ``@endpoint`` reads the body into its schema, the view calls the same service as the
web form and returns a response schema; the request commits once.
"""

from traceability.api.endpoint import bp
from traceability.api.views import farm, lots, ocop, reads

ROUTES = (farm, lots, ocop, reads)  # the modules whose routes bp serves (importing them adds the routes)

__all__ = ["ROUTES", "bp"]
