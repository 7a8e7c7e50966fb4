"""Imports every feature's models, so the metadata (create_all, Alembic) knows every table."""
from traceability.accounts.models import LoginFailure, Membership, Organisation, User  # noqa: F401
from traceability.farm.models import Household, Plot, Village  # noqa: F401
from traceability.products.models import Product  # noqa: F401
