"""Production entry point: ``gunicorn wsgi:app``.

Production mode unless TRACEABILITY_ENV says otherwise, so a missing SECRET_KEY stops start-up.
"""

import os

os.environ.setdefault("TRACEABILITY_ENV", "production")

from traceability import create_app  # noqa: E402

app = create_app()
